#include "vmm/cpu_registers.h"

#include <cstdio>

namespace vmrr {

namespace {

std::string Hex(uint64_t value) {
  char text[24];
  std::snprintf(text, sizeof(text), "%#llx", static_cast<unsigned long long>(value));
  return text;
}

}  // namespace

std::vector<CpuRegister> ReadCpuRegisters(const std::vector<CpuRegisterSpec>& specs,
                                          const OneRegGet& get) {
  std::vector<CpuRegister> registers;
  for (const CpuRegisterSpec& spec : specs) {
    if (std::optional<uint64_t> value = get(spec.id)) {
      registers.push_back(CpuRegister{spec.name, spec.id, *value, spec.settable});
    }
  }
  return registers;
}

std::string PresentCpuRegisters(const std::vector<CpuRegister>& recorded, const OneRegGet& get,
                                const OneRegSet& set) {
  for (const CpuRegister& reg : recorded) {
    std::optional<uint64_t> here = get(reg.id);
    if (!here) return "this host's KVM has no " + reg.name + " (recorded " + Hex(reg.value) + ")";
    if (*here == reg.value) continue;
    if (!reg.settable) {
      return reg.name + " is " + Hex(*here) + " on this host, " + Hex(reg.value) +
             " where it was recorded (another CPU)";
    }
    if (!set(reg.id, reg.value) || get(reg.id) != reg.value) {
      return reg.name + " cannot be set to the recorded " + Hex(reg.value) +
             " on this host (it has " + Hex(*here) +
             "): the recording's CPU had features this one " + "lacks";
    }
  }
  return "";
}

std::vector<CpuRegister> ReadCpuRegisters(const std::vector<CpuRegisterSpec>& specs,
                                          const KvmVcpu& vcpu) {
  return ReadCpuRegisters(specs, [&vcpu](uint64_t id) { return vcpu.TryGetOneReg(id); });
}

std::string PresentCpuRegisters(const std::vector<CpuRegister>& recorded,
                                std::vector<KvmVcpu>& vcpus) {
  for (KvmVcpu& vcpu : vcpus) {
    std::string why = PresentCpuRegisters(
        recorded, [&vcpu](uint64_t id) { return vcpu.TryGetOneReg(id); },
        [&vcpu](uint64_t id, uint64_t value) { return vcpu.TrySetOneReg(id, value); });
    if (!why.empty()) return why;
  }
  return "";
}

}  // namespace vmrr
