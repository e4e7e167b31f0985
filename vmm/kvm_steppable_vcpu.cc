#include "vmm/kvm_steppable_vcpu.h"

#include "vmm/base/error.h"

namespace vmrr {

KvmSteppableVcpu::KvmSteppableVcpu(KvmVcpu& vcpu, GuestCounter& counter, StepMethod method,
                                   std::function<void(bool)> set_single_step)
    : vcpu_(vcpu),
      counter_(counter),
      method_(method),
      set_single_step_(std::move(set_single_step)) {}

uint64_t KvmSteppableVcpu::Instructions() { return counter_.Read(); }

SteppableVcpu::Stop KvmSteppableVcpu::RunOnce() {
  if (!vcpu_.Run()) return Stop::kOverflow;  // the overflow signal
  return vcpu_.run()->exit_reason == KVM_EXIT_DEBUG ? Stop::kOverflow : Stop::kExit;
}

SteppableVcpu::Stop KvmSteppableVcpu::RunWithOverflow(uint64_t count) {
  counter_.ArmOverflow(count);
  Stop stop = RunOnce();
  counter_.Disable();
  return stop;
}

SteppableVcpu::Stop KvmSteppableVcpu::Step() {
  if (method_ == StepMethod::kOverflow) return RunWithOverflow(1);
  set_single_step_(true);
  counter_.Enable();
  Stop stop = RunOnce();
  counter_.Disable();
  set_single_step_(false);
  return stop;
}

}  // namespace vmrr
