// Snapshots of guest RAM taken at random moments between random writes,
// restored in random order: RAM must equal a full copy taken at the same
// moment, whatever the history of takes and restores in between.
#include "memory/memory_snapshots.h"

#include <gtest/gtest.h>

#include <random>

namespace vmrr {
namespace {

constexpr uint64_t kPages = 64;

struct Rig {
  GuestMemory memory{0x1000000, kPages* PageSet::kPageSize};
  MemorySnapshots snapshots{memory};

  // A write through the VMM (marked as the write observer would).
  void Write(std::mt19937_64& rng) {
    uint64_t offset = rng() % (memory.size() - 100);
    uint64_t len = 1 + rng() % 99;
    std::vector<uint8_t> bytes(len);
    for (uint8_t& b : bytes) b = static_cast<uint8_t>(rng());
    ASSERT_TRUE(memory.Write(memory.base() + offset, bytes.data(), len));
    snapshots.written().AddRange(offset, len);
  }
  std::vector<uint8_t> Copy() const {
    return std::vector<uint8_t>(memory.host(), memory.host() + memory.size());
  }
};

TEST(PageSetTest, RangesBitmapsAndPages) {
  PageSet set(100);
  set.AddRange(4095, 2);               // pages 0 and 1
  set.AddRange(99 * 4096, 10 * 4096);  // page 99 only: the rest is past RAM
  EXPECT_EQ(set.Pages(), (std::vector<uint64_t>{0, 1, 99}));
  set.AddBitmap({uint64_t{1} << 5, ~uint64_t{0}});  // the second word's padding is not pages
  EXPECT_TRUE(set.Contains(5));
  EXPECT_TRUE(set.Contains(99));
  EXPECT_FALSE(set.Contains(100));
  EXPECT_EQ(set.Pages().size(), 3u + 36u);
  set.Clear();
  EXPECT_TRUE(set.empty());
}

TEST(MemorySnapshotsTest, TakesOnlyWrittenPages) {
  Rig rig;
  uint8_t byte = 7;
  rig.memory.Write(rig.memory.base() + 3 * 4096, &byte, 1);
  rig.snapshots.written().AddRange(3 * 4096, 1);
  auto first = rig.snapshots.Take();
  EXPECT_EQ(first->own_pages(), 1u);
  auto second = rig.snapshots.Take();
  EXPECT_EQ(second->own_pages(), 0u);
}

TEST(MemorySnapshotsTest, PagesWrittenBackToTheirOldBytesAreNotKept) {
  Rig rig;
  uint8_t one = 1, zero = 0;
  rig.memory.Write(rig.memory.base() + 5 * 4096, &one, 1);
  rig.snapshots.written().AddRange(5 * 4096, 1);
  rig.snapshots.written().AddRange(9 * 4096, 1);  // marked, still all zero
  auto first = rig.snapshots.Take();
  EXPECT_EQ(first->own_pages(), 1u);
  rig.memory.Write(rig.memory.base() + 5 * 4096, &zero, 1);
  rig.memory.Write(rig.memory.base() + 5 * 4096, &one, 1);  // back as it was
  rig.snapshots.written().AddRange(5 * 4096, 1);
  EXPECT_EQ(rig.snapshots.Take()->own_pages(), 0u);
}

TEST(MemorySnapshotsTest, RestoreRewritesOnlyWhatDiffers) {
  Rig rig;
  auto empty = rig.snapshots.Take();
  uint8_t byte = 1;
  rig.memory.Write(rig.memory.base(), &byte, 1);
  rig.snapshots.written().AddRange(0, 1);
  EXPECT_EQ(rig.snapshots.Restore(empty), 1u);
  EXPECT_EQ(rig.memory.host()[0], 0);
  EXPECT_EQ(rig.snapshots.Restore(empty), 0u);
}

TEST(MemorySnapshotsTest, RandomTakesAndRestoresMatchFullCopies) {
  for (uint32_t seed = 1; seed <= 20; ++seed) {
    std::mt19937_64 rng(seed);
    Rig rig;
    std::vector<std::pair<std::shared_ptr<const MemorySnapshot>, std::vector<uint8_t>>> taken;
    for (int round = 0; round < 60; ++round) {
      for (uint64_t n = rng() % 6; n > 0; --n) rig.Write(rng);
      switch (rng() % 3) {
        case 0:
          taken.emplace_back(rig.snapshots.Take(), rig.Copy());
          break;
        case 1:
          if (!taken.empty()) {
            auto& [snapshot, copy] = taken[rng() % taken.size()];
            rig.snapshots.Restore(snapshot);
            ASSERT_EQ(rig.Copy(), copy) << "seed " << seed << " round " << round;
          }
          break;
        default:
          break;
      }
    }
    // Every snapshot, last to first, then in random order.
    for (auto it = taken.rbegin(); it != taken.rend(); ++it) {
      rig.snapshots.Restore(it->first);
      ASSERT_EQ(rig.Copy(), it->second) << "seed " << seed;
    }
    for (int i = 0; i < 20 && !taken.empty(); ++i) {
      auto& [snapshot, copy] = taken[rng() % taken.size()];
      rig.Write(rng);
      rig.snapshots.Restore(snapshot);
      ASSERT_EQ(rig.Copy(), copy) << "seed " << seed;
    }
  }
}

}  // namespace
}  // namespace vmrr
