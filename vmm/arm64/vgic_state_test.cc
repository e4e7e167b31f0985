#include "vmm/arm64/vgic_state.h"

#include <gtest/gtest.h>

#include <set>

namespace vmrr::arm64 {
namespace {

TEST(VgicStateTest, MpidrFieldPacksTheAffinities) {
  EXPECT_EQ(VgicMpidrField(0x80000000), 0u);  // vCPU 0: MPIDR_EL1 with only RES1 set
  EXPECT_EQ(VgicMpidrField(0x0000000100020304), uint64_t{0x01020304} << 32);
}

TEST(VgicStateTest, CoversEverySpiAndEachCpuOnce) {
  std::vector<VgicRegister> regs = VgicRegisters(64, {0x80000000, 0x80000001});
  std::set<std::pair<uint32_t, uint64_t>> seen;
  for (const VgicRegister& r : regs) {
    EXPECT_TRUE(seen.insert({static_cast<uint32_t>(r.group), r.attr}).second)
        << "attr " << std::hex << r.attr << " twice";
  }
  auto has = [&seen](VgicGroup g, uint64_t attr) {
    return seen.count({static_cast<uint32_t>(g), attr}) > 0;
  };
  // The last SPI's router (intid 95) and its priority word, not one more.
  EXPECT_TRUE(has(VgicGroup::kDistRegs, 0x6000 + 95 * 8));
  EXPECT_FALSE(has(VgicGroup::kDistRegs, 0x6000 + 96 * 8));
  EXPECT_TRUE(has(VgicGroup::kDistRegs, 0x400 + 92));
  EXPECT_TRUE(has(VgicGroup::kLevelInfo, 64));
  // vCPU 1's pending PPIs and its PMR.
  EXPECT_TRUE(has(VgicGroup::kRedistRegs, (uint64_t{1} << 32) | 0x10200));
  EXPECT_TRUE(has(VgicGroup::kCpuSysregs, (uint64_t{1} << 32) | (3 << 14 | 4 << 7 | 6 << 3)));
  // The distributor's control register is restored last.
  EXPECT_EQ(regs.back().group, VgicGroup::kDistRegs);
  EXPECT_EQ(regs.back().attr, 0u);
}

TEST(VgicStateTest, SetClearPairsClearBeforeSetting) {
  for (const VgicRegister& r : VgicRegisters(32, {0})) {
    if (r.clear_attr == 0) continue;
    // ISENABLER/ICENABLER and ISACTIVER/ICACTIVER are 0x80 apart.
    EXPECT_EQ(r.clear_attr, r.attr + 0x80);
  }
}

}  // namespace
}  // namespace vmrr::arm64
