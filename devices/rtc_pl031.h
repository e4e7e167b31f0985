// The ARM PrimeCell PL031 real-time clock (arm64 guests).  Device tree:
//   compatible = "arm,pl031", "arm,primecell"; reg = <base 0x1000>;
//   interrupts = <...>; clocks = <&apb_pclk>; clock-names = "apb_pclk";
// (the AMBA bus needs an apb_pclk clock, e.g. a "fixed-clock" node).
//
// The counter counts seconds of the injected clock, the one external input.
// There are no host timers: the match interrupt is evaluated whenever the
// guest touches the device and when the owner calls Poll(), so an alarm
// fires at one of those points once its time has come.
#pragma once

#include <cstdint>
#include <functional>

#include "devices/mmio_device.h"

namespace vmrr {

class RtcPl031 : public MmioDevice {
 public:
  using Clock = std::function<uint64_t()>;  // seconds since the Unix epoch

  RtcPl031(Clock clock, IrqLine irq);

  uint64_t window_size() const override { return 0x1000; }
  // Aligned 32-bit accesses only; others read 0 and are ignored.
  void Read(uint64_t offset, uint8_t* data, uint32_t len) override;
  void Write(uint64_t offset, const uint8_t* data, uint32_t len) override;

  // Raises the match interrupt if the armed match time has come.
  void Poll();
  bool irq_level() const { return irq_level_; }

 private:
  uint32_t ReadRegister(uint64_t offset);
  void WriteRegister(uint64_t offset, uint32_t value);
  uint32_t Counter() const;
  // Arms the match for MR, or fires it when the counter is at MR now.
  void ArmMatch();
  void CheckMatch();
  void UpdateIrq();

  Clock clock_;
  IrqLine irq_;
  uint32_t offset_ = 0;  // counter minus the clock's seconds, mod 2^32
  uint32_t mr_ = 0;
  uint32_t lr_ = 0;
  uint32_t imsc_ = 0;
  uint32_t ris_ = 0;
  bool match_armed_ = false;
  bool irq_level_ = false;
};

}  // namespace vmrr
