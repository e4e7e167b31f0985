#include "vmm/kvm.h"

#include <gtest/gtest.h>

#include "base/error.h"

namespace vmrr {
namespace {

TEST(KvmSystem, MissingDeviceIsUnsupportedWithItsPath) {
  try {
    KvmSystem::Open("/nonexistent/kvm");
    FAIL() << "expected an Error";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::kUnsupported);
    EXPECT_NE(std::string(e.what()).find("/nonexistent/kvm"), std::string::npos);
    EXPECT_NE(std::string(e.what()).find("no KVM"), std::string::npos);
  }
}

TEST(KvmSystem, NonKvmDeviceIsRejected) {
  // /dev/null opens but answers no KVM ioctl: not a usable KVM.
  EXPECT_THROW(KvmSystem::Open("/dev/null"), Error);
}

TEST(ExitReasonName, KnownAndUnknown) {
  EXPECT_EQ(ExitReasonName(KVM_EXIT_MMIO), "MMIO");
  EXPECT_EQ(ExitReasonName(KVM_EXIT_DEBUG), "DEBUG");
  EXPECT_EQ(ExitReasonName(9999), "exit 9999");
}

}  // namespace
}  // namespace vmrr
