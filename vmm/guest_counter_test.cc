#include "vmm/guest_counter.h"

#include <gtest/gtest.h>

#include "base/error.h"

namespace vmrr {
namespace {

TEST(GuestCounter, EventNames) {
  EXPECT_EQ(CounterEventName(CounterEvent::kInstructions), "instructions");
  EXPECT_EQ(CounterEventName(CounterEvent::kCpuCycles), "cpu-cycles");
}

// On the build host there is no guest; the counter either opens (a PMU that
// supports exclude_host) and reads 0 guest events, or fails with a clear
// kUnsupported/kSystem error.  It must never count host work.
TEST(GuestCounter, CountsNoGuestWorkOnTheHost) {
  try {
    GuestCounter counter = GuestCounter::Open(CounterEvent::kInstructions);
    counter.Reset();
    counter.Enable();
    volatile uint64_t sink = 0;
    for (int i = 0; i < 100000; ++i) sink = sink + i;
    counter.Disable();
    EXPECT_EQ(counter.Read(), 0u);
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("instructions"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace vmrr
