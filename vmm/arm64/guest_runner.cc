// `vmrr run` on arm64: the Image at the boot protocol's place, a generated
// device tree, an in-kernel GICv3, the UART console, PL031 RTC, virtio-blk.
#include "vmm/guest_runner.h"

#include <unistd.h>

#include <ctime>

#include "devices/rtc_pl031.h"
#include "vmm/arm64/device_tree.h"
#include "vmm/arm64/kernel_image.h"
#include "vmm/arm64/layout.h"
#include "vmm/arm64/machine.h"
#include "vmm/guest_session.h"

namespace vmrr {

RunOutcome RunGuest(const RunOptions& options) {
  using namespace arm64;
  BootFiles files = ReadBootFiles(options);
  KernelImage image = ParseKernelImage(files.kernel, options.kernel);
  BootLayout layout = PlanBoot(image.text_offset, image.image_size, kRamBase, options.mem_bytes,
                               files.initrd.size());

  KvmSystem kvm = KvmSystem::Open();
  Machine machine(kvm, options.mem_bytes, options.cpus);
  Console console(STDIN_FILENO, STDOUT_FILENO);
  MmioBus bus;
  StandardDevices devices = AddStandardDevices(
      options, machine.memory(), bus, console, kUartBase, machine.SpiLine(kUartSpi), kVirtioBase,
      [&machine](int slot) { return machine.SpiLine(kVirtioFirstSpi + slot); });
  // Host time: the RTC's one input (to be recorded like any other).
  RtcPl031 rtc([] { return static_cast<uint64_t>(std::time(nullptr)); }, machine.SpiLine(kRtcSpi));
  bus.Register(kRtcBase, rtc);

  DeviceTreeConfig dt;
  dt.ram_base = kRamBase;
  dt.ram_size = options.mem_bytes;
  dt.cpus = options.cpus;
  dt.virtio_devices = devices.virtio_devices;
  dt.chosen = MakeChosen(options, layout);
  LoadGuest(options, machine.memory(), layout, files, BuildDeviceTree(dt));
  machine.SetBootRegisters(layout.kernel, layout.dtb);
  return RunWithConsole(options, machine.vcpu(0), bus, console, *devices.uart);
}

}  // namespace vmrr
