// riscv64 probe guest: one vCPU in VS-mode, pc at the loop, a4 = N, t0 = MMIO GPA.
#include "vmm/probe_guest.h"

#include <asm/kvm.h>

#include <cstddef>

#include "vmm/probe_loop.h"

namespace vmrr {

namespace {

constexpr uint64_t CoreReg(size_t offset) {
  return KVM_REG_RISCV | KVM_REG_SIZE_U64 | KVM_REG_RISCV_CORE | (offset / sizeof(unsigned long));
}

constexpr uint64_t kPc = CoreReg(offsetof(kvm_riscv_core, regs.pc));
constexpr uint64_t kA0 = CoreReg(offsetof(kvm_riscv_core, regs.a0));
constexpr uint64_t kA4 = CoreReg(offsetof(kvm_riscv_core, regs.a4));
constexpr uint64_t kT0 = CoreReg(offsetof(kvm_riscv_core, regs.t0));

class Riscv64ProbeGuest : public ProbeGuest {
 public:
  Riscv64ProbeGuest(KvmVm vm, Mapping memory, KvmVcpu vcpu)
      : ProbeGuest(std::move(vm), std::move(memory), std::move(vcpu)) {}

  std::pair<uint64_t, uint64_t> PcAndCounter() override {
    return {vcpu_.GetOneReg(kPc), vcpu_.GetOneReg(kA0)};
  }

  // KVM/riscv accepts SINGLESTEP and ignores it (research/riscv64.md); the
  // doctor measures that rather than assuming it.
  void EnableSingleStep(bool on) override {
    vcpu_.SetGuestDebug(on ? KVM_GUESTDBG_ENABLE | KVM_GUESTDBG_SINGLESTEP : 0);
  }
};

}  // namespace

std::unique_ptr<ProbeGuest> CreateProbeGuest(const KvmSystem& kvm, uint64_t n) {
  LoopCode code = Riscv64LoopCode();
  auto [vm, memory] = CreateProbeVm(kvm, code.data(), code.size());
  KvmVcpu vcpu = KvmVcpu::Create(vm, 0);
  vcpu.SetOneReg(kPc, kProbeCodeGpa);
  vcpu.SetOneReg(kA4, n);
  vcpu.SetOneReg(kT0, kProbeMmioGpa);
  return std::make_unique<Riscv64ProbeGuest>(std::move(vm), std::move(memory), std::move(vcpu));
}

std::string ProbeArch() { return "riscv64"; }

std::vector<std::pair<std::string, long>> ArchCapabilities() {
  return {
      {"ONE_REG", KVM_CAP_ONE_REG},
      {"SET_GUEST_DEBUG", KVM_CAP_SET_GUEST_DEBUG},
      {"IMMEDIATE_EXIT", KVM_CAP_IMMEDIATE_EXIT},
      {"READONLY_MEM", KVM_CAP_READONLY_MEM},
      {"IRQCHIP", KVM_CAP_IRQCHIP},
      {"MP_STATE", KVM_CAP_MP_STATE},
      {"BINARY_STATS_FD", KVM_CAP_BINARY_STATS_FD},
  };
}

}  // namespace vmrr
