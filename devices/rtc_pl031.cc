#include "devices/rtc_pl031.h"

#include <cstring>
#include <utility>

#include "devices/mmio_access.h"

namespace vmrr {
namespace {

constexpr uint64_t kDr = 0x00;    // data (counter), read-only
constexpr uint64_t kMr = 0x04;    // match
constexpr uint64_t kLr = 0x08;    // load
constexpr uint64_t kCr = 0x0c;    // control: bit 0 = started
constexpr uint64_t kImsc = 0x10;  // interrupt mask (1 = enabled)
constexpr uint64_t kRis = 0x14;   // raw interrupt status
constexpr uint64_t kMis = 0x18;   // masked interrupt status
constexpr uint64_t kIcr = 0x1c;   // interrupt clear, write-only

// AMBA PeriphID0..3 at 0xfe0 and PrimeCell ID0..3 at 0xff0, one byte per
// word: what Linux's AMBA bus reads to match the driver.
constexpr uint8_t kPeriphId[4] = {0x31, 0x10, 0x14, 0x00};
constexpr uint8_t kPrimeCellId[4] = {0x0d, 0xf0, 0x05, 0xb1};

}  // namespace

RtcPl031::RtcPl031(Clock clock, IrqLine irq) : clock_(std::move(clock)), irq_(std::move(irq)) {}

uint32_t RtcPl031::Counter() const { return static_cast<uint32_t>(clock_()) + offset_; }

void RtcPl031::Read(uint64_t offset, uint8_t* data, uint32_t len) {
  std::memset(data, 0, len);
  if (IsRegisterAccess(offset, len)) {
    CheckMatch();
    StoreLe(data, 4, ReadRegister(offset));
  }
  UpdateIrq();
}

void RtcPl031::Write(uint64_t offset, const uint8_t* data, uint32_t len) {
  if (IsRegisterAccess(offset, len)) {
    CheckMatch();
    WriteRegister(offset, static_cast<uint32_t>(LoadLe(data, 4)));
  }
  UpdateIrq();
}

void RtcPl031::Poll() {
  CheckMatch();
  UpdateIrq();
}

uint32_t RtcPl031::ReadRegister(uint64_t offset) {
  switch (offset) {
    case kDr:
      return Counter();
    case kMr:
      return mr_;
    case kLr:
      return lr_;
    case kCr:
      return 1;  // always running: it starts at power-on and cannot stop
    case kImsc:
      return imsc_;
    case kRis:
      return ris_;
    case kMis:
      return ris_ & imsc_;
    default:
      break;
  }
  if (offset >= 0xfe0 && offset < 0xff0) return kPeriphId[(offset - 0xfe0) / 4];
  if (offset >= 0xff0 && offset < 0x1000) return kPrimeCellId[(offset - 0xff0) / 4];
  return 0;
}

void RtcPl031::WriteRegister(uint64_t offset, uint32_t value) {
  switch (offset) {
    case kMr:
      mr_ = value;
      ArmMatch();
      break;
    case kLr:
      lr_ = value;
      offset_ = value - static_cast<uint32_t>(clock_());
      ArmMatch();
      break;
    case kImsc:
      imsc_ = value & 1;
      break;
    case kIcr:
      ris_ &= ~(value & 1);
      break;
    default:  // DR, RIS and MIS are read-only; CR cannot stop the clock
      break;
  }
}

void RtcPl031::ArmMatch() {
  // Like the counter, the match wraps at 2^32: a match in the past would come
  // round again in 136 years, so it stays unarmed.
  auto ahead = static_cast<int32_t>(mr_ - Counter());
  match_armed_ = ahead > 0;
  if (ahead == 0) ris_ |= 1;
}

void RtcPl031::CheckMatch() {
  if (!match_armed_) return;  // no clock read unless an alarm is set
  if (static_cast<int32_t>(mr_ - Counter()) <= 0) {
    ris_ |= 1;
    match_armed_ = false;
  }
}

void RtcPl031::UpdateIrq() {
  bool level = (ris_ & imsc_) != 0;
  if (level == irq_level_) return;
  irq_level_ = level;
  if (irq_) irq_(level);
}

}  // namespace vmrr
