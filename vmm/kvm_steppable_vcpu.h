// replay's SteppableVcpu over a real KVM vCPU: the guest counter's overflow
// for the long run, then single-step (arm64) or a period-1 overflow
// (riscv64, which has no single-step) for each remaining instruction.
#pragma once

#include <functional>

#include "replay/run_to_point.h"
#include "vmm/guest_counter.h"
#include "vmm/kvm.h"

namespace vmrr {

class KvmSteppableVcpu : public SteppableVcpu {
 public:
  enum class StepMethod { kSingleStep, kOverflow };

  // `counter` counts this vCPU's guest instructions from 0 and routes its
  // overflow signal to this thread; `set_single_step` turns KVM's
  // single-step on or off (kSingleStep only).
  // `is_step_exit` tells a KVM_EXIT_DEBUG that ends a single step from one
  // of a breakpoint (which is an exit the caller handles).
  KvmSteppableVcpu(KvmVcpu& vcpu, GuestCounter& counter, StepMethod method,
                   std::function<void(bool)> set_single_step,
                   std::function<bool(const kvm_run&)> is_step_exit);

  // The counter minus what stepping over-counted (see Step()).
  uint64_t Instructions() override;
  // From now on Instructions() counts on from `count` (a restored checkpoint).
  void SetInstructions(uint64_t count) { overcount_ = counter_.Read() - count; }
  // The counter counted `n` instructions that did not retire.
  void Uncount(uint64_t n) { overcount_ += n; }
  Stop RunWithOverflow(uint64_t count) override;
  Stop Step() override;

 private:
  // KVM_RUN; kExit when the guest exited (the caller reads the exit),
  // kOverflow when a signal or a single-step debug exit stopped it.
  Stop RunOnce();

  KvmVcpu& vcpu_;
  GuestCounter& counter_;
  StepMethod method_;
  std::function<void(bool)> set_single_step_;
  std::function<bool(const kvm_run&)> is_step_exit_;
  uint64_t overcount_ = 0;
};

}  // namespace vmrr
