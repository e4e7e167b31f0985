#include "memory/guest_memory.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <limits>
#include <utility>
#include <vector>

namespace vmrr {
namespace {

constexpr uint64_t kBase = 0x80000000;
constexpr uint64_t kSize = 1 << 20;

TEST(GuestMemory, ContainsChecksWholeRange) {
  GuestMemory mem(kBase, kSize);
  EXPECT_TRUE(mem.Contains(kBase, kSize));
  EXPECT_TRUE(mem.Contains(kBase + kSize - 1, 1));
  EXPECT_FALSE(mem.Contains(kBase + kSize - 1, 2));
  EXPECT_FALSE(mem.Contains(kBase - 1, 1));
  EXPECT_FALSE(mem.Contains(kBase + kSize, 0));
  EXPECT_TRUE(mem.Contains(kBase, 0));
  EXPECT_FALSE(mem.Contains(0, 16));
}

TEST(GuestMemory, OverflowingRangesAreRejected) {
  GuestMemory mem(kBase, kSize);
  const uint64_t max = std::numeric_limits<uint64_t>::max();
  EXPECT_FALSE(mem.Contains(kBase + 16, max));
  EXPECT_FALSE(mem.Contains(max, 2));
  EXPECT_EQ(mem.Translate(kBase + 8, max - 4), nullptr);
}

TEST(GuestMemory, ReadWriteRoundTripAndBounds) {
  GuestMemory mem(kBase, kSize);
  uint32_t v = 0xdeadbeef;
  ASSERT_TRUE(mem.Store(kBase + 0x100, v));
  EXPECT_EQ(mem.Load<uint32_t>(kBase + 0x100).value(), 0xdeadbeefu);
  EXPECT_EQ(mem.host()[0x100], 0xef);  // little-endian
  EXPECT_FALSE(mem.Store(kBase + kSize - 2, v));
  EXPECT_FALSE(mem.Load<uint64_t>(kBase + kSize - 4).has_value());
  // A refused write changes nothing.
  EXPECT_EQ(mem.host()[kSize - 2], 0);
}

TEST(GuestMemory, TheWriteObserverSeesEveryWrittenRangeAfterTheWrite) {
  GuestMemory mem(kBase, kSize);
  std::vector<std::pair<uint64_t, std::vector<uint8_t>>> seen;
  mem.set_write_observer([&seen](uint64_t gpa, const uint8_t* data, uint64_t len) {
    seen.push_back({gpa, std::vector<uint8_t>(data, data + len)});
  });
  ASSERT_TRUE(mem.Store<uint16_t>(kBase + 2, 0x0201));
  EXPECT_FALSE(mem.Store<uint32_t>(kBase + kSize - 2, 1));  // refused: not seen
  mem.host()[0x40] = 7;              // a direct store through Translate() ...
  mem.NoteWritten(kBase + 0x40, 1);  // ... is seen when noted
  ASSERT_EQ(seen.size(), 2u);
  EXPECT_EQ(seen[0].first, kBase + 2);
  EXPECT_EQ(seen[0].second, (std::vector<uint8_t>{1, 2}));
  EXPECT_EQ(seen[1].first, kBase + 0x40);
  EXPECT_EQ(seen[1].second, std::vector<uint8_t>{7});
}

}  // namespace
}  // namespace vmrr
