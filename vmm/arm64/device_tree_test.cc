#include "vmm/arm64/device_tree.h"

#include <gtest/gtest.h>

extern "C" {
#include <libfdt.h>
}

#include "base/error.h"
#include "vmm/arm64/layout.h"

namespace vmrr::arm64 {
namespace {

DeviceTreeConfig Config() {
  DeviceTreeConfig c;
  c.ram_base = kRamBase;
  c.ram_size = 1ull << 30;
  c.cpus = 1;
  c.virtio_devices = 2;
  c.chosen.bootargs = "console=ttyS0";
  c.chosen.rng_seed = DefaultRngSeed();
  c.chosen.kaslr_seed = kDefaultKaslrSeed;
  return c;
}

uint32_t Cell(const void* fdt, int node, const char* prop, int index) {
  int len = 0;
  auto* cells = static_cast<const fdt32_t*>(fdt_getprop(fdt, node, prop, &len));
  EXPECT_NE(cells, nullptr) << prop;
  EXPECT_GT(len, index * 4) << prop;
  return cells == nullptr ? 0 : fdt32_to_cpu(cells[index]);
}

TEST(Arm64DeviceTree, ReadsBackWithLibfdt) {
  std::vector<uint8_t> blob = BuildDeviceTree(Config());
  const void* fdt = blob.data();
  ASSERT_EQ(fdt_check_header(fdt), 0);

  int gic = fdt_node_offset_by_compatible(fdt, -1, "arm,gic-v3");
  ASSERT_GE(gic, 0);
  EXPECT_EQ(Cell(fdt, 0, "interrupt-parent", 0), fdt_get_phandle(fdt, gic));
  EXPECT_EQ(Cell(fdt, gic, "reg", 1), kGicDistBase);
  EXPECT_EQ(Cell(fdt, gic, "reg", 5), kGicRedistBase);
  EXPECT_EQ(Cell(fdt, gic, "reg", 7), kGicRedistSizePerCpu);

  int mem = fdt_path_offset(fdt, "/memory@80000000");
  ASSERT_GE(mem, 0);
  EXPECT_EQ(Cell(fdt, mem, "reg", 2), 0u);
  EXPECT_EQ(Cell(fdt, mem, "reg", 3), 1u << 30);

  int cpu = fdt_path_offset(fdt, "/cpus/cpu@0");
  ASSERT_GE(cpu, 0);
  EXPECT_STREQ(static_cast<const char*>(fdt_getprop(fdt, cpu, "enable-method", nullptr)), "psci");
  int psci = fdt_node_offset_by_compatible(fdt, -1, "arm,psci-0.2");
  ASSERT_GE(psci, 0);
  EXPECT_STREQ(static_cast<const char*>(fdt_getprop(fdt, psci, "method", nullptr)), "hvc");

  int timer = fdt_node_offset_by_compatible(fdt, -1, "arm,armv8-timer");
  ASSERT_GE(timer, 0);
  EXPECT_EQ(Cell(fdt, timer, "interrupts", 7), 11u);  // the virtual timer PPI

  int chosen = fdt_path_offset(fdt, "/chosen");
  EXPECT_STREQ(static_cast<const char*>(fdt_getprop(fdt, chosen, "stdout-path", nullptr)),
               "/uart@9000000");
  int uart = fdt_path_offset(fdt, "/uart@9000000");
  ASSERT_GE(uart, 0);
  EXPECT_EQ(Cell(fdt, uart, "interrupts", 1), kUartSpi);

  int rtc = fdt_node_offset_by_compatible(fdt, -1, "arm,pl031");
  ASSERT_GE(rtc, 0);
  int clock = fdt_node_offset_by_phandle(fdt, Cell(fdt, rtc, "clocks", 0));
  EXPECT_EQ(fdt_node_check_compatible(fdt, clock, "fixed-clock"), 0);

  int testdev = fdt_node_offset_by_compatible(fdt, -1, "vmrr,test-device");
  ASSERT_GE(testdev, 0);
  EXPECT_EQ(testdev, fdt_path_offset(fdt, "/test-device@9020000"));
  EXPECT_EQ(Cell(fdt, testdev, "reg", 1), kTestDeviceBase);
  EXPECT_EQ(Cell(fdt, testdev, "reg", 3), kTestDeviceSize);
  EXPECT_EQ(Cell(fdt, testdev, "interrupts", 0), kGicSpi);
  EXPECT_EQ(Cell(fdt, testdev, "interrupts", 1), kTestDeviceSpi);
  EXPECT_EQ(Cell(fdt, testdev, "interrupts", 2), kIrqLevelHigh);

  ASSERT_GE(fdt_path_offset(fdt, "/virtio_mmio@a000000"), 0);
  int v1 = fdt_path_offset(fdt, "/virtio_mmio@a000200");
  ASSERT_GE(v1, 0);
  EXPECT_EQ(Cell(fdt, v1, "interrupts", 1), kVirtioFirstSpi + 1);
  EXPECT_LT(fdt_path_offset(fdt, "/virtio_mmio@a000400"), 0);
  // No PMU node: vmrr gives the guest no PMU.
  EXPECT_LT(fdt_node_offset_by_compatible(fdt, -1, "arm,armv8-pmuv3"), 0);
}

TEST(Arm64DeviceTree, TooManyVirtioDevicesIsAnInputError) {
  DeviceTreeConfig c = Config();
  c.virtio_devices = kVirtioSlots + 1;
  EXPECT_THROW(BuildDeviceTree(c), Error);
}

}  // namespace
}  // namespace vmrr::arm64
