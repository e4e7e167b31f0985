#include "vmm/guest_memory.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <limits>

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

}  // namespace
}  // namespace vmrr
