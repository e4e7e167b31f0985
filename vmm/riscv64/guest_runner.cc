// `vmrr run` on riscv64: the Image at RAM + text_offset, a device tree built
// from what KVM offers, a PLIC in the VMM, the UART console, goldfish RTC and
// virtio-blk.
#include "vmm/guest_runner.h"

#include <unistd.h>

#include <chrono>

#include "devices/plic.h"
#include "devices/rtc_goldfish.h"
#include "vmm/guest_session.h"
#include "vmm/riscv64/device_tree.h"
#include "vmm/riscv64/kernel_image.h"
#include "vmm/riscv64/layout.h"
#include "vmm/riscv64/machine.h"

namespace vmrr {

RunOutcome RunGuest(const RunOptions& options) {
  using namespace riscv64;
  BootFiles files = ReadBootFiles(options);
  KernelImage image = ParseKernelImage(files.kernel, options.kernel);
  BootLayout layout = PlanBoot(image.text_offset, image.image_size, kRamBase, options.mem_bytes,
                               files.initrd.size());

  KvmSystem kvm = KvmSystem::Open();
  Machine machine(kvm, options.mem_bytes, options.cpus);
  std::vector<IrqLine> contexts;
  for (int i = 0; i < options.cpus; ++i) contexts.push_back(machine.ExternalInterrupt(i));
  Plic plic(kPlicSources, std::move(contexts));
  Console console(STDIN_FILENO, STDOUT_FILENO);
  MmioBus bus;
  bus.Register(kPlicBase, plic);
  StandardDevices devices = AddStandardDevices(
      options, machine.memory(), bus, console, kUartBase, plic.SourceLine(kUartIrq), kVirtioBase,
      [&plic](int slot) { return plic.SourceLine(kVirtioFirstIrq + slot); });
  // Host time: the RTC's one input (to be recorded like any other).
  RtcGoldfish rtc(
      [] {
        return static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::nanoseconds>(
                                         std::chrono::system_clock::now().time_since_epoch())
                                         .count());
      },
      plic.SourceLine(kRtcIrq));
  bus.Register(kRtcBase, rtc);

  DeviceTreeConfig dt;
  dt.ram_base = kRamBase;
  dt.ram_size = options.mem_bytes;
  dt.cpus = options.cpus;
  dt.isa = machine.hart().isa;
  dt.mmu_type = machine.hart().mmu_type;
  dt.timebase_hz = machine.hart().timebase_hz;
  dt.cbom_block_size = machine.hart().cbom_block_size;
  dt.cboz_block_size = machine.hart().cboz_block_size;
  dt.virtio_devices = devices.virtio_devices;
  dt.chosen = MakeChosen(options, layout);
  LoadGuest(options, machine.memory(), layout, files, BuildDeviceTree(dt));
  machine.SetBootRegisters(layout.kernel, layout.dtb);
  return RunWithConsole(options, machine.vcpu(0), bus, console, *devices.uart,
                        &Machine::HandleSbiExit);
}

}  // namespace vmrr
