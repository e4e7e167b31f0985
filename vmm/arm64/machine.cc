#include "vmm/arm64/machine.h"

#include <asm/kvm.h>
#include <sys/ioctl.h>

#include <cerrno>
#include <cstddef>
#include <cstring>

#include "replay/execution_point.h"
#include "vmm/arm64/layout.h"
#include "vmm/base/error.h"

namespace vmrr::arm64 {

namespace {

constexpr uint64_t CoreReg(size_t offset) {
  return KVM_REG_ARM64 | KVM_REG_SIZE_U64 | KVM_REG_ARM_CORE | (offset / sizeof(uint32_t));
}

constexpr uint64_t XReg(int n) {
  return CoreReg(offsetof(kvm_regs, regs.regs) + static_cast<size_t>(n) * sizeof(uint64_t));
}

constexpr uint64_t kPc = CoreReg(offsetof(kvm_regs, regs.pc));
constexpr uint64_t kPstate = CoreReg(offsetof(kvm_regs, regs.pstate));
constexpr uint64_t kSpEl1 = CoreReg(offsetof(kvm_regs, sp_el1));
// EL1h with D, A, I and F masked.
constexpr uint64_t kBootPstate = 0x3c5;

KvmVm CreateVm(const KvmSystem& kvm) {
  // The IPA space must cover RAM; ask for 40 bits when KVM lets us choose.
  unsigned long type = 0;
  int max_ipa = kvm.CheckExtension(KVM_CAP_ARM_VM_IPA_SIZE);
  if (max_ipa >= 40) type = KVM_VM_TYPE_ARM_IPA_SIZE(40);
  return KvmVm::Create(kvm, type);
}

void SetDeviceAttr(int fd, uint32_t group, uint64_t attr, const void* value, const char* what) {
  kvm_device_attr a{};
  a.group = group;
  a.attr = attr;
  a.addr = reinterpret_cast<uint64_t>(value);
  if (ioctl(fd, KVM_SET_DEVICE_ATTR, &a) < 0) ThrowErrno(std::string("vGIC: ") + what);
}

}  // namespace

Machine::Machine(const KvmSystem& kvm, uint64_t ram_size, int cpus)
    : vm_(CreateVm(kvm)), memory_(kRamBase, ram_size) {
  vm_.SetUserMemoryRegion(0, kRamBase, memory_.host(), memory_.size());

  kvm_create_device gic{};
  gic.type = KVM_DEV_TYPE_ARM_VGIC_V3;
  if (ioctl(vm_.fd(), KVM_CREATE_DEVICE, &gic) < 0) {
    throw Error(
        ErrorKind::kUnsupported,
        std::string("this host cannot emulate a GICv3 for guests: ") + std::strerror(errno));
  }
  vgic_ = UniqueFd(static_cast<int>(gic.fd));
  uint64_t dist = kGicDistBase;
  uint64_t redist = kGicRedistBase;
  SetDeviceAttr(vgic_.get(), KVM_DEV_ARM_VGIC_GRP_ADDR, KVM_VGIC_V3_ADDR_TYPE_DIST, &dist,
                "distributor address");
  SetDeviceAttr(vgic_.get(), KVM_DEV_ARM_VGIC_GRP_ADDR, KVM_VGIC_V3_ADDR_TYPE_REDIST, &redist,
                "redistributor address");

  kvm_vcpu_init init{};
  if (ioctl(vm_.fd(), KVM_ARM_PREFERRED_TARGET, &init) < 0) ThrowErrno("KVM_ARM_PREFERRED_TARGET");
  init.features[0] |= 1u << KVM_ARM_VCPU_PSCI_0_2;
  for (int i = 0; i < cpus; ++i) {
    KvmVcpu vcpu = KvmVcpu::Create(vm_, i);
    kvm_vcpu_init this_init = init;
    // Secondary vCPUs wait for PSCI CPU_ON.
    if (i > 0) this_init.features[0] |= 1u << KVM_ARM_VCPU_POWER_OFF;
    if (ioctl(vcpu.fd(), KVM_ARM_VCPU_INIT, &this_init) < 0) ThrowErrno("KVM_ARM_VCPU_INIT");
    vcpus_.push_back(std::move(vcpu));
  }

  uint32_t irqs = 32 + kGicSpiCount;
  SetDeviceAttr(vgic_.get(), KVM_DEV_ARM_VGIC_GRP_NR_IRQS, 0, &irqs, "number of interrupts");
  SetDeviceAttr(vgic_.get(), KVM_DEV_ARM_VGIC_GRP_CTRL, KVM_DEV_ARM_VGIC_CTRL_INIT, nullptr,
                "init");
}

IrqLine Machine::SpiLine(uint32_t spi) {
  int vm_fd = vm_.fd();
  uint32_t irq = (KVM_ARM_IRQ_TYPE_SPI << KVM_ARM_IRQ_TYPE_SHIFT) | (32 + spi);
  return [vm_fd, irq](bool level) {
    kvm_irq_level line{};
    line.irq = irq;
    line.level = level ? 1 : 0;
    if (ioctl(vm_fd, KVM_IRQ_LINE, &line) < 0) ThrowErrno("KVM_IRQ_LINE");
  };
}

void Machine::SetBootRegisters(uint64_t entry, uint64_t dtb) {
  KvmVcpu& boot = vcpus_.at(0);
  boot.SetOneReg(kPstate, kBootPstate);
  boot.SetOneReg(XReg(0), dtb);
  for (int i = 1; i <= 3; ++i) boot.SetOneReg(XReg(i), 0);
  boot.SetOneReg(kPc, entry);
}

uint64_t Machine::Pc() { return vcpus_.at(0).GetOneReg(kPc); }

uint64_t Machine::RegistersDigest() {
  KvmVcpu& vcpu = vcpus_.at(0);
  uint64_t regs[33];
  for (int i = 0; i < 31; ++i) regs[i] = vcpu.GetOneReg(XReg(i));
  regs[31] = vcpu.GetOneReg(kSpEl1);
  regs[32] = vcpu.GetOneReg(kPstate);
  return RegsDigest(regs, 33);
}

void Machine::SetSingleStep(bool on) {
  vcpus_.at(0).SetGuestDebug(on ? KVM_GUESTDBG_ENABLE | KVM_GUESTDBG_SINGLESTEP : 0);
}

}  // namespace vmrr::arm64
