#include "devices/arm_generic_timer.h"

#include <gtest/gtest.h>

namespace vmrr {
namespace {

using Reg = ArmGenericTimer::Register;

TEST(ArmGenericTimerTest, ResetTimerIsDisabledAndCannotFire) {
  ArmGenericTimer timer;
  EXPECT_EQ(timer.Read(Reg::kCtl, 1000), 0u);
  EXPECT_EQ(timer.Deadline(), std::nullopt);
}

TEST(ArmGenericTimerTest, TvalWriteSetsCvalRelativeToNow) {
  ArmGenericTimer timer;
  timer.Write(Reg::kTval, 500, 1000);
  EXPECT_EQ(timer.Read(Reg::kCval, 1000), 1500u);
  EXPECT_EQ(timer.Read(Reg::kTval, 1200), 300u);
  // TVAL is signed: a negative value puts the compare value in the past.
  timer.Write(Reg::kTval, 0xffffff9cu /* -100 */, 1000);
  EXPECT_EQ(timer.Read(Reg::kCval, 0), 900u);
  // Read once met, TVAL counts below zero (32 bits).
  EXPECT_EQ(timer.Read(Reg::kTval, 950), 0xffffffceu /* -50 */);
}

TEST(ArmGenericTimerTest, IStatusIsSetOnlyWhenEnabledAndMet) {
  ArmGenericTimer timer;
  timer.Write(Reg::kCval, 2000, 0);
  EXPECT_EQ(timer.Read(Reg::kCtl, 2500), 0u) << "disabled: no ISTATUS";
  timer.Write(Reg::kCtl, ArmGenericTimer::kEnable, 0);
  EXPECT_EQ(timer.Read(Reg::kCtl, 1999), ArmGenericTimer::kEnable);
  EXPECT_EQ(timer.Read(Reg::kCtl, 2000), ArmGenericTimer::kEnable | ArmGenericTimer::kIStatus);
  // ISTATUS is read-only: writing it changes nothing.
  timer.Write(Reg::kCtl, ArmGenericTimer::kEnable | ArmGenericTimer::kIStatus, 0);
  EXPECT_EQ(timer.Read(Reg::kCtl, 0), ArmGenericTimer::kEnable);
}

TEST(ArmGenericTimerTest, DeadlineNeedsEnabledAndUnmasked) {
  ArmGenericTimer timer;
  timer.Write(Reg::kCval, 3000, 0);
  EXPECT_EQ(timer.Deadline(), std::nullopt);
  timer.Write(Reg::kCtl, ArmGenericTimer::kEnable, 0);
  EXPECT_EQ(timer.Deadline(), 3000u);
  // Linux's interrupt handler masks the timer: it can no longer fire, but
  // still reports the condition.
  timer.Write(Reg::kCtl, ArmGenericTimer::kEnable | ArmGenericTimer::kIMask, 0);
  EXPECT_EQ(timer.Deadline(), std::nullopt);
  EXPECT_NE(timer.Read(Reg::kCtl, 3000) & ArmGenericTimer::kIStatus, 0u);
}

}  // namespace
}  // namespace vmrr
