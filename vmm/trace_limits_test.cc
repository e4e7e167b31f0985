#include "vmm/trace_limits.h"

#include <gtest/gtest.h>

#include "vmm/arm64/layout.h"
#include "vmm/guest_platform.h"
#include "vmm/riscv64/layout.h"
#include "vmm/run_options.h"

namespace vmrr {
namespace {

// replay/trace_validation.h keeps what it checks traces against; these are
// the machines' own constants.
TEST(TraceLimits, ArchFactsAgreeWithTheMachines) {
  const ArchFacts* arm64 = FindArch("arm64");
  ASSERT_NE(arm64, nullptr);
  EXPECT_EQ(arm64->ram_base, arm64::kRamBase);
  EXPECT_EQ(arm64->device_lines, arm64::kGicSpiCount);
  EXPECT_FALSE(arm64->lines_per_cpu);
  EXPECT_EQ(arm64->timers_per_cpu, 2u);  // Arm64Exits::timer_count()
  const ArchFacts* riscv64 = FindArch("riscv64");
  ASSERT_NE(riscv64, nullptr);
  EXPECT_EQ(riscv64->ram_base, riscv64::kRamBase);
  EXPECT_TRUE(riscv64->lines_per_cpu);
  EXPECT_EQ(riscv64->timers_per_cpu, 1u);  // Riscv64Exits::timer_count()
  EXPECT_EQ(kTimerLineBase, GuestMachine::kTimerLine);
  EXPECT_EQ(FindArch("x86_64"), nullptr);
}

TEST(TraceLimits, RecordAndReplayAgreeOnTheMachine) {
  EXPECT_EQ(RunOptions{}.mem_bytes % kGuestMemGranule, 0u);
}

TEST(TraceLimits, ThisHostHasSomeRam) {
  HostLimits limits = ThisHostLimits();
  EXPECT_GT(limits.ram_bytes, kMinGuestMemBytes);
  EXPECT_LE(limits.ram_bytes, kMaxGuestMemBytes);
}

}  // namespace
}  // namespace vmrr
