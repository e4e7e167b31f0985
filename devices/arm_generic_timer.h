// One EL1 timer of the Arm generic timer (CNTV_* or CNTP_*), emulated on a
// clock the VMM runs: under the vmrr host KVM series the guest's accesses to
// CTL, CVAL and TVAL reach the VMM, which answers them here at the guest's
// counter value `now`.  The owner raises the timer's PPI while Deadline() has
// passed (and lowers it when it no longer has).
#pragma once

#include <cstdint>
#include <optional>

namespace vmrr {

class ArmGenericTimer {
 public:
  enum class Register { kCtl, kCval, kTval };

  // CNT*_CTL_EL0 bits.
  static constexpr uint64_t kEnable = 1;
  static constexpr uint64_t kIMask = 2;
  static constexpr uint64_t kIStatus = 4;  // read-only: the condition is met

  uint64_t Read(Register reg, uint64_t now) const;
  void Write(Register reg, uint64_t value, uint64_t now);

  // When the timer asserts its interrupt: the compare value while it is
  // enabled and unmasked; nullopt while it cannot fire.
  std::optional<uint64_t> Deadline() const;

 private:
  uint64_t ctl_ = 0;  // ENABLE and IMASK; ISTATUS is computed
  uint64_t cval_ = 0;
};

}  // namespace vmrr
