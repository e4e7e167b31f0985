#include "vmm/riscv64/isa_string.h"

#include <gtest/gtest.h>

namespace vmrr::riscv64 {
namespace {

uint64_t Letters(const std::string& s) {
  uint64_t bits = 0;
  for (char c : s) bits |= uint64_t{1} << (c - 'a');
  return bits;
}

TEST(IsaString, CanonicalOrderAndHiding) {
  std::string isa = BuildIsaString(Letters("acdfhim"), {"zifencei", "sstc", "zicsr", "sscofpmf"},
                                   HiddenExtensions());
  EXPECT_EQ(isa, "rv64imafdc_zicsr_zifencei_sstc");
}

TEST(IsaString, NothingHidden) {
  EXPECT_EQ(BuildIsaString(Letters("ih"), {"zkr"}, {}), "rv64ih_zkr");
}

TEST(IsaString, DuplicatesCollapse) {
  EXPECT_EQ(BuildIsaString(Letters("i"), {"zba", "zba"}, {}), "rv64i_zba");
}

}  // namespace
}  // namespace vmrr::riscv64
