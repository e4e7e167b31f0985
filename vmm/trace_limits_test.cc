#include "vmm/trace_limits.h"

#include <gtest/gtest.h>
#include <sys/utsname.h>

#include "base/error.h"
#include "vmm/arm64/layout.h"
#include "vmm/guest_platform.h"
#include "vmm/probe_guest.h"
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

// Issue 19 item 9: on x86 it said "this host is neither".
TEST(TraceLimits, AnotherHostIsNamed) {
  utsname u{};
  ASSERT_EQ(uname(&u), 0);
  std::string machine = u.machine;
  std::string arch = ProbeArch();
  for (const char* trace_arch : {"arm64", "riscv64"}) {
    if (arch == trace_arch) {
      EXPECT_NO_THROW(CheckThisHostReplays("t.vmrr", trace_arch));
      continue;
    }
    try {
      CheckThisHostReplays("t.vmrr", trace_arch);
      FAIL() << trace_arch;
    } catch (const Error& e) {
      EXPECT_EQ(e.kind(), ErrorKind::kInput);
      std::string want =
          "t.vmrr was recorded on " + std::string(trace_arch) + "; this host is " +
          (arch.empty() ? machine + " (vmrr replays on arm64 and riscv64 KVM hosts)" : arch);
      EXPECT_EQ(std::string(e.what()), want);
      EXPECT_EQ(std::string(e.what()).find("neither"), std::string::npos);
    }
  }
}

TEST(TraceLimits, ThisHostHasSomeRam) {
  HostLimits limits = ThisHostLimits();
  EXPECT_GT(limits.ram_bytes, kMinGuestMemBytes);
  EXPECT_LE(limits.ram_bytes, kMaxGuestMemBytes);
}

}  // namespace
}  // namespace vmrr
