// The Goldfish real-time clock (riscv64 guests).  Device tree:
//   compatible = "google,goldfish-rtc"; reg = <base 0x1000>; interrupts = <...>;
//
// Time is nanoseconds of the injected clock, the one external input; the
// guest may set it (an offset is kept).  There are no host timers: the alarm
// is evaluated whenever the guest touches the device and when the owner
// calls Poll(), so it fires at one of those points once its time has come.
#pragma once

#include <cstdint>
#include <functional>

#include "devices/mmio_device.h"

namespace vmrr {

class RtcGoldfish : public MmioDevice {
 public:
  using Clock = std::function<uint64_t()>;  // nanoseconds since the Unix epoch

  RtcGoldfish(Clock clock, IrqLine irq);

  uint64_t window_size() const override { return 0x1000; }
  // Aligned 32-bit accesses only; others read 0 and are ignored.
  void Read(uint64_t offset, uint8_t* data, uint32_t len) override;
  void Write(uint64_t offset, const uint8_t* data, uint32_t len) override;

  // Raises the alarm interrupt if the running alarm's time has come.
  void Poll();
  bool irq_level() const { return irq_level_; }

 private:
  uint32_t ReadRegister(uint64_t offset);
  void WriteRegister(uint64_t offset, uint32_t value);
  uint64_t Now() const;
  void SetNow(uint64_t ns);
  // Starts the alarm, or fires it at once when its time is past.
  void StartAlarm();
  void CheckAlarm();
  void UpdateIrq();

  Clock clock_;
  IrqLine irq_;
  uint64_t offset_ = 0;     // guest time minus the clock, mod 2^64
  uint32_t time_high_ = 0;  // latched by reading TIME_LOW
  uint64_t alarm_ = 0;
  bool alarm_running_ = false;
  bool irq_enabled_ = false;
  bool irq_pending_ = false;
  bool irq_level_ = false;
};

}  // namespace vmrr
