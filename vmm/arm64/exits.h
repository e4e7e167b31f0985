// arm64's own exits under the vmrr host series (KVM_CAP_ARM_USER_TIME):
// counter reads and EL1 timer register accesses (KVM_EXIT_ARM_SYSREG) and an
// idle WFI (KVM_EXIT_HLT).  The timers are emulated here
// (devices/arm_generic_timer, vCPU 0's virtual and physical one).  No
// arm64-only headers: decoding is tested on any host.
#pragma once

#include <linux/kvm.h>

#include <cstdint>
#include <optional>

#include "devices/arm_generic_timer.h"
#include "vmm/exit_decoder.h"

namespace vmrr::arm64 {

// ARM64_SYS_REG(op0, op1, crn, crm, op2): a system register's ONE_REG id.
constexpr uint64_t SysRegId(uint64_t op0, uint64_t op1, uint64_t crn, uint64_t crm, uint64_t op2) {
  return 0x6000000000000000ull | 0x0030000000000000ull | (0x13ull << 16) | op0 << 14 | op1 << 11 |
         crn << 7 | crm << 3 | op2;
}

// The vmrr host series' exit (host-kvm/arm64/): not in the 6.12 uapi.
inline constexpr uint32_t kExitArmSysreg = 40;

// A guest access to a register the VMM owns.
struct SysregAccess {
  uint64_t reg = 0;  // SysRegId()
  uint64_t value = 0;
  bool is_write = false;
};
std::optional<SysregAccess> ParseSysregExit(const kvm_run& run);
// The value a read gets (KVM writes it to the destination register).
void CompleteSysregRead(kvm_run& run, uint64_t value);

class Arm64Exits : public ArchExits {
 public:
  // A timer write's function in the trace: the register id with this bit.
  static constexpr uint64_t kWriteBit = uint64_t{1} << 32;

  // `owns_time`: the VM has KVM_CAP_ARM_USER_TIME (else no exit is arm64's).
  explicit Arm64Exits(bool owns_time) : owns_time_(owns_time) {}

  std::optional<VcpuStop> Decode(const kvm_run& run) const override;
  void CompleteHypercall(kvm_run& run, const std::vector<uint64_t>& values) const override;
  void CompleteClockRead(kvm_run& run, uint64_t value) const override;
  // PSCI is KVM's: nothing reaches the VMM as a hypercall.
  std::vector<uint64_t> AnswerHypercall(kvm_run&) override { return {}; }
  // A read is recorded with its value, a write without.
  TimerAccess AccessTimer(kvm_run& run, const std::function<uint64_t()>& ticks) override;
  uint32_t timer_count() const override { return 2; }

 private:
  bool owns_time_;
  ArmGenericTimer timers_[2];  // vCPU 0's virtual and physical EL1 timers
};

}  // namespace vmrr::arm64
