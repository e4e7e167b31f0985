// The vCPU run loop shared by the architectures: KVM_RUN, MMIO to the device
// bus, system events to an outcome; console input, --timeout and Ctrl-C are
// noticed when a periodic timer signal interrupts KVM_RUN.
#pragma once

#include <linux/kvm.h>

#include <chrono>
#include <functional>
#include <optional>
#include <string>

#include "devices/mmio_bus.h"
#include "vmm/console.h"
#include "vmm/kvm.h"

namespace vmrr {

enum class GuestExit { kPowerOff, kReset, kCrash, kTimeout, kInterrupted };

struct RunOutcome {
  GuestExit exit = GuestExit::kPowerOff;
  std::string detail;  // why, in a few words
};

// vmrr run's exit status for an outcome (0 only for a guest power-off).
int ExitCodeFor(GuestExit exit);
std::string Describe(const RunOutcome& outcome);

struct RunLoopConfig {
  std::optional<std::chrono::seconds> timeout;
  // Called with every input byte batch (the UART's receive side).
  std::function<void(const uint8_t*, size_t)> console_input;
  // Exits the generic loop does not know (riscv64 SBI calls): true if handled.
  std::function<bool(kvm_run&)> arch_exit;
};

class RunLoop {
 public:
  RunLoop(KvmVcpu& vcpu, MmioBus& bus, Console& console, RunLoopConfig config);
  RunOutcome Run();
  uint64_t exits() const { return exits_; }

 private:
  bool HandleMmio(kvm_run& run);
  KvmVcpu& vcpu_;
  MmioBus& bus_;
  Console& console_;
  RunLoopConfig config_;
  uint64_t exits_ = 0;
  uint64_t unmapped_accesses_ = 0;
};

}  // namespace vmrr
