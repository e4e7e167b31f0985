#include "vmm/probe_guest.h"

#include <cstring>

#include "vmm/probe_loop.h"

namespace vmrr {

std::pair<KvmVm, Mapping> CreateProbeVm(const KvmSystem& kvm, const uint32_t* code, size_t words,
                                        unsigned long vm_type) {
  KvmVm vm = KvmVm::Create(kvm, vm_type);
  // Fresh pages for every probe VM: QEMU's TCG can run stale translations
  // when guest code is rewritten in place (research/arm64.md).
  Mapping memory = Mapping::Anonymous(kProbeCodeSize);
  std::memcpy(memory.data(), code, words * sizeof(uint32_t));
  vm.SetUserMemoryRegion(0, kProbeCodeGpa, memory.data(), memory.size());
  return {std::move(vm), std::move(memory)};
}

}  // namespace vmrr
