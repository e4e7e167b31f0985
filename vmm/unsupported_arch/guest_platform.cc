#include "vmm/guest_platform.h"

#include "base/error.h"

namespace vmrr {

GuestPlatform GuestPlatform::Create(const KvmSystem&, uint64_t, int, bool) {
  throw Error(ErrorKind::kUnsupported, "vmrr runs guests only on arm64 and riscv64 KVM hosts");
}

}  // namespace vmrr
