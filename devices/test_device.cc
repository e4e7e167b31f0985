#include "devices/test_device.h"

#include <cstring>
#include <utility>

#include "devices/mmio_access.h"

namespace vmrr {

TestDevice::TestDevice(IrqLine irq, std::function<uint32_t()> random,
                       std::function<TimePoint()> now)
    : irq_(std::move(irq)), random_(std::move(random)), now_(std::move(now)) {}

void TestDevice::Read(uint64_t offset, uint8_t* data, uint32_t len) {
  std::memset(data, 0, len);
  if (IsRegisterAccess(offset, len)) StoreLe(data, 4, ReadRegister(offset));
}

void TestDevice::Write(uint64_t offset, const uint8_t* data, uint32_t len) {
  if (IsRegisterAccess(offset, len)) WriteRegister(offset, static_cast<uint32_t>(LoadLe(data, 4)));
}

uint32_t TestDevice::ReadRegister(uint64_t offset) {
  switch (offset) {
    case kRegId:
      return kId;
    case kRegRandom:
      return random_();
    case kRegTimer:
      return deadline_ ? 1 : 0;
    case kRegStatus:
      return irq_level_ ? 1 : 0;
    case kRegFired:
      return fired_;
    default:
      return 0;
  }
}

void TestDevice::WriteRegister(uint64_t offset, uint32_t value) {
  switch (offset) {
    case kRegTimer:
      Arm(value);
      break;
    case kRegStatus:
      SetIrq(false);
      break;
    default:  // ID, RANDOM and FIRED are read-only
      break;
  }
}

void TestDevice::Arm(uint32_t max_us) {
  if (max_us == 0) {
    deadline_.reset();
    return;
  }
  // A delay in [max/2, max]: the random value scaled onto the span's length.
  uint64_t min_us = max_us / 2;
  uint64_t span = uint64_t{max_us} - min_us + 1;
  uint64_t delay_us = min_us + ((uint64_t{random_()} * span) >> 32);
  deadline_ = now_() + std::chrono::microseconds(delay_us);
}

void TestDevice::PollHostTime() {
  if (!deadline_ || now_() < *deadline_) return;
  deadline_.reset();
  ++fired_;
  SetIrq(true);
}

void TestDevice::SetIrq(bool level) {
  if (level == irq_level_) return;
  irq_level_ = level;
  if (irq_) irq_(level);
}

}  // namespace vmrr
