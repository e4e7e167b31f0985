#include "vmm/boot_layout.h"

#include <gtest/gtest.h>

#include "base/error.h"

namespace vmrr {
namespace {

constexpr uint64_t kRamBase = 0x80000000;

TEST(BootLayout, KernelDtbAndInitrdDoNotOverlap) {
  const uint64_t ram = 1ull << 30;
  BootLayout l = PlanBoot(0, 40 << 20, kRamBase, ram, 5 << 20);
  EXPECT_EQ(l.kernel, kRamBase);
  EXPECT_EQ(l.kernel_end, kRamBase + (40 << 20));
  EXPECT_EQ(l.dtb, kRamBase + ram - (2 << 20));
  EXPECT_EQ(l.dtb % 8, 0u);
  EXPECT_EQ(l.initrd_end - l.initrd, 5u << 20);
  EXPECT_LE(l.initrd_end, l.dtb);
  EXPECT_GE(l.initrd, l.kernel_end);
  EXPECT_EQ(l.initrd % 4096, 0u);
}

TEST(BootLayout, TextOffsetIsHonoured) {
  BootLayout l = PlanBoot(0x80000, 8 << 20, kRamBase, 256 << 20, 0);
  EXPECT_EQ(l.kernel, kRamBase + 0x80000);
  EXPECT_EQ(l.entry, l.kernel);  // an Image starts where it is loaded
  EXPECT_EQ(l.initrd, 0u);
}

TEST(BootLayout, TooSmallNamesTheSizes) {
  try {
    PlanBoot(0, 60 << 20, kRamBase, 64 << 20, 8 << 20);
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::kInput);
    std::string what = e.what();
    EXPECT_NE(what.find("too small"), std::string::npos) << what;
    EXPECT_NE(what.find("60 MiB"), std::string::npos) << what;
    // 60 MiB kernel + 8 MiB initrd + 2 MiB device tree + 64 MiB of room.
    EXPECT_NE(what.find("use --mem 134M or more"), std::string::npos) << what;
  }
}

TEST(BootLayout, ExactFitIsAccepted) {
  // kernel 2 MiB + initrd 2 MiB + dtb 2 MiB in 6 MiB.
  BootLayout l = PlanBoot(0, 2 << 20, kRamBase, 6 << 20, 2 << 20);
  EXPECT_EQ(l.initrd, kRamBase + (2 << 20));
}

}  // namespace
}  // namespace vmrr
