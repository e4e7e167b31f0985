// Stopping a vCPU exactly at an instruction count: an overflow interrupt is
// armed `skid_margin` instructions early (hardware and QEMU stop up to that
// many instructions late), then single steps finish the way.  Correct for
// any skid in [0, skid_margin].  Pure logic over the SteppableVcpu interface:
// vmm/ implements it over KVM, the tests over a fake with random skid.
#pragma once

#include <cstdint>

namespace vmrr {

class SteppableVcpu {
 public:
  enum class Stop {
    kOverflow,  // the armed overflow stopped the vCPU
    kExit,      // the guest exited first (MMIO, ...): the caller handles it
  };
  virtual ~SteppableVcpu() = default;
  // Exact guest instructions retired so far.
  virtual uint64_t Instructions() = 0;
  // Runs with an overflow armed `count` (>= 1) instructions ahead; the stop
  // may come late by up to the host's skid.
  virtual Stop RunWithOverflow(uint64_t count) = 0;
  // Retires exactly one instruction (arm64: single-step; riscv64: a
  // period-1 overflow); kExit when that instruction exits instead.
  virtual Stop Step() = 0;
};

struct RunToPointResult {
  bool reached = false;  // Instructions() == target
  bool exited = false;   // stopped at a guest exit (at or before the target): handle it, call again
  bool overshot = false;  // ran past the target: skid larger than the margin
  uint32_t overflow_runs = 0;
  uint32_t steps = 0;
};

class RunToPoint {
 public:
  RunToPoint(SteppableVcpu& vcpu, uint64_t skid_margin) : vcpu_(vcpu), margin_(skid_margin) {}
  // Runs until the vCPU has retired exactly `target` instructions, or until
  // a guest exit comes first (call again after handling it).  Counts of
  // overflow runs and steps are per call.
  RunToPointResult Run(uint64_t target);

 private:
  SteppableVcpu& vcpu_;
  uint64_t margin_;
};

}  // namespace vmrr
