// The guest retired-instruction counter: a host perf event with
// exclude_host=1 on the calling (vCPU) thread, so it counts only what the
// guest executes.  It is always opened in sampling mode so that an overflow
// signal can stop KVM_RUN at a chosen count (run-to-point, doctor's skid test).
#pragma once

#include <cstdint>
#include <string>

#include "base/unique_fd.h"

namespace vmrr {

enum class CounterEvent {
  kInstructions,  // PERF_COUNT_HW_INSTRUCTIONS
  kCpuCycles,     // PERF_COUNT_HW_CPU_CYCLES (== instructions under QEMU -icount shift=0)
};

std::string CounterEventName(CounterEvent event);

class GuestCounter {
 public:
  // Opens the event for the calling thread, disabled.  Throws
  // Error(kUnsupported) when the host has no such event (ENOENT/EOPNOTSUPP).
  static GuestCounter Open(CounterEvent event);

  void Reset();
  void Enable();
  void Disable();
  uint64_t Read() const;

  // Delivers `signo` to the calling thread on overflow.  A handler that does
  // not restart system calls makes the thread's KVM_RUN return EINTR.
  void RouteOverflowToThisThread(int signo);
  // Arms exactly one overflow `period` events from now and enables counting.
  void ArmOverflow(uint64_t period);

  CounterEvent event() const { return event_; }

 private:
  UniqueFd fd_;
  CounterEvent event_ = CounterEvent::kInstructions;
};

// Installs a do-nothing handler for `signo` without SA_RESTART (idempotent).
void InstallInterruptingSignalHandler(int signo);

}  // namespace vmrr
