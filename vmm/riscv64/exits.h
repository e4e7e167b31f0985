// riscv64's own exits: SBI calls KVM leaves to the VMM, and under the vmrr
// host series (KVM_CAP_RISCV_USER_TIME) counter CSR reads
// (KVM_EXIT_RISCV_CSR), SBI TIME set_timer and an idle WFI (KVM_EXIT_HLT).
// Only <linux/kvm.h>: decoding is tested on any host.
#pragma once

#include <linux/kvm.h>

#include <cstdint>
#include <optional>

#include "vmm/exit_decoder.h"

namespace vmrr::riscv64 {

class Riscv64Exits : public ArchExits {
 public:
  // `owns_time`: the VM has KVM_CAP_RISCV_USER_TIME.
  explicit Riscv64Exits(bool owns_time) : owns_time_(owns_time) {}

  std::optional<VcpuStop> Decode(const kvm_run& run) const override;
  void CompleteHypercall(kvm_run& run, const std::vector<uint64_t>& values) const override;
  void CompleteClockRead(kvm_run& run, uint64_t value) const override;
  // Extensions KVM leaves to the VMM (vendor, experimental, ...):
  // SBI_ERR_NOT_SUPPORTED.
  std::vector<uint64_t> AnswerHypercall(kvm_run& run) override;
  // set_timer (hart 0's timer), answered success; all ones stops the timer.
  TimerAccess AccessTimer(kvm_run& run, const std::function<uint64_t()>& ticks) override;
  uint32_t timer_count() const override { return 1; }

 private:
  bool owns_time_;
};

}  // namespace vmrr::riscv64
