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

}  // namespace
}  // namespace vmrr::arm64
