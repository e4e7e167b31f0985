#include "devices/rtc_goldfish.h"

#include <cstring>
#include <utility>

#include "devices/mmio_access.h"

namespace vmrr {
namespace {

constexpr uint64_t kTimeLow = 0x00;
constexpr uint64_t kTimeHigh = 0x04;
constexpr uint64_t kAlarmLow = 0x08;
constexpr uint64_t kAlarmHigh = 0x0c;
constexpr uint64_t kIrqEnabled = 0x10;
constexpr uint64_t kClearAlarm = 0x14;
constexpr uint64_t kAlarmStatus = 0x18;
constexpr uint64_t kClearInterrupt = 0x1c;

constexpr uint64_t kLow32 = 0xffffffffull;

}  // namespace

RtcGoldfish::RtcGoldfish(Clock clock, IrqLine irq)
    : clock_(std::move(clock)), irq_(std::move(irq)) {}

uint64_t RtcGoldfish::Now() const { return clock_() + offset_; }

void RtcGoldfish::SetNow(uint64_t ns) { offset_ = ns - clock_(); }

void RtcGoldfish::Read(uint64_t offset, uint8_t* data, uint32_t len) {
  std::memset(data, 0, len);
  if (IsRegisterAccess(offset, len)) {
    CheckAlarm();
    StoreLe(data, 4, ReadRegister(offset));
  }
  UpdateIrq();
}

void RtcGoldfish::Write(uint64_t offset, const uint8_t* data, uint32_t len) {
  if (IsRegisterAccess(offset, len)) {
    CheckAlarm();
    WriteRegister(offset, static_cast<uint32_t>(LoadLe(data, 4)));
  }
  UpdateIrq();
}

void RtcGoldfish::Poll() {
  CheckAlarm();
  UpdateIrq();
}

uint32_t RtcGoldfish::ReadRegister(uint64_t offset) {
  switch (offset) {
    case kTimeLow: {
      // One clock read serves both halves: TIME_HIGH returns the latch.
      uint64_t now = Now();
      time_high_ = static_cast<uint32_t>(now >> 32);
      return static_cast<uint32_t>(now);
    }
    case kTimeHigh:
      return time_high_;
    case kAlarmLow:
      return static_cast<uint32_t>(alarm_);
    case kAlarmHigh:
      return static_cast<uint32_t>(alarm_ >> 32);
    case kIrqEnabled:
      return irq_enabled_ ? 1 : 0;
    case kAlarmStatus:
      return alarm_running_ ? 1 : 0;
    default:
      return 0;
  }
}

void RtcGoldfish::WriteRegister(uint64_t offset, uint32_t value) {
  switch (offset) {
    // Setting the time replaces one half of the current time; Linux writes
    // TIME_HIGH, then TIME_LOW.
    case kTimeLow:
      SetNow((Now() & ~kLow32) | value);
      break;
    case kTimeHigh:
      SetNow((Now() & kLow32) | (uint64_t{value} << 32));
      break;
    case kAlarmLow:  // the low half completes the alarm time and starts it
      alarm_ = (alarm_ & ~kLow32) | value;
      StartAlarm();
      break;
    case kAlarmHigh:
      alarm_ = (alarm_ & kLow32) | (uint64_t{value} << 32);
      break;
    case kIrqEnabled:
      irq_enabled_ = (value & 1) != 0;
      break;
    case kClearAlarm:
      alarm_running_ = false;
      break;
    case kClearInterrupt:
      irq_pending_ = false;
      break;
    default:
      break;
  }
}

void RtcGoldfish::StartAlarm() {
  alarm_running_ = true;
  CheckAlarm();
}

void RtcGoldfish::CheckAlarm() {
  if (!alarm_running_) return;  // no clock read unless an alarm is set
  if (Now() >= alarm_) {
    alarm_running_ = false;
    irq_pending_ = true;
  }
}

void RtcGoldfish::UpdateIrq() {
  bool level = irq_pending_ && irq_enabled_;
  if (level == irq_level_) return;
  irq_level_ = level;
  if (irq_) irq_(level);
}

}  // namespace vmrr
