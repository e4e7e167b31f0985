#include "replay/run_to_point.h"

namespace vmrr {

RunToPointResult RunToPoint::Run(uint64_t target) {
  RunToPointResult result;
  for (;;) {
    uint64_t now = vcpu_.Instructions();
    if (now > target) {
      result.overshot = true;
      return result;
    }
    if (now == target) {
      result.reached = true;
      return result;
    }
    uint64_t remaining = target - now;
    SteppableVcpu::Stop stop;
    if (remaining > margin_) {
      // Lands in [now + remaining - margin, target] for any skid <= margin.
      ++result.overflow_runs;
      stop = vcpu_.RunWithOverflow(remaining - margin_);
    } else {
      ++result.steps;
      stop = vcpu_.Step();
    }
    if (stop == SteppableVcpu::Stop::kExit) {
      // Even at the target: the exit must be handled before the point counts
      // as reached (an MMIO read there is part of the guest's path).
      result.exited = true;
      return result;
    }
  }
}

}  // namespace vmrr
