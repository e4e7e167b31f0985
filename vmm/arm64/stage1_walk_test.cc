#include "vmm/arm64/stage1_walk.h"

#include <gtest/gtest.h>

#include <map>

namespace vmrr::arm64 {
namespace {

// TCR_EL1 as arm64 Linux sets it with 48-bit VAs and 4 KB pages.
constexpr uint64_t kTcr48 = 16 | (16ull << 16) | (2ull << 30);

struct Tables {
  std::map<uint64_t, uint64_t> words;
  ReadPhysical64 Reader() {
    return [this](uint64_t gpa) -> std::optional<uint64_t> {
      auto it = words.find(gpa);
      if (it == words.end()) return std::nullopt;
      return it->second;
    };
  }
};

uint64_t Index(uint64_t va, int level) { return (va >> (12 + 9 * (3 - level))) & 0x1ff; }

TEST(Stage1WalkTest, FourLevelPageOfAKernelAddress) {
  Tables t;
  uint64_t va = 0xffff800080123456ull;
  Stage1Registers regs{0, 0x40001000, kTcr48};
  t.words[0x40001000 + Index(va, 0) * 8] = 0x40002000 | 3;
  t.words[0x40002000 + Index(va, 1) * 8] = 0x40003000 | 3;
  t.words[0x40003000 + Index(va, 2) * 8] = 0x40004000 | 3;
  t.words[0x40004000 + Index(va, 3) * 8] = 0x4567f000 | 0x703;  // page, attributes set
  EXPECT_EQ(TranslateVirtual(va, regs, t.Reader()), 0x4567f456u);
}

TEST(Stage1WalkTest, TwoMegabyteBlock) {
  Tables t;
  uint64_t va = 0xffff800080323456ull;
  Stage1Registers regs{0, 0x40001000, kTcr48};
  t.words[0x40001000 + Index(va, 0) * 8] = 0x40002000 | 3;
  t.words[0x40002000 + Index(va, 1) * 8] = 0x40003000 | 3;
  t.words[0x40003000 + Index(va, 2) * 8] = 0x48200000 | 1;  // block
  EXPECT_EQ(TranslateVirtual(va, regs, t.Reader()), 0x48323456u);
}

TEST(Stage1WalkTest, LowerHalfUsesTtbr0) {
  Tables t;
  uint64_t va = 0x0000aaaa00001008ull;
  Stage1Registers regs{0x50000000, 0x40001000, kTcr48};
  t.words[0x50000000 + Index(va, 0) * 8] = 0x50001000 | 3;
  t.words[0x50001000 + Index(va, 1) * 8] = 0x50002000 | 3;
  t.words[0x50002000 + Index(va, 2) * 8] = 0x50003000 | 3;
  t.words[0x50003000 + Index(va, 3) * 8] = 0x60000000 | 3;
  EXPECT_EQ(TranslateVirtual(va, regs, t.Reader()), 0x60000008u);
}

TEST(Stage1WalkTest, UnmappedNonCanonicalAndOtherGranulesFail) {
  Tables t;
  uint64_t va = 0xffff800080123456ull;
  Stage1Registers regs{0, 0x40001000, kTcr48};
  EXPECT_EQ(TranslateVirtual(va, regs, t.Reader()), std::nullopt) << "no table in RAM";
  t.words[0x40001000 + Index(va, 0) * 8] = 0;  // invalid descriptor
  EXPECT_EQ(TranslateVirtual(va, regs, t.Reader()), std::nullopt);
  EXPECT_EQ(TranslateVirtual(0xfff0800080123456ull, regs, t.Reader()), std::nullopt);
  Stage1Registers k64 = regs;
  k64.tcr = 16 | (16ull << 16) | (3ull << 30);  // TG1: 64 KB
  EXPECT_EQ(TranslateVirtual(va, k64, t.Reader()), std::nullopt);
}

TEST(Stage1WalkTest, ThirtyNineBitAddressesStartAtLevelOne) {
  Tables t;
  uint64_t va = 0xffffffc000201000ull;
  Stage1Registers regs{0, 0x40001000, 25 | (25ull << 16) | (2ull << 30)};
  t.words[0x40001000 + Index(va, 1) * 8] = 0x40003000 | 3;
  t.words[0x40003000 + Index(va, 2) * 8] = 0x40004000 | 3;
  t.words[0x40004000 + Index(va, 3) * 8] = 0x41000000 | 3;
  EXPECT_EQ(TranslateVirtual(va, regs, t.Reader()), 0x41000000u);
}

TEST(Stage1WalkTest, TheUpperRangesMappingsAreListed) {
  Tables t;
  // The kernel image, a 2 MiB block at 0xffff800080000000 -> 0x40200000,
  // and a 4 KiB page at 0xffff000000001000 (below the searched range).
  uint64_t image = 0xffff800080000000ull;
  Stage1Registers regs{0, 0x40001000, kTcr48};
  t.words[0x40001000 + Index(image, 0) * 8] = 0x40002000 | 3;
  t.words[0x40002000 + Index(image, 1) * 8] = 0x40003000 | 3;
  t.words[0x40003000 + Index(image, 2) * 8] = 0x40200000 | 1;  // a block
  uint64_t low = 0xffff000000001000ull;
  t.words[0x40001000 + Index(low, 0) * 8] = 0x40005000 | 3;
  t.words[0x40005000 + Index(low, 1) * 8] = 0x40006000 | 3;
  t.words[0x40006000 + Index(low, 2) * 8] = 0x40007000 | 3;
  t.words[0x40007000 + Index(low, 3) * 8] = 0x40008000 | 3;
  std::vector<std::pair<uint64_t, uint64_t>> found;
  ForEachUpperMapping(regs, 0xffff800000000000ull, ~0ull, t.Reader(),
                      [&](uint64_t va, uint64_t pa, uint64_t size) {
                        found.emplace_back(va, pa);
                        EXPECT_EQ(size, 2u << 20);
                        return true;
                      });
  EXPECT_EQ(found, (std::vector<std::pair<uint64_t, uint64_t>>{{image, 0x40200000}}));
  int all = 0;
  ForEachUpperMapping(regs, 0, ~0ull, t.Reader(), [&](uint64_t, uint64_t, uint64_t) {
    ++all;
    return true;
  });
  EXPECT_EQ(all, 2);
}

}  // namespace
}  // namespace vmrr::arm64
