// Guest time when the VMM owns it (a host with the vmrr KVM series): a
// function of the guest's retired instructions, so replay recomputes every
// value the guest reads instead of storing it.  The counter advances one
// tick every `instructions_per_tick` instructions, plus the ticks the VMM
// adds while the guest idles (WFI) -- those are recorded as Idle events.
#pragma once

#include <cstdint>
#include <optional>

namespace vmrr {

struct GuestClockConfig {
  uint64_t base_ticks = 0;             // the counter at instruction 0 (varies per record)
  uint64_t instructions_per_tick = 1;  // > 0
  uint64_t timebase_hz = 0;            // ticks per guest second (the device tree's)
};

class GuestClock {
 public:
  explicit GuestClock(const GuestClockConfig& config);

  const GuestClockConfig& config() const { return config_; }
  // The time counter after `instructions` retired instructions.
  uint64_t Ticks(uint64_t instructions) const;
  // A cycle counter of a CPU running one instruction per cycle at
  // timebase * instructions_per_tick Hz, idle time included.
  uint64_t Cycles(uint64_t instructions) const;
  // The guest idled: its time jumps `ticks` forward.
  void Idle(uint64_t ticks) { idle_ticks_ += ticks; }
  uint64_t idle_ticks() const { return idle_ticks_; }
  // A checkpoint's idle time put back.
  void set_idle_ticks(uint64_t ticks) { idle_ticks_ = ticks; }

  // The guest's timer (SBI set_timer, CNTV_CVAL): due once Ticks() reaches it.
  void SetDeadline(std::optional<uint64_t> ticks) { deadline_ = ticks; }
  std::optional<uint64_t> deadline() const { return deadline_; }
  bool Due(uint64_t instructions) const { return deadline_ && Ticks(instructions) >= *deadline_; }
  // Ticks from now to the deadline (0 when due; nullopt when none is set).
  std::optional<uint64_t> TicksToDeadline(uint64_t instructions) const;

  // The guest's ticks for a host duration (idle waits in real time).
  uint64_t TicksForNanoseconds(uint64_t ns) const;

 private:
  GuestClockConfig config_;
  uint64_t idle_ticks_ = 0;
  std::optional<uint64_t> deadline_;
};

}  // namespace vmrr
