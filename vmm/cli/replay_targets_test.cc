#include "vmm/cli/replay_targets.h"

#include <gtest/gtest.h>

#include "base/error.h"

namespace vmrr {
namespace {

TEST(ReplayTargets, EventsAndCounts) {
  ReplayTarget event = ParseReplayTarget("1234");
  EXPECT_FALSE(event.is_count);
  EXPECT_EQ(event.value, 1234u);
  EXPECT_EQ(event.Constraints().event, 1234u);
  ReplayTarget count = ParseReplayTarget("@18446744073709551615");
  EXPECT_TRUE(count.is_count);
  EXPECT_EQ(count.value, UINT64_MAX);
  EXPECT_EQ(count.Constraints().instructions, UINT64_MAX);
}

TEST(ReplayTargets, AnythingElseIsAUsageError) {
  for (const char* bad : {"", "@", "-1", "12x", "0x10", "@ 5", "18446744073709551616", "@@3"}) {
    try {
      ParseReplayTarget(bad);
      ADD_FAILURE() << bad;
    } catch (const Error& e) {
      EXPECT_EQ(e.kind(), ErrorKind::kUsage) << bad;
      EXPECT_NE(std::string(e.what()).find("--to"), std::string::npos) << e.what();
    }
  }
}

TEST(ReplayTargets, CheckpointsSpreadEvenlyAndNeverAtZero) {
  EXPECT_EQ(SpreadCheckpoints(900, 8),
            (std::vector<uint64_t>{100, 200, 300, 400, 500, 600, 700, 800}));
  EXPECT_EQ(SpreadCheckpoints(3, 8), (std::vector<uint64_t>{1, 2}));
  EXPECT_TRUE(SpreadCheckpoints(0, 8).empty());
}

}  // namespace
}  // namespace vmrr
