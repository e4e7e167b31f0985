#include "vmm/trace_limits.h"

#include <sys/sysinfo.h>
#include <sys/utsname.h>

#include <algorithm>

#include "base/error.h"
#include "base/printable.h"
#include "vmm/probe_guest.h"

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

void CheckThisHostReplays(const std::string& path, const std::string& trace_arch) {
  std::string arch = ProbeArch();
  if (trace_arch == arch) return;
  std::string host = arch;
  if (host.empty()) {
    utsname u{};
    host = std::string(uname(&u) == 0 ? u.machine : "another architecture") +
           " (vmrr replays on arm64 and riscv64 KVM hosts)";
  }
  throw Error(ErrorKind::kInput,
              path + " was recorded on " + Printable(trace_arch) + "; this host is " + host);
}

}  // namespace vmrr
