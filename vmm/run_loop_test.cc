#include "vmm/run_loop.h"

#include <gtest/gtest.h>

namespace vmrr {
namespace {

// The loop itself needs KVM (the rig's boot tests run it); here: the
// outcomes' exit codes and messages that `vmrr run` prints.
TEST(RunOutcome, ExitCodesAreDistinctAndOnlyPowerOffIsZero) {
  EXPECT_EQ(ExitCodeFor(GuestExit::kPowerOff), 0);
  EXPECT_EQ(ExitCodeFor(GuestExit::kReset), 3);
  EXPECT_EQ(ExitCodeFor(GuestExit::kCrash), 4);
  EXPECT_EQ(ExitCodeFor(GuestExit::kTimeout), 5);
  EXPECT_EQ(ExitCodeFor(GuestExit::kInterrupted), 130);
}

TEST(RunOutcome, Describe) {
  EXPECT_EQ(Describe({GuestExit::kPowerOff, ""}), "the guest powered off");
  EXPECT_EQ(Describe({GuestExit::kTimeout, "after 5 s"}), "timed out: after 5 s");
  EXPECT_NE(Describe({GuestExit::kReset, ""}).find("panic"), std::string::npos);
}

TEST(NextKick, EarlierOfTheDeviceDeadlineAndThePeriod) {
  using namespace std::chrono_literals;
  auto now = std::chrono::steady_clock::time_point() + 100s;
  EXPECT_EQ(NextKick(now, std::nullopt, 50ms), now + 50ms);
  EXPECT_EQ(NextKick(now, now + 2ms, 50ms), now + 2ms);
  EXPECT_EQ(NextKick(now, now + 1s, 50ms), now + 50ms);
  // A deadline already past: kick at once (the timer fires immediately).
  EXPECT_EQ(NextKick(now, now - 1ms, 50ms), now - 1ms);
}

}  // namespace
}  // namespace vmrr
