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

// The unit tests run where vmrr cannot make a guest VM (the x86 build host):
// no time control, and the note says why.  The rig's doctor test checks the
// stock and patched hosts.
TEST(KvmHostProbe, NoHostTimeControlWithoutAGuestVm) {
  KvmHostProbe probe;
  std::string note;
  EXPECT_FALSE(probe.HostTimeControl(&note));
  EXPECT_NE(note.find("cannot create a VM"), std::string::npos) << note;
}

}  // namespace
}  // namespace vmrr
