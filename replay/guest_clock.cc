#include "replay/guest_clock.h"

#include "base/error.h"

namespace vmrr {

GuestClock::GuestClock(const GuestClockConfig& config) : config_(config) {
  if (config_.instructions_per_tick == 0)
    throw Error(ErrorKind::kInput, "guest clock: instructions_per_tick is 0");
}

uint64_t GuestClock::Ticks(uint64_t instructions) const {
  return config_.base_ticks + instructions / config_.instructions_per_tick + idle_ticks_;
}

uint64_t GuestClock::Cycles(uint64_t instructions) const {
  return instructions + idle_ticks_ * config_.instructions_per_tick;
}

std::optional<uint64_t> GuestClock::TicksToDeadline(uint64_t instructions) const {
  if (!deadline_) return std::nullopt;
  uint64_t now = Ticks(instructions);
  return *deadline_ > now ? *deadline_ - now : 0;
}

uint64_t GuestClock::TicksForNanoseconds(uint64_t ns) const {
  // 128-bit: hours of nanoseconds times a GHz timebase overflow 64 bits.
  return static_cast<uint64_t>(static_cast<unsigned __int128>(ns) * config_.timebase_hz /
                               1000000000u);
}

}  // namespace vmrr
