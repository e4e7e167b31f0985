// Guest time during a recording on a host where the VMM owns it: answers the
// guest's counter reads from a GuestClock (not recorded: replay recomputes
// them), takes its timer deadlines (SBI set_timer), decides how far time
// jumps when it idles (recorded as Idle events) and raises its timer
// interrupt once the deadline has passed (a recorded line change).
// Per-run variation a real machine has: the time base and a small jitter on
// every timer, both drawn from the record's seed.
#pragma once

#include <linux/kvm.h>

#include <chrono>
#include <cstdint>
#include <functional>
#include <random>

#include "replay/guest_clock.h"
#include "replay/recorder.h"
#include "vmm/guest_counter.h"
#include "vmm/guest_platform.h"

namespace vmrr {

// The clock a recording with `seed` starts with.
GuestClockConfig RecordClockConfig(uint64_t seed, uint64_t timebase_hz);

struct TimeExitCounts {
  uint64_t counter_reads = 0;
  uint64_t timer_sets = 0;
  uint64_t idles = 0;
  uint64_t timer_interrupts = 0;
};

class RecordedTime {
 public:
  // `timer` is the recording-wrapped Line(kTimerLine).
  RecordedTime(GuestPlatform& platform, GuestCounter& counter, Recorder& recorder, IrqLine timer,
               const GuestClockConfig& clock, uint64_t seed);

  // While this says true (scripted console input is still to come), idling
  // waits in host time instead of jumping to the timer deadline: input comes
  // at host times, and a guest that jumped ahead would time out first.
  void set_input_pending(std::function<bool()> pending) { input_pending_ = std::move(pending); }

  // Handles the exit if it is one of guest time's; true when handled.
  bool HandleExit(kvm_run& run);
  // At every stop, before the vCPU runs again: the timer interrupt rises
  // once the deadline has passed.
  void BeforeRun();

  const GuestClock& clock() const { return clock_; }
  const TimeExitCounts& counts() const { return counts_; }

 private:
  void Idle();

  GuestPlatform& platform_;
  GuestCounter& counter_;
  Recorder& recorder_;
  IrqLine timer_;
  GuestClock clock_;
  std::mt19937_64 jitter_;
  uint64_t max_jitter_ticks_;
  bool timer_high_ = false;
  std::function<bool()> input_pending_;
  TimeExitCounts counts_;
};

}  // namespace vmrr
