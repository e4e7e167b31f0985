// A tiny VM running the probe loop (probe_loop.h) on one vCPU.  The generic
// part (memory, vCPU, run) is here; each architecture provides
// CreateProbeGuest (vmm/<arch>/probe_guest.cc) for vCPU setup and registers.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "base/mapping.h"
#include "vmm/kvm.h"

namespace vmrr {

class ProbeGuest {
 public:
  virtual ~ProbeGuest() = default;

  KvmVcpu& vcpu() { return vcpu_; }
  // Where the loop stands: (PC, loop counter register).
  virtual std::pair<uint64_t, uint64_t> PcAndCounter() = 0;
  virtual void EnableSingleStep(bool on) = 0;

 protected:
  ProbeGuest(KvmVm vm, Mapping memory, KvmVcpu vcpu)
      : vm_(std::move(vm)), memory_(std::move(memory)), vcpu_(std::move(vcpu)) {}

  KvmVm vm_;
  Mapping memory_;
  KvmVcpu vcpu_;
};

// Implemented once per architecture.  `n` is the loop's iteration count.
std::unique_ptr<ProbeGuest> CreateProbeGuest(const KvmSystem& kvm, uint64_t n);

// The architecture this binary drives ("arm64", "riscv64", or "" if none).
std::string ProbeArch();

// KVM capabilities worth reporting on this architecture.
std::vector<std::pair<std::string, long>> ArchCapabilities();

// Shared by the architectures: a VM with the loop code at kProbeCodeGpa.
std::pair<KvmVm, Mapping> CreateProbeVm(const KvmSystem& kvm, const uint32_t* code, size_t words,
                                        unsigned long vm_type = 0);

}  // namespace vmrr
