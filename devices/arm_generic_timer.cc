#include "devices/arm_generic_timer.h"

namespace vmrr {

uint64_t ArmGenericTimer::Read(Register reg, uint64_t now) const {
  switch (reg) {
    case Register::kCtl:
      return ctl_ | ((ctl_ & kEnable) != 0 && now >= cval_ ? kIStatus : 0);
    case Register::kCval:
      return cval_;
    case Register::kTval:
      // The low 32 bits of CVAL - now: a signed count down, negative once met.
      return (cval_ - now) & 0xffffffffu;
  }
  return 0;
}

void ArmGenericTimer::Write(Register reg, uint64_t value, uint64_t now) {
  switch (reg) {
    case Register::kCtl:
      ctl_ = value & (kEnable | kIMask);
      break;
    case Register::kCval:
      cval_ = value;
      break;
    case Register::kTval:
      // CVAL = now + TVAL, TVAL a signed 32-bit value.
      cval_ = now + static_cast<uint64_t>(static_cast<int64_t>(static_cast<int32_t>(value)));
      break;
  }
}

std::optional<uint64_t> ArmGenericTimer::Deadline() const {
  if ((ctl_ & kEnable) == 0 || (ctl_ & kIMask) != 0) return std::nullopt;
  return cval_;
}

}  // namespace vmrr
