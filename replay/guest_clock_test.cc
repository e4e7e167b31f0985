#include "replay/guest_clock.h"

#include <gtest/gtest.h>

#include "base/error.h"

namespace vmrr {
namespace {

GuestClockConfig TenMhz() {
  return {.base_ticks = 1000, .instructions_per_tick = 10, .timebase_hz = 10000000};
}

TEST(GuestClockTest, TicksFollowInstructionsFromTheBase) {
  GuestClock clock(TenMhz());
  EXPECT_EQ(clock.Ticks(0), 1000u);
  EXPECT_EQ(clock.Ticks(9), 1000u);
  EXPECT_EQ(clock.Ticks(10), 1001u);
  EXPECT_EQ(clock.Ticks(12345), 1000u + 1234u);
  EXPECT_EQ(clock.Cycles(12345), 12345u);
}

TEST(GuestClockTest, IdleJumpsTimeAndCyclesForward) {
  GuestClock clock(TenMhz());
  clock.Idle(500);
  clock.Idle(25);
  EXPECT_EQ(clock.idle_ticks(), 525u);
  EXPECT_EQ(clock.Ticks(100), 1000u + 10u + 525u);
  EXPECT_EQ(clock.Cycles(100), 100u + 5250u);
}

TEST(GuestClockTest, DeadlineIsDueOnceTicksReachIt) {
  GuestClock clock(TenMhz());
  EXPECT_FALSE(clock.Due(1000000));
  EXPECT_EQ(clock.TicksToDeadline(0), std::nullopt);
  clock.SetDeadline(1100);
  EXPECT_FALSE(clock.Due(999));  // tick 1099
  EXPECT_TRUE(clock.Due(1000));  // tick 1100
  EXPECT_EQ(clock.TicksToDeadline(0), 100u);
  EXPECT_EQ(clock.TicksToDeadline(5000), 0u);
  clock.Idle(*clock.TicksToDeadline(0));
  EXPECT_TRUE(clock.Due(0));
  clock.SetDeadline(std::nullopt);
  EXPECT_FALSE(clock.Due(0));
}

TEST(GuestClockTest, NanosecondsConvertAtTheTimebase) {
  GuestClock clock(TenMhz());
  EXPECT_EQ(clock.TicksForNanoseconds(1000000000), 10000000u);
  EXPECT_EQ(clock.TicksForNanoseconds(99), 0u);
  EXPECT_EQ(clock.TicksForNanoseconds(100), 1u);
  // Ten hours do not overflow.
  EXPECT_EQ(clock.TicksForNanoseconds(36000ull * 1000000000ull), 360000000000ull);
}

TEST(GuestClockTest, RejectsZeroInstructionsPerTick) {
  EXPECT_THROW(GuestClock({.base_ticks = 0, .instructions_per_tick = 0, .timebase_hz = 1}), Error);
}

}  // namespace
}  // namespace vmrr
