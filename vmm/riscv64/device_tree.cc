#include "vmm/riscv64/device_tree.h"

#include "base/error.h"
#include "vmm/boot_layout.h"
#include "vmm/fdt_builder.h"
#include "vmm/riscv64/layout.h"

namespace vmrr::riscv64 {

namespace {

// Adds the harts; returns the phandles of their interrupt controllers.
std::vector<uint32_t> AddCpus(FdtBuilder& fdt, const DeviceTreeConfig& config) {
  std::vector<uint32_t> intcs;
  fdt.BeginNode("cpus");
  fdt.PropertyU32("#address-cells", 1);
  fdt.PropertyU32("#size-cells", 0);
  fdt.PropertyU32("timebase-frequency", config.timebase_hz);
  for (int i = 0; i < config.cpus; ++i) {
    fdt.BeginNode(NodeName("cpu", i));
    fdt.PropertyString("device_type", "cpu");
    fdt.PropertyU32("reg", i);
    fdt.PropertyString("status", "okay");
    fdt.PropertyString("compatible", "riscv");
    fdt.PropertyString("riscv,isa", config.isa);
    fdt.PropertyString("mmu-type", config.mmu_type);
    if (config.cbom_block_size) fdt.PropertyU32("riscv,cbom-block-size", config.cbom_block_size);
    if (config.cboz_block_size) fdt.PropertyU32("riscv,cboz-block-size", config.cboz_block_size);
    uint32_t intc = fdt.NewPhandle();
    fdt.BeginNode("interrupt-controller");
    fdt.PropertyU32("#interrupt-cells", 1);
    fdt.PropertyEmpty("interrupt-controller");
    fdt.PropertyString("compatible", "riscv,cpu-intc");
    fdt.PropertyU32("phandle", intc);
    fdt.EndNode();
    fdt.EndNode();
    intcs.push_back(intc);
  }
  fdt.EndNode();
  return intcs;
}

void AddPlic(FdtBuilder& fdt, uint32_t phandle, const std::vector<uint32_t>& intcs) {
  fdt.BeginNode(NodeName("plic", kPlicBase));
  fdt.PropertyStrings("compatible", {"sifive,plic-1.0.0", "riscv,plic0"});
  fdt.PropertyU32("#interrupt-cells", 1);
  fdt.PropertyU32("#address-cells", 0);
  fdt.PropertyEmpty("interrupt-controller");
  fdt.PropertyCells("reg",
                    {0, static_cast<uint32_t>(kPlicBase), 0, static_cast<uint32_t>(kPlicSize)});
  fdt.PropertyU32("riscv,ndev", kPlicSources);
  // One context per hart: its supervisor external interrupt.
  std::vector<uint32_t> extended;
  for (uint32_t intc : intcs) {
    extended.push_back(intc);
    extended.push_back(kSupervisorExternalIrq);
  }
  fdt.PropertyCells("interrupts-extended", extended);
  fdt.PropertyU32("phandle", phandle);
  fdt.EndNode();
}

void AddRtc(FdtBuilder& fdt, uint32_t plic) {
  fdt.BeginNode(NodeName("rtc", kRtcBase));
  fdt.PropertyString("compatible", "google,goldfish-rtc");
  fdt.PropertyCells("reg",
                    {0, static_cast<uint32_t>(kRtcBase), 0, static_cast<uint32_t>(kRtcSize)});
  AddInterrupts(fdt, {{kRtcIrq}, plic});
  fdt.EndNode();
}

// vmrr's test device (devices/test_device.h), for bare-metal payloads.
void AddTestDevice(FdtBuilder& fdt, uint32_t plic) {
  fdt.BeginNode(NodeName("test-device", kTestDeviceBase));
  fdt.PropertyString("compatible", "vmrr,test-device");
  fdt.PropertyCells("reg", {0, static_cast<uint32_t>(kTestDeviceBase), 0,
                            static_cast<uint32_t>(kTestDeviceSize)});
  AddInterrupts(fdt, {{kTestDeviceIrq}, plic});
  fdt.EndNode();
}

}  // namespace

std::vector<uint8_t> BuildDeviceTree(const DeviceTreeConfig& config) {
  if (config.cpus < 1) throw Error(ErrorKind::kInternal, "device tree: no cpus");
  if (config.virtio_devices > kVirtioSlots) {
    throw Error(ErrorKind::kInput, "at most " + std::to_string(kVirtioSlots) + " virtio devices");
  }
  FdtBuilder fdt;
  uint32_t plic = fdt.NewPhandle();
  fdt.BeginNode("");
  fdt.PropertyString("compatible", "linux,dummy-virt");
  fdt.PropertyString("model", "vmrr riscv64");
  fdt.PropertyU32("#address-cells", 2);
  fdt.PropertyU32("#size-cells", 2);
  // No interrupt-parent here: the harts' controllers would inherit the PLIC.

  ChosenConfig chosen = config.chosen;
  chosen.stdout_path = "/" + NodeName("uart", kUartBase);
  AddChosenNode(fdt, chosen);
  std::vector<uint32_t> intcs = AddCpus(fdt, config);
  AddMemoryNode(fdt, config.ram_base, config.ram_size);
  AddPlic(fdt, plic, intcs);
  AddUartNode(fdt, kUartBase, kUartSize, {{kUartIrq}, plic});
  AddRtc(fdt, plic);
  AddTestDevice(fdt, plic);
  for (int i = 0; i < config.virtio_devices; ++i) {
    AddVirtioMmioNode(fdt, kVirtioBase + i * kVirtioStride, kVirtioWindow,
                      {{kVirtioFirstIrq + static_cast<uint32_t>(i)}, plic});
  }
  fdt.EndNode();
  std::vector<uint8_t> blob = fdt.Finish();
  if (blob.size() > kDtbMaxSize) throw Error(ErrorKind::kInternal, "device tree over 2 MiB");
  return blob;
}

}  // namespace vmrr::riscv64
