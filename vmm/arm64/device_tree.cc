#include "vmm/arm64/device_tree.h"

#include "base/error.h"
#include "vmm/arm64/layout.h"
#include "vmm/boot_layout.h"
#include "vmm/fdt_builder.h"

namespace vmrr::arm64 {

namespace {

InterruptSpec Spi(uint32_t spi) { return {{kGicSpi, spi, kIrqLevelHigh}}; }

void AddCpus(FdtBuilder& fdt, int cpus) {
  fdt.BeginNode("cpus");
  fdt.PropertyU32("#address-cells", 1);
  fdt.PropertyU32("#size-cells", 0);
  for (int i = 0; i < cpus; ++i) {
    fdt.BeginNode(NodeName("cpu", i));
    fdt.PropertyString("device_type", "cpu");
    fdt.PropertyString("compatible", "arm,arm-v8");
    fdt.PropertyU32("reg", i);
    fdt.PropertyString("enable-method", "psci");
    fdt.EndNode();
  }
  fdt.EndNode();
}

void AddGic(FdtBuilder& fdt, uint32_t phandle, int cpus) {
  fdt.BeginNode(NodeName("intc", kGicDistBase));
  fdt.PropertyString("compatible", "arm,gic-v3");
  fdt.PropertyU32("#interrupt-cells", 3);
  fdt.PropertyEmpty("interrupt-controller");
  uint64_t redist_size = kGicRedistSizePerCpu * cpus;
  fdt.PropertyCells(
      "reg", {0, static_cast<uint32_t>(kGicDistBase), 0, static_cast<uint32_t>(kGicDistSize), 0,
              static_cast<uint32_t>(kGicRedistBase), 0, static_cast<uint32_t>(redist_size)});
  fdt.PropertyU32("phandle", phandle);
  fdt.EndNode();
}

void AddTimer(FdtBuilder& fdt) {
  // Secure, non-secure physical, virtual and hypervisor timer PPIs.
  fdt.BeginNode("timer");
  fdt.PropertyString("compatible", "arm,armv8-timer");
  fdt.PropertyCells("interrupts", {kGicPpi, 13, kIrqLevelHigh, kGicPpi, 14, kIrqLevelHigh, kGicPpi,
                                   11, kIrqLevelHigh, kGicPpi, 10, kIrqLevelHigh});
  fdt.PropertyEmpty("always-on");
  fdt.EndNode();
}

void AddPsci(FdtBuilder& fdt) {
  fdt.BeginNode("psci");
  fdt.PropertyStrings("compatible", {"arm,psci-1.0", "arm,psci-0.2"});
  fdt.PropertyString("method", "hvc");
  fdt.EndNode();
}

void AddRtc(FdtBuilder& fdt, uint32_t clock_phandle) {
  fdt.BeginNode(NodeName("rtc", kRtcBase));
  fdt.PropertyStrings("compatible", {"arm,pl031", "arm,primecell"});
  fdt.PropertyCells("reg",
                    {0, static_cast<uint32_t>(kRtcBase), 0, static_cast<uint32_t>(kRtcSize)});
  AddInterrupts(fdt, Spi(kRtcSpi));
  fdt.PropertyU32("clocks", clock_phandle);
  fdt.PropertyString("clock-names", "apb_pclk");
  fdt.EndNode();
}

// vmrr's test device (devices/test_device.h), for bare-metal payloads.
void AddTestDevice(FdtBuilder& fdt) {
  fdt.BeginNode(NodeName("test-device", kTestDeviceBase));
  fdt.PropertyString("compatible", "vmrr,test-device");
  fdt.PropertyCells("reg", {0, static_cast<uint32_t>(kTestDeviceBase), 0,
                            static_cast<uint32_t>(kTestDeviceSize)});
  AddInterrupts(fdt, Spi(kTestDeviceSpi));
  fdt.EndNode();
}

void AddApbClock(FdtBuilder& fdt, uint32_t phandle) {
  // AMBA (PrimeCell) devices such as the PL031 need a clock to probe.
  fdt.BeginNode("apb-pclk");
  fdt.PropertyString("compatible", "fixed-clock");
  fdt.PropertyU32("#clock-cells", 0);
  fdt.PropertyU32("clock-frequency", 24000000);
  fdt.PropertyString("clock-output-names", "clk24mhz");
  fdt.PropertyU32("phandle", phandle);
  fdt.EndNode();
}

}  // namespace

std::vector<uint8_t> BuildDeviceTree(const DeviceTreeConfig& config) {
  if (config.cpus < 1) throw Error(ErrorKind::kInternal, "device tree: no cpus");
  if (config.virtio_devices > kVirtioSlots) {
    throw Error(ErrorKind::kInput, "at most " + std::to_string(kVirtioSlots) + " virtio devices");
  }
  FdtBuilder fdt;
  uint32_t gic = fdt.NewPhandle();
  uint32_t clock = fdt.NewPhandle();
  fdt.BeginNode("");
  fdt.PropertyString("compatible", "linux,dummy-virt");
  fdt.PropertyU32("#address-cells", 2);
  fdt.PropertyU32("#size-cells", 2);
  fdt.PropertyU32("interrupt-parent", gic);

  ChosenConfig chosen = config.chosen;
  chosen.stdout_path = "/" + NodeName("uart", kUartBase);
  AddChosenNode(fdt, chosen);
  AddCpus(fdt, config.cpus);
  AddMemoryNode(fdt, config.ram_base, config.ram_size);
  AddGic(fdt, gic, config.cpus);
  AddTimer(fdt);
  AddPsci(fdt);
  AddApbClock(fdt, clock);
  AddUartNode(fdt, kUartBase, kUartSize, Spi(kUartSpi));
  AddRtc(fdt, clock);
  AddTestDevice(fdt);
  for (int i = 0; i < config.virtio_devices; ++i) {
    AddVirtioMmioNode(fdt, kVirtioBase + i * kVirtioStride, kVirtioStride,
                      Spi(kVirtioFirstSpi + i));
  }
  fdt.EndNode();
  std::vector<uint8_t> blob = fdt.Finish();
  if (blob.size() > kDtbMaxSize) throw Error(ErrorKind::kInternal, "device tree over 2 MiB");
  return blob;
}

}  // namespace vmrr::arm64
