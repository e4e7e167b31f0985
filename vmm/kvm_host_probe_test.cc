#include "vmm/kvm_host_probe.h"

#include <gtest/gtest.h>
#include <sys/utsname.h>

namespace vmrr {
namespace {

TEST(KvmHostProbe, KernelReleaseIsUname) {
  KvmHostProbe probe;
  utsname u{};
  uname(&u);
  EXPECT_EQ(probe.KernelRelease(), u.release);
  EXPECT_FALSE(probe.Arch().empty());
}

TEST(KvmHostProbe, StockKvmHasNoHostTimeControl) {
  KvmHostProbe probe;
  std::string note;
  EXPECT_FALSE(probe.HostTimeControl(&note));
  EXPECT_NE(note.find("stock KVM"), std::string::npos);
}

}  // namespace
}  // namespace vmrr
