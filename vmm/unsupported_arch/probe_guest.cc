// Hosts that are neither arm64 nor riscv64 (the x86_64 build machine): vmrr
// still builds (for unit tests and trace inspection) but drives no KVM guest.
#include "vmm/probe_guest.h"

#include "base/error.h"

namespace vmrr {

std::unique_ptr<ProbeGuest> CreateProbeGuest(const KvmSystem&, uint64_t) {
  throw Error(ErrorKind::kUnsupported, "vmrr drives KVM guests only on arm64 and riscv64 hosts");
}

std::string ProbeArch() { return ""; }

std::vector<std::pair<std::string, long>> ArchCapabilities() { return {}; }

}  // namespace vmrr
