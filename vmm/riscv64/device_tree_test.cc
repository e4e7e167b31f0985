#include "vmm/riscv64/device_tree.h"

#include <gtest/gtest.h>

extern "C" {
#include <libfdt.h>
}

#include "base/error.h"
#include "vmm/riscv64/layout.h"

namespace vmrr::riscv64 {
namespace {

DeviceTreeConfig Config() {
  DeviceTreeConfig c;
  c.ram_base = kRamBase;
  c.ram_size = 1ull << 30;
  c.isa = "rv64imafdc_zicsr_zifencei_sstc";
  c.mmu_type = "riscv,sv57";
  c.timebase_hz = 10000000;
  c.cbom_block_size = 64;
  c.virtio_devices = 1;
  c.chosen.bootargs = "console=ttyS0";
  return c;
}

std::string Str(const void* fdt, int node, const char* prop) {
  auto* s = static_cast<const char*>(fdt_getprop(fdt, node, prop, nullptr));
  return s == nullptr ? "" : s;
}

uint32_t Cell(const void* fdt, int node, const char* prop, int index) {
  int len = 0;
  auto* cells = static_cast<const fdt32_t*>(fdt_getprop(fdt, node, prop, &len));
  if (cells == nullptr || len <= index * 4) {
    ADD_FAILURE() << prop;
    return 0;
  }
  return fdt32_to_cpu(cells[index]);
}

TEST(Riscv64DeviceTree, ReadsBackWithLibfdt) {
  std::vector<uint8_t> blob = BuildDeviceTree(Config());
  const void* fdt = blob.data();
  ASSERT_EQ(fdt_check_header(fdt), 0);
  int cpus = fdt_path_offset(fdt, "/cpus");
  EXPECT_EQ(Cell(fdt, cpus, "timebase-frequency", 0), 10000000u);
  int cpu = fdt_path_offset(fdt, "/cpus/cpu@0");
  ASSERT_GE(cpu, 0);
  EXPECT_EQ(Str(fdt, cpu, "riscv,isa"), "rv64imafdc_zicsr_zifencei_sstc");
  EXPECT_EQ(Str(fdt, cpu, "mmu-type"), "riscv,sv57");
  EXPECT_EQ(Cell(fdt, cpu, "riscv,cbom-block-size", 0), 64u);
  EXPECT_EQ(fdt_getprop(fdt, cpu, "riscv,cboz-block-size", nullptr), nullptr);
  int intc = fdt_path_offset(fdt, "/cpus/cpu@0/interrupt-controller");
  ASSERT_GE(intc, 0);
  EXPECT_EQ(fdt_node_check_compatible(fdt, intc, "riscv,cpu-intc"), 0);

  int plic = fdt_node_offset_by_compatible(fdt, -1, "riscv,plic0");
  ASSERT_GE(plic, 0);
  // The root names no interrupt parent (the harts' controllers would inherit
  // it); every device does.
  EXPECT_EQ(fdt_getprop(fdt, 0, "interrupt-parent", nullptr), nullptr);
  EXPECT_EQ(Cell(fdt, plic, "interrupts-extended", 0), fdt_get_phandle(fdt, intc));
  EXPECT_EQ(Cell(fdt, plic, "interrupts-extended", 1), kSupervisorExternalIrq);
  EXPECT_EQ(Cell(fdt, plic, "riscv,ndev", 0), kPlicSources);

  int uart = fdt_path_offset(fdt, "/uart@10000000");
  ASSERT_GE(uart, 0);
  EXPECT_EQ(Cell(fdt, uart, "interrupts", 0), kUartIrq);
  EXPECT_EQ(Cell(fdt, uart, "interrupt-parent", 0), fdt_get_phandle(fdt, plic));
  EXPECT_EQ(Str(fdt, fdt_path_offset(fdt, "/chosen"), "stdout-path"), "/uart@10000000");
  int rtc = fdt_node_offset_by_compatible(fdt, -1, "google,goldfish-rtc");
  EXPECT_EQ(Cell(fdt, rtc, "interrupts", 0), kRtcIrq);
  int testdev = fdt_node_offset_by_compatible(fdt, -1, "vmrr,test-device");
  ASSERT_GE(testdev, 0);
  EXPECT_EQ(testdev, fdt_path_offset(fdt, "/test-device@102000"));
  EXPECT_EQ(Cell(fdt, testdev, "reg", 1), kTestDeviceBase);
  EXPECT_EQ(Cell(fdt, testdev, "reg", 3), kTestDeviceSize);
  EXPECT_EQ(Cell(fdt, testdev, "interrupts", 0), kTestDeviceIrq);
  EXPECT_EQ(Cell(fdt, testdev, "interrupt-parent", 0), fdt_get_phandle(fdt, plic));
  int virtio = fdt_path_offset(fdt, "/virtio_mmio@10001000");
  ASSERT_GE(virtio, 0);
  EXPECT_EQ(Cell(fdt, virtio, "interrupts", 0), kVirtioFirstIrq);
  EXPECT_EQ(Cell(fdt, virtio, "interrupt-parent", 0), fdt_get_phandle(fdt, plic));
  EXPECT_LT(fdt_path_offset(fdt, "/virtio_mmio@10002000"), 0);
}

TEST(Riscv64DeviceTree, TooManyVirtioDevices) {
  DeviceTreeConfig c = Config();
  c.virtio_devices = kVirtioSlots + 1;
  EXPECT_THROW(BuildDeviceTree(c), Error);
}

}  // namespace
}  // namespace vmrr::riscv64
