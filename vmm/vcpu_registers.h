// Every register of a KVM vCPU, saved and put back (replay's checkpoints):
// the list KVM_GET_REG_LIST gives, each register's bytes, and the vCPU's
// MP state (a vCPU the guest powered off is stopped).  Restoring writes
// only the registers whose value differs: identification registers, which
// KVM no longer lets change once the vCPU has run, keep their value anyway.
#pragma once

#include <cstdint>
#include <functional>
#include <vector>

#include "vmm/kvm.h"

namespace vmrr {

struct VcpuRegisters {
  struct Register {
    uint64_t id = 0;
    std::vector<uint8_t> bytes;
  };
  std::vector<Register> registers;
  uint32_t mp_state = 0;
};

// `skip(id)` true: not saved (a register the VMM owns the meaning of, such
// as a host counter the guest never reads under vmrr).
VcpuRegisters SaveVcpuRegisters(const KvmVcpu& vcpu, const std::function<bool(uint64_t)>& skip);
// Returns how many registers it wrote.  Throws Error naming the register
// KVM refused.
uint64_t RestoreVcpuRegisters(KvmVcpu& vcpu, const VcpuRegisters& saved);

}  // namespace vmrr
