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

}  // namespace
}  // namespace vmrr
