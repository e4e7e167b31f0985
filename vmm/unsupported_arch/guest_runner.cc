#include "vmm/guest_runner.h"

#include "vmm/base/error.h"

namespace vmrr {

RunOutcome RunGuest(const RunOptions&) {
  throw Error(ErrorKind::kUnsupported, "vmrr runs guests only on arm64 and riscv64 KVM hosts");
}

}  // namespace vmrr
