// The vCPU run loop shared by the architectures and by run and record:
// KVM_RUN, every exit decoded once (exit_decoder.h), MMIO to the device bus,
// system events to an outcome, guest time and hypercalls to the caller.  Console input, --timeout,
// Ctrl-C and devices' host timers are noticed when a timer signal (the kick) interrupts KVM_RUN: a
// one-shot timer, armed at each such stop for the next device deadline or 50 ms, whichever comes
// first.
#pragma once

#include <linux/kvm.h>

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "devices/mmio_bus.h"
#include "vmm/console.h"
#include "vmm/exit_decoder.h"
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

// Devices with host timers (the test device), as the loop drives them.
struct DeviceTimerHooks {
  // Runs at every interrupted stop, after console input: fires due timers.
  std::function<void()> poll_devices;
  // When the earliest device timer is due; nullopt when none is armed.
  std::function<std::optional<std::chrono::steady_clock::time_point>()> next_deadline;
};

// Record's view of the loop (null for `vmrr run`).
class RunObserver {
 public:
  virtual ~RunObserver() = default;
  // The vCPU stopped: at a guest exit, or `interrupted` by the kick or a
  // signal (before console input and device timers are delivered there).
  virtual void OnStop(bool interrupted) = 0;
  // At interrupted stops: an outcome ends the run (--max-instructions).
  virtual std::optional<RunOutcome> CheckLimits() = 0;
  virtual void OnMmioRead(uint64_t gpa, uint32_t len, const uint8_t* data) = 0;
  // The stop's work is done: the vCPU runs next.
  virtual void BeforeRun() = 0;
};

struct RunLoopConfig {
  std::optional<std::chrono::seconds> timeout;
  // Called with every input byte batch (the UART's receive side).
  std::function<void(const uint8_t*, size_t)> console_input;
  // Guest time and hypercalls (kClockRead, kTimer, kIdle, kHypercall):
  // true when handled; an exit nobody handles crashes the guest.
  std::function<bool(const VcpuStop& stop, kvm_run& run)> arch_exit;
  // Devices with host timers (DeviceTimerHooks): the kick is armed for
  // next_deadline when it comes before the 50 ms period.
  std::function<void()> poll_devices;
  std::function<std::optional<std::chrono::steady_clock::time_point>()> next_deadline;
  RunObserver* observer = nullptr;
  // When KVM refuses to run the vCPU (a crashed guest): what else to say
  // about it, or "" (CrashContext in vmm/guest_session.h).
  std::function<std::string()> explain_crash;
};

// When the kick should interrupt KVM_RUN next: at the device deadline if it
// comes within `period` of `now`, else at now + period.
std::chrono::steady_clock::time_point NextKick(
    std::chrono::steady_clock::time_point now,
    std::optional<std::chrono::steady_clock::time_point> device_deadline,
    std::chrono::steady_clock::duration period);

// One loop per vCPU thread at a time: it owns the thread's kick timer and
// its SIGINT/SIGTERM handling while it exists.
class RunLoop {
 public:
  RunLoop(RunnableVcpu& vcpu, const ArchExits& exits, MmioBus& bus, Console& console,
          RunLoopConfig config);
  ~RunLoop();
  RunLoop(const RunLoop&) = delete;
  RunLoop& operator=(const RunLoop&) = delete;

  // One KVM_RUN and what it led to; an outcome ends the run.
  std::optional<RunOutcome> Step();
  // Steps until an outcome.
  RunOutcome Run();
  uint64_t exits() const { return exits_; }

 private:
  class Kick;
  // At a stop the kick or a signal made: signals, --timeout, limits,
  // console input and device timers.
  std::optional<RunOutcome> OnInterruptedStop();
  void HandleMmio(kvm_run& run);
  std::optional<std::chrono::steady_clock::time_point> DeviceDeadline() const;
  RunnableVcpu& vcpu_;
  const ArchExits& arch_exits_;
  MmioBus& bus_;
  Console& console_;
  RunLoopConfig config_;
  std::unique_ptr<Kick> kick_;
  std::optional<std::chrono::steady_clock::time_point> deadline_;
  bool interrupted_ = true;
  uint64_t exits_ = 0;
  uint64_t unmapped_accesses_ = 0;
};

}  // namespace vmrr
