#include "vmm/guest_runner.h"

#include <unistd.h>

#include "vmm/guest_platform.h"
#include "vmm/guest_session.h"

namespace vmrr {

RunOutcome RunGuest(const RunOptions& options) {
  BootFiles files = ReadBootFiles(options);
  KvmSystem kvm = KvmSystem::Open();
  GuestPlatform platform = GuestPlatform::Create(kvm, options.mem_bytes, options.cpus);
  GuestMachine& machine = *platform.machine;
  Console console(STDIN_FILENO, STDOUT_FILENO);
  MmioBus bus;
  GuestDevices devices = platform.board->AddDevices(
      options, bus, console, [&machine](uint32_t id) { return machine.Line(id); });
  BootImage boot = platform.board->PlanBoot(options, files, devices);
  LoadGuest(options, machine.memory(), boot.layout, files, boot.dtb);
  machine.SetBootRegisters(boot.layout.entry, boot.layout.dtb);
  TestDevice* test = devices.test_device;
  ArchExits& exits = *platform.exits;
  return RunWithConsole(
      options, machine.vcpu(), exits, bus, console, *devices.uart,
      [&exits](const VcpuStop& stop, kvm_run& run) {
        if (stop.kind != VcpuStop::Kind::kHypercall) return false;
        exits.AnswerHypercall(run);
        return true;
      },
      {[test] { test->PollHostTime(); }, [test] { return test->NextDeadline(); }},
      [&machine] {
        return DescribeCrashedVcpu([&machine] { return machine.Pc(); }, machine.memory());
      });
}

}  // namespace vmrr
