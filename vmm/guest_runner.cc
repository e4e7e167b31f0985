#include "vmm/guest_runner.h"

#include <unistd.h>

#include "vmm/guest_platform.h"
#include "vmm/guest_session.h"

namespace vmrr {

RunOutcome RunGuest(const RunOptions& options) {
  BootFiles files = ReadBootFiles(options);
  KvmSystem kvm = KvmSystem::Open();
  std::unique_ptr<GuestPlatform> platform =
      GuestPlatform::Create(kvm, options.mem_bytes, options.cpus);
  Console console(STDIN_FILENO, STDOUT_FILENO);
  MmioBus bus;
  GuestDevices devices = platform->AddDevices(
      options, bus, console, [&platform](uint32_t id) { return platform->Line(id); });
  BootImage boot = platform->PlanBoot(options, files, devices);
  LoadGuest(options, platform->memory(), boot.layout, files, boot.dtb);
  platform->SetBootRegisters(boot.layout.kernel, boot.layout.dtb);
  TestDevice* test = devices.test_device;
  return RunWithConsole(
      options, platform->vcpu(), bus, console, *devices.uart,
      [&platform](kvm_run& run) {
        uint64_t function = 0;
        std::vector<uint64_t> values;
        return platform->HandleHypercall(run, &function, &values);
      },
      {[test] { test->PollHostTime(); }, [test] { return test->NextDeadline(); }});
}

}  // namespace vmrr
