#include "vmm/trace_limits.h"

#include <sys/sysinfo.h>

#include <algorithm>

namespace vmrr {

HostLimits ThisHostLimits() {
  HostLimits limits;
  struct sysinfo info{};
  if (sysinfo(&info) == 0) {
    // Guest RAM is mapped lazily, but a guest that touches more than the
    // host has would be killed mid-replay: refuse it up front.
    uint64_t host = static_cast<uint64_t>(info.totalram) * info.mem_unit;
    limits.ram_bytes = std::min(limits.ram_bytes, host);
  }
  return limits;
}

}  // namespace vmrr
