#include "vmm/riscv64/sv_walk.h"

#include <gtest/gtest.h>

#include <map>

namespace vmrr::riscv64 {
namespace {

// Page tables in a map of physical addresses.
struct Tables {
  std::map<uint64_t, uint64_t> words;
  ReadPhysical64 reader() {
    return [this](uint64_t gpa) -> std::optional<uint64_t> {
      auto it = words.find(gpa);
      return it == words.end() ? std::optional<uint64_t>(0) : it->second;
    };
  }
  static uint64_t Pointer(uint64_t pa) { return (pa >> 12) << 10 | 1; }
  static uint64_t Leaf(uint64_t pa) { return (pa >> 12) << 10 | 0xf; }  // V R W X
};

constexpr uint64_t kSv39 = uint64_t{8} << 60;
constexpr uint64_t kSv48 = uint64_t{9} << 60;

TEST(SvWalk, Sv39PagesAndSuperpages) {
  Tables t;
  // Root at 0x1000; VA 0xffffffff80000000 (kernel) -> 2 MiB page at 0x80200000
  // through a level-1 table at 0x2000; VA 0x1000 -> a 4 KiB page at 0x5000.
  uint64_t kernel = 0xffffffff80000000;
  uint64_t vpn2 = (kernel >> 30) & 0x1ff, vpn1 = (kernel >> 21) & 0x1ff;
  t.words[0x1000 + vpn2 * 8] = Tables::Pointer(0x2000);
  t.words[0x2000 + vpn1 * 8] = Tables::Leaf(0x80200000);
  t.words[0x1000 + 0 * 8] = Tables::Pointer(0x3000);
  t.words[0x3000 + 0 * 8] = Tables::Pointer(0x4000);
  t.words[0x4000 + 1 * 8] = Tables::Leaf(0x5000);
  uint64_t satp = kSv39 | (0x1000 >> 12);
  EXPECT_EQ(TranslateVirtual(kernel + 0x1234, satp, t.reader()), 0x80201234u);
  EXPECT_EQ(TranslateVirtual(0x1abc, satp, t.reader()), 0x5abcu);
  EXPECT_FALSE(TranslateVirtual(0x2000, satp, t.reader()).has_value());
  // Not sign-extended from bit 38: not an Sv39 address.
  EXPECT_FALSE(TranslateVirtual(0x0000008000000000, satp, t.reader()).has_value());
  EXPECT_EQ(TranslateVirtual(0x1234, 0, t.reader()), 0x1234u);  // bare

  std::vector<std::pair<uint64_t, uint64_t>> found;
  ForEachMapping(satp, 0xffffffff80000000, ~uint64_t{0}, t.reader(),
                 [&](uint64_t va, uint64_t pa, uint64_t size) {
                   found.emplace_back(va, pa);
                   EXPECT_EQ(size, 2u << 20);
                   return true;
                 });
  EXPECT_EQ(found, (std::vector<std::pair<uint64_t, uint64_t>>{{kernel, 0x80200000}}));
}

TEST(SvWalk, Sv48) {
  Tables t;
  uint64_t va = 0xffff800000001000;
  t.words[0x1000 + ((va >> 39) & 0x1ff) * 8] = Tables::Pointer(0x2000);
  t.words[0x2000 + ((va >> 30) & 0x1ff) * 8] = Tables::Pointer(0x3000);
  t.words[0x3000 + ((va >> 21) & 0x1ff) * 8] = Tables::Pointer(0x4000);
  t.words[0x4000 + ((va >> 12) & 0x1ff) * 8] = Tables::Leaf(0x9000);
  uint64_t satp = kSv48 | 1;
  EXPECT_EQ(TranslateVirtual(va + 8, satp, t.reader()), 0x9008u);
  int mappings = 0;
  ForEachMapping(satp, 0, ~uint64_t{0}, t.reader(), [&](uint64_t v, uint64_t pa, uint64_t size) {
    EXPECT_EQ(v, va);
    EXPECT_EQ(pa, 0x9000u);
    EXPECT_EQ(size, 4096u);
    ++mappings;
    return true;
  });
  EXPECT_EQ(mappings, 1);
}

}  // namespace
}  // namespace vmrr::riscv64
