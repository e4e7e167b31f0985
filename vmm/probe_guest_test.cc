#include "vmm/probe_guest.h"

#include <gtest/gtest.h>

namespace vmrr {
namespace {

// Running a probe VM needs KVM: the rig's doctor test covers that.  Here:
// the per-arch hooks are consistent with each other.
TEST(ProbeGuest, ArchHooksAgree) {
  std::string arch = ProbeArch();
  if (arch.empty()) {
    EXPECT_TRUE(ArchCapabilities().empty());
  } else {
    EXPECT_FALSE(ArchCapabilities().empty());
  }
}

TEST(ProbeGuest, CapabilityNamesAreUnique) {
  auto caps = ArchCapabilities();
  for (size_t i = 0; i < caps.size(); ++i) {
    for (size_t j = i + 1; j < caps.size(); ++j) EXPECT_NE(caps[i].first, caps[j].first);
  }
}

}  // namespace
}  // namespace vmrr
