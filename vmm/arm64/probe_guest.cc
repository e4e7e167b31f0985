// arm64 probe guest: one vCPU at EL1h, PC at the loop, x4 = N, x2 = MMIO GPA.
#include "vmm/probe_guest.h"

#include <asm/kvm.h>
#include <sys/ioctl.h>

#include <cstddef>

#include "base/error.h"
#include "vmm/probe_loop.h"

namespace vmrr {

namespace {

constexpr uint64_t CoreReg(size_t offset) {
  return KVM_REG_ARM64 | KVM_REG_SIZE_U64 | KVM_REG_ARM_CORE | (offset / sizeof(uint32_t));
}

constexpr uint64_t XReg(int n) {
  return CoreReg(offsetof(kvm_regs, regs.regs) + static_cast<size_t>(n) * sizeof(uint64_t));
}

constexpr uint64_t kPc = CoreReg(offsetof(kvm_regs, regs.pc));

class Arm64ProbeGuest : public ProbeGuest {
 public:
  Arm64ProbeGuest(KvmVm vm, Mapping memory, KvmVcpu vcpu)
      : ProbeGuest(std::move(vm), std::move(memory), std::move(vcpu)) {}

  std::pair<uint64_t, uint64_t> PcAndCounter() override {
    return {vcpu_.GetOneReg(kPc), vcpu_.GetOneReg(XReg(0))};
  }

  void EnableSingleStep(bool on) override {
    vcpu_.SetGuestDebug(on ? KVM_GUESTDBG_ENABLE | KVM_GUESTDBG_SINGLESTEP : 0);
  }
};

}  // namespace

std::unique_ptr<ProbeGuest> CreateProbeGuest(const KvmSystem& kvm, uint64_t n) {
  LoopCode code = Arm64LoopCode();
  auto [vm, memory] = CreateProbeVm(kvm, code.data(), code.size());
  KvmVcpu vcpu = KvmVcpu::Create(vm, 0);
  kvm_vcpu_init init{};
  if (ioctl(vm.fd(), KVM_ARM_PREFERRED_TARGET, &init) < 0) ThrowErrno("KVM_ARM_PREFERRED_TARGET");
  if (ioctl(vcpu.fd(), KVM_ARM_VCPU_INIT, &init) < 0) ThrowErrno("KVM_ARM_VCPU_INIT");
  vcpu.SetOneReg(kPc, kProbeCodeGpa);
  vcpu.SetOneReg(XReg(4), n);
  vcpu.SetOneReg(XReg(2), kProbeMmioGpa);
  return std::make_unique<Arm64ProbeGuest>(std::move(vm), std::move(memory), std::move(vcpu));
}

std::string ProbeArch() { return "arm64"; }

std::vector<std::pair<std::string, long>> ArchCapabilities() {
  return {
      {"ONE_REG", KVM_CAP_ONE_REG},
      {"SET_GUEST_DEBUG", KVM_CAP_SET_GUEST_DEBUG},
      {"IMMEDIATE_EXIT", KVM_CAP_IMMEDIATE_EXIT},
      {"READONLY_MEM", KVM_CAP_READONLY_MEM},
      {"IRQCHIP", KVM_CAP_IRQCHIP},
      {"ARM_PSCI_0_2", KVM_CAP_ARM_PSCI_0_2},
      {"ARM_PMU_V3", KVM_CAP_ARM_PMU_V3},
      {"ARM_VM_IPA_SIZE", KVM_CAP_ARM_VM_IPA_SIZE},
      {"ARM_USER_IRQ", KVM_CAP_ARM_USER_IRQ},
      {"COUNTER_OFFSET", KVM_CAP_COUNTER_OFFSET},
      {"GUEST_DEBUG_HW_BPS", KVM_CAP_GUEST_DEBUG_HW_BPS},
      {"GUEST_DEBUG_HW_WPS", KVM_CAP_GUEST_DEBUG_HW_WPS},
  };
}

}  // namespace vmrr
