// Guest time during a recording on a host where the VMM owns it: answers the
// guest's counter reads from a GuestClock (not recorded: replay recomputes
// them), answers its timer accesses (SBI set_timer, arm64 CNTV_* registers:
// recorded as Hypercall events), decides how far time jumps when it idles
// (recorded as Idle events) and raises each timer's interrupt once its
// deadline has passed, lowering it when the guest moves or masks it
// (recorded line changes).  Per-run variation a real machine has: the time
// base and a small jitter on every deadline, both drawn from the record's
// seed.
#pragma once

#include <linux/kvm.h>

#include <chrono>
#include <cstdint>
#include <functional>
#include <random>
#include <vector>

#include "devices/mmio_device.h"
#include "replay/guest_clock.h"
#include "replay/recorder.h"
#include "vmm/exit_decoder.h"

namespace vmrr {

// The clock a recording with `seed` starts with.
GuestClockConfig RecordClockConfig(uint64_t seed, uint64_t timebase_hz);

struct TimeExitCounts {
  uint64_t counter_reads = 0;
  uint64_t timer_accesses = 0;  // exits: riscv64 set_timer, arm64 timer registers
  uint64_t idles = 0;
  uint64_t timer_interrupts = 0;
};

class RecordedTime {
 public:
  // `timers` are the recording-wrapped Line(kTimerLine + i), one per timer;
  // `instructions` reads the guest's retired instructions (its counter).
  RecordedTime(ArchExits& exits, std::function<uint64_t()> instructions, Recorder& recorder,
               std::vector<IrqLine> timers, const GuestClockConfig& clock, uint64_t seed);

  // While this says true (scripted console input is still to come), idling
  // waits in host time instead of jumping to the timer deadline: input comes
  // at host times, and a guest that jumped ahead would time out first.
  void set_input_pending(std::function<bool()> pending) { input_pending_ = std::move(pending); }

  // Handles the exit (decoded as `stop`) if it is one of guest time's:
  // a counter read, a timer access or an idle WFI; true when handled.
  bool HandleExit(const VcpuStop& stop, kvm_run& run);
  // At every stop, before the vCPU runs again: a timer's interrupt rises
  // once its deadline has passed.
  void BeforeRun();

  const GuestClock& clock() const { return clock_; }
  const TimeExitCounts& counts() const { return counts_; }

 private:
  struct Timer {
    IrqLine line;
    std::optional<uint64_t> asked;     // the deadline the guest set
    std::optional<uint64_t> deadline;  // that plus this run's jitter
    bool high = false;
  };

  void Idle();
  uint64_t Now() const { return instructions_(); }
  // The clock's deadline: the earliest timer's.
  void UpdateClockDeadline();

  ArchExits& exits_;
  std::function<uint64_t()> instructions_;
  Recorder& recorder_;
  std::vector<Timer> timers_;
  GuestClock clock_;
  std::mt19937_64 jitter_;
  uint64_t max_jitter_ticks_;
  std::function<bool()> input_pending_;
  TimeExitCounts counts_;
};

}  // namespace vmrr
