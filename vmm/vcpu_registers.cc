#include "vmm/vcpu_registers.h"

namespace vmrr {

VcpuRegisters SaveVcpuRegisters(const KvmVcpu& vcpu, const std::function<bool(uint64_t)>& skip) {
  VcpuRegisters saved;
  for (uint64_t id : vcpu.RegisterList()) {
    if (skip && skip(id)) continue;
    saved.registers.push_back({id, vcpu.GetRegisterBytes(id)});
  }
  saved.mp_state = vcpu.GetMpState();
  return saved;
}

uint64_t RestoreVcpuRegisters(KvmVcpu& vcpu, const VcpuRegisters& saved) {
  uint64_t written = 0;
  for (const VcpuRegisters::Register& reg : saved.registers) {
    if (vcpu.GetRegisterBytes(reg.id) == reg.bytes) continue;
    vcpu.SetRegisterBytes(reg.id, reg.bytes);
    ++written;
  }
  if (vcpu.GetMpState() != saved.mp_state) vcpu.SetMpState(saved.mp_state);
  return written;
}

}  // namespace vmrr
