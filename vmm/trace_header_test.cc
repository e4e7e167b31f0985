#include "vmm/trace_header.h"

#include <gtest/gtest.h>

namespace vmrr {
namespace {

TEST(TraceHeader, EveryOutcomeHasAnEndReason) {
  EXPECT_EQ(EndReason(GuestExit::kPowerOff), "poweroff");
  EXPECT_EQ(EndReason(GuestExit::kReset), "reset");
  EXPECT_EQ(EndReason(GuestExit::kCrash), "crash");
  EXPECT_EQ(EndReason(GuestExit::kTimeout), "timeout");
  EXPECT_EQ(EndReason(GuestExit::kInterrupted), "interrupted");
}

TEST(TraceHeader, DefaultTraceNameIsTheKernelsNameAndTheLocalTime) {
  setenv("TZ", "UTC", 1);
  tzset();
  EXPECT_EQ(DefaultTraceName("/guest/payloads/irqmix", 1795276800), "irqmix-20261121-160000.vmrr");
  EXPECT_EQ(DefaultTraceName("Image", 0), "Image-19700101-000000.vmrr");
}

TEST(RecordClockConfig, TheSeedDecidesTheTimeBase) {
  GuestClockConfig a = RecordClockConfig(42, 10000000);
  GuestClockConfig b = RecordClockConfig(42, 10000000);
  GuestClockConfig c = RecordClockConfig(43, 10000000);
  EXPECT_EQ(a.base_ticks, b.base_ticks);
  EXPECT_NE(a.base_ticks, c.base_ticks);
  EXPECT_LT(a.base_ticks, uint64_t{1} << 40);
  EXPECT_EQ(a.instructions_per_tick, 10u);
  EXPECT_EQ(a.timebase_hz, 10000000u);
}

}  // namespace
}  // namespace vmrr
