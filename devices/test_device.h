// vmrr's test device: a source of the two kinds of nondeterminism a
// recording must capture, for bare-metal test payloads.  Device tree:
//   compatible = "vmrr,test-device"; reg = <base 0x1000>; interrupts = <...>;
//
// 32-bit little-endian registers (aligned 4-byte accesses only; others read
// 0 and are ignored):
//   0x00 ID      read: 0x74726d76 ("vmrt")
//   0x04 RANDOM  read: a fresh 32-bit value from the random source
//   0x08 TIMER   write N: arms a one-shot timer firing after a random delay
//                in [N/2, N] microseconds of host time (N = 0 disarms);
//                read: 1 while armed
//   0x0c STATUS  read: 1 while the interrupt line is asserted; write: acknowledge
//   0x10 FIRED   read: how many times the timer fired
//
// Single-threaded like every device: the timer fires only when the owner
// (the run loop) calls PollHostTime() at or after NextDeadline().
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>

#include "devices/mmio_device.h"

namespace vmrr {

class TestDevice : public MmioDevice {
 public:
  using TimePoint = std::chrono::steady_clock::time_point;

  static constexpr uint64_t kRegId = 0x00;
  static constexpr uint64_t kRegRandom = 0x04;
  static constexpr uint64_t kRegTimer = 0x08;
  static constexpr uint64_t kRegStatus = 0x0c;
  static constexpr uint64_t kRegFired = 0x10;
  static constexpr uint32_t kId = 0x74726d76;

  // `random`: host randomness (RANDOM and the timer's delays); `now`: host time.
  TestDevice(IrqLine irq, std::function<uint32_t()> random, std::function<TimePoint()> now);

  uint64_t window_size() const override { return 0x1000; }
  void Read(uint64_t offset, uint8_t* data, uint32_t len) override;
  void Write(uint64_t offset, const uint8_t* data, uint32_t len) override;

  // When the armed timer is due; nullopt when disarmed.
  std::optional<TimePoint> NextDeadline() const { return deadline_; }
  // Fires the timer if it is armed and due: disarms it, counts it in FIRED
  // and asserts the interrupt line.
  void PollHostTime();

  bool irq_level() const { return irq_level_; }
  uint32_t fired() const { return fired_; }

 private:
  uint32_t ReadRegister(uint64_t offset);
  void WriteRegister(uint64_t offset, uint32_t value);
  void Arm(uint32_t max_us);
  void SetIrq(bool level);

  IrqLine irq_;
  std::function<uint32_t()> random_;
  std::function<TimePoint()> now_;
  std::optional<TimePoint> deadline_;
  uint32_t fired_ = 0;
  bool irq_level_ = false;
};

}  // namespace vmrr
