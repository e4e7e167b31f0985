#include "vmm/record_session.h"

#include <gtest/gtest.h>

namespace vmrr {
namespace {

TEST(RecordSession, EveryOutcomeHasAnEndReason) {
  EXPECT_EQ(EndReason(GuestExit::kPowerOff), "poweroff");
  EXPECT_EQ(EndReason(GuestExit::kReset), "reset");
  EXPECT_EQ(EndReason(GuestExit::kCrash), "crash");
  EXPECT_EQ(EndReason(GuestExit::kTimeout), "timeout");
  EXPECT_EQ(EndReason(GuestExit::kInterrupted), "interrupted");
}

TEST(RecordSession, DefaultTraceNameIsTheKernelsNameAndTheLocalTime) {
  setenv("TZ", "UTC", 1);
  tzset();
  EXPECT_EQ(DefaultTraceName("/guest/payloads/irqmix", 1795276800), "irqmix-20261121-160000.vmrr");
  EXPECT_EQ(DefaultTraceName("Image", 0), "Image-19700101-000000.vmrr");
}

}  // namespace
}  // namespace vmrr
