#include "vmm/arm64/machine.h"

#include <asm/kvm.h>
#include <spdlog/spdlog.h>
#include <sys/ioctl.h>

#include <algorithm>
#include <cerrno>
#include <cstddef>
#include <cstring>

#include "base/error.h"
#include "replay/execution_point.h"
#include "vmm/arm64/exclusive_sequence.h"
#include "vmm/arm64/layout.h"
#include "vmm/arm64/stage1_walk.h"
#include "vmm/arm64/vgic_state.h"
#include "vmm/vcpu_registers.h"

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

// The vmrr host KVM series (host-kvm/arm64/).  Upstream has since used 240
// for another capability (KVM_CAP_ARM_EL2, Linux 6.16), which is check-only:
// only a successful KVM_ENABLE_CAP means the series is there.
constexpr uint32_t kCapArmUserTime = 240;

constexpr uint64_t SysReg(uint64_t op0, uint64_t op1, uint64_t crn, uint64_t crm, uint64_t op2) {
  return ARM64_SYS_REG(op0, op1, crn, crm, op2);
}
constexpr uint64_t kIdAa64Isar0 = SysReg(3, 0, 0, 6, 0);
constexpr uint64_t kIdAa64Isar2 = SysReg(3, 0, 0, 6, 2);
constexpr uint64_t kIsar0Rndr = uint64_t{0xf} << 60;
constexpr uint64_t kIsar2Wfxt = 0xf;

// What the guest learns of the CPU.  MIDR/REVIDR/AIDR are fixed by KVM in
// 6.12; the ID_AA64* registers, CTR_EL0 and CLIDR_EL1 are writable (down
// to what the host has) since Linux 6.7.
const std::vector<CpuRegisterSpec>& IdRegisterSpecs() {
  static const std::vector<CpuRegisterSpec> specs = {
      {"MIDR_EL1", SysReg(3, 0, 0, 0, 0), false},
      {"REVIDR_EL1", SysReg(3, 0, 0, 0, 6), false},
      {"AIDR_EL1", SysReg(3, 1, 0, 0, 7), false},
      {"ID_AA64PFR0_EL1", SysReg(3, 0, 0, 4, 0), true},
      {"ID_AA64PFR1_EL1", SysReg(3, 0, 0, 4, 1), true},
      {"ID_AA64ZFR0_EL1", SysReg(3, 0, 0, 4, 4), true},
      {"ID_AA64DFR0_EL1", SysReg(3, 0, 0, 5, 0), true},
      {"ID_AA64DFR1_EL1", SysReg(3, 0, 0, 5, 1), true},
      {"ID_AA64ISAR0_EL1", kIdAa64Isar0, true},
      {"ID_AA64ISAR1_EL1", SysReg(3, 0, 0, 6, 1), true},
      {"ID_AA64ISAR2_EL1", kIdAa64Isar2, true},
      {"ID_AA64MMFR0_EL1", SysReg(3, 0, 0, 7, 0), true},
      {"ID_AA64MMFR1_EL1", SysReg(3, 0, 0, 7, 1), true},
      {"ID_AA64MMFR2_EL1", SysReg(3, 0, 0, 7, 2), true},
      {"ID_AA64MMFR3_EL1", SysReg(3, 0, 0, 7, 3), true},
      {"ID_AA64MMFR4_EL1", SysReg(3, 0, 0, 7, 4), true},
      {"CTR_EL0", SysReg(3, 3, 0, 0, 1), true},
      {"CLIDR_EL1", SysReg(3, 1, 0, 0, 1), true},
      {"KVM_REG_ARM_STD_BMAP", KVM_REG_ARM_STD_BMAP, true},
      {"KVM_REG_ARM_STD_HYP_BMAP", KVM_REG_ARM_STD_HYP_BMAP, true},
      {"KVM_REG_ARM_VENDOR_HYP_BMAP", KVM_REG_ARM_VENDOR_HYP_BMAP, true},
  };
  return specs;
}

// The architected PPIs of the EL1 timers (the device tree's timer node).
constexpr uint32_t kVirtualTimerPpi = 27;
constexpr uint32_t kPhysicalTimerPpi = 30;

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

Machine::Machine(const KvmSystem& kvm, uint64_t ram_size, int cpus, bool own_time)
    : vm_(CreateVm(kvm)), memory_(kRamBase, ram_size) {
  vm_.SetUserMemoryRegion(0, kRamBase, memory_.host(), memory_.size());
  // Before the vCPUs and the vGIC: KVM sets the timers up with them.
  if (own_time) {
    kvm_enable_cap cap{};
    cap.cap = kCapArmUserTime;
    if (ioctl(vm_.fd(), KVM_ENABLE_CAP, &cap) == 0) {
      time_mechanism_ = "KVM_CAP_ARM_USER_TIME";
    } else if (errno != EINVAL) {
      ThrowErrno("KVM_ENABLE_CAP(ARM_USER_TIME)");
    }
  }

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
    HideNondeterministicFeatures(vcpu);
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

void Machine::HideNondeterministicFeatures(KvmVcpu& vcpu) {
  struct Feature {
    uint64_t reg;
    uint64_t field;
    const char* name;
  };
  // The firmware services KVM answers itself from host state: SMCCC TRNG
  // (host entropy), PV time (host steal time), KVM PTP (the host's clock).
  for (const Feature& f :
       {Feature{kIdAa64Isar0, kIsar0Rndr, "RNDR"}, Feature{kIdAa64Isar2, kIsar2Wfxt, "WFxT"},
        Feature{KVM_REG_ARM_STD_BMAP, uint64_t{1} << KVM_REG_ARM_STD_BIT_TRNG_V1_0, "SMCCC TRNG"},
        Feature{KVM_REG_ARM_STD_HYP_BMAP, uint64_t{1} << KVM_REG_ARM_STD_HYP_BIT_PV_TIME,
                "PV time"},
        Feature{KVM_REG_ARM_VENDOR_HYP_BMAP, uint64_t{1} << KVM_REG_ARM_VENDOR_HYP_BIT_PTP,
                "KVM PTP"}}) {
    std::optional<uint64_t> value = vcpu.TryGetOneReg(f.reg);
    if (!value || (*value & f.field) == 0) continue;
    if (!vcpu.TrySetOneReg(f.reg, *value & ~f.field)) {
      spdlog::warn("this host's KVM cannot hide {} from the guest ({})", f.name,
                   std::strerror(errno));
    }
  }
}

std::vector<CpuRegister> Machine::CpuRegisters() {
  return ReadCpuRegisters(IdRegisterSpecs(), vcpus_.at(0));
}

std::string Machine::PresentCpuRegisters(const std::vector<CpuRegister>& recorded) {
  return vmrr::PresentCpuRegisters(recorded, vcpus_);
}

uint64_t Machine::CounterFrequency() {
  uint64_t hz = 0;
#if defined(__aarch64__)
  asm volatile("mrs %0, cntfrq_el0" : "=r"(hz));
#endif
  return hz;
}

IrqLine Machine::TimerPpi(int cpu, bool physical) {
  int vm_fd = vm_.fd();
  uint32_t irq = (KVM_ARM_IRQ_TYPE_PPI << KVM_ARM_IRQ_TYPE_SHIFT) |
                 (static_cast<uint32_t>(cpu) << KVM_ARM_IRQ_VCPU_SHIFT) |
                 (physical ? kPhysicalTimerPpi : kVirtualTimerPpi);
  return [vm_fd, irq](bool level) {
    kvm_irq_level line{};
    line.irq = irq;
    line.level = level ? 1 : 0;
    if (ioctl(vm_fd, KVM_IRQ_LINE, &line) < 0) ThrowErrno("KVM_IRQ_LINE (timer PPI)");
  };
}

void Machine::SetBootRegisters(uint64_t entry, uint64_t dtb) {
  KvmVcpu& boot = vcpus_.at(0);
  boot.SetOneReg(kPstate, kBootPstate);
  boot.SetOneReg(XReg(0), dtb);
  for (int i = 1; i <= 3; ++i) boot.SetOneReg(XReg(i), 0);
  boot.SetOneReg(kPc, entry);
}

std::string Machine::ExplainCodeAt(uint64_t pc) {
  KvmVcpu& vcpu = vcpus_.at(0);
  Stage1Registers regs;
  std::optional<uint64_t> ttbr0 = vcpu.TryGetOneReg(SysReg(3, 0, 2, 0, 0));
  std::optional<uint64_t> ttbr1 = vcpu.TryGetOneReg(SysReg(3, 0, 2, 0, 1));
  std::optional<uint64_t> tcr = vcpu.TryGetOneReg(SysReg(3, 0, 2, 0, 2));
  if (!ttbr0 || !ttbr1 || !tcr) return "";
  regs = Stage1Registers{*ttbr0, *ttbr1, *tcr};
  // Before the MMU is on (SCTLR_EL1.M), addresses are physical.
  std::optional<uint64_t> sctlr = vcpu.TryGetOneReg(SysReg(3, 0, 1, 0, 0));
  bool mmu_on = sctlr && (*sctlr & 1) != 0;
  GuestMemory& memory = memory_;
  return ExclusiveSequenceNote(pc, [&](uint64_t va) -> std::optional<uint32_t> {
    std::optional<uint64_t> gpa =
        mmu_on ? arm64::TranslateVirtual(va, regs,
                                         [&memory](uint64_t a) { return memory.Load<uint64_t>(a); })
               : std::optional(va);
    if (!gpa) return std::nullopt;
    return memory.Load<uint32_t>(*gpa);
  });
}

struct Machine::State {
  std::vector<VcpuRegisters> vcpus;
  std::vector<kvm_vcpu_events> events;
  // Per VgicRegisters() entry: its value, or nullopt when KVM has not got it.
  std::vector<std::optional<uint64_t>> vgic;
};

namespace {

std::vector<VgicRegister> VgicPlan(const std::vector<KvmVcpu>& vcpus) {
  std::vector<uint64_t> mpidrs;
  for (const KvmVcpu& vcpu : vcpus) mpidrs.push_back(vcpu.GetOneReg(SysReg(3, 0, 0, 0, 5)));
  return VgicRegisters(kGicSpiCount, mpidrs);
}

bool VgicAccess(int fd, const VgicRegister& reg, uint64_t attr, uint64_t* value, bool set) {
  uint32_t narrow = static_cast<uint32_t>(*value);
  kvm_device_attr a{};
  a.group = static_cast<uint32_t>(reg.group);
  a.attr = attr;
  a.addr = reg.wide ? reinterpret_cast<uint64_t>(value) : reinterpret_cast<uint64_t>(&narrow);
  if (ioctl(fd, set ? KVM_SET_DEVICE_ATTR : KVM_GET_DEVICE_ATTR, &a) < 0) return false;
  if (!set && !reg.wide) *value = narrow;
  return true;
}

// The host's counters: writing them would move the offsets KVM keeps; the
// guest's time is vmrr's (or, on a stock host, the host's).
bool IsHostCounter(uint64_t id) {
  return id == KVM_REG_ARM_TIMER_CNT || id == KVM_REG_ARM_PTIMER_CNT;
}

}  // namespace

std::shared_ptr<const Machine::State> Machine::SaveState() {
  auto state = std::make_shared<State>();
  for (KvmVcpu& vcpu : vcpus_) {
    state->vcpus.push_back(SaveVcpuRegisters(vcpu, IsHostCounter));
    kvm_vcpu_events events{};
    if (ioctl(vcpu.fd(), KVM_GET_VCPU_EVENTS, &events) < 0) ThrowErrno("KVM_GET_VCPU_EVENTS");
    state->events.push_back(events);
  }
  for (const VgicRegister& reg : VgicPlan(vcpus_)) {
    uint64_t value = 0;
    if (VgicAccess(vgic_.get(), reg, reg.attr, &value, false)) {
      state->vgic.push_back(value);
    } else if (reg.optional) {
      state->vgic.push_back(std::nullopt);
    } else {
      ThrowErrno("vGIC: reading attribute " + std::to_string(reg.attr) + " of group " +
                 std::to_string(static_cast<uint32_t>(reg.group)));
    }
  }
  return state;
}

void Machine::RestoreState(const State& state) {
  for (size_t i = 0; i < vcpus_.size(); ++i) {
    RestoreVcpuRegisters(vcpus_[i], state.vcpus.at(i));
    kvm_vcpu_events events = state.events.at(i);
    if (ioctl(vcpus_[i].fd(), KVM_SET_VCPU_EVENTS, &events) < 0) ThrowErrno("KVM_SET_VCPU_EVENTS");
  }
  std::vector<VgicRegister> plan = VgicPlan(vcpus_);
  if (plan.size() != state.vgic.size()) {
    throw Error(ErrorKind::kInternal, "a vGIC checkpoint of another shape");
  }
  for (size_t i = 0; i < plan.size(); ++i) {
    if (!state.vgic[i]) continue;
    const VgicRegister& reg = plan[i];
    uint64_t value = *state.vgic[i];
    if (reg.clear_attr != 0) {
      uint64_t all = ~uint64_t{0};
      if (!VgicAccess(vgic_.get(), reg, reg.clear_attr, &all, true)) {
        ThrowErrno("vGIC: clearing attribute " + std::to_string(reg.clear_attr));
      }
    }
    if (!VgicAccess(vgic_.get(), reg, reg.attr, &value, true)) {
      ThrowErrno("vGIC: restoring attribute " + std::to_string(reg.attr) + " of group " +
                 std::to_string(static_cast<uint32_t>(reg.group)));
    }
  }
}

std::vector<std::pair<std::string, uint64_t>> Machine::RegisterDump() {
  KvmVcpu& vcpu = vcpus_.at(0);
  std::vector<std::pair<std::string, uint64_t>> out;
  for (int i = 0; i < 31; ++i) out.emplace_back("x" + std::to_string(i), vcpu.GetOneReg(XReg(i)));
  out.emplace_back("sp_el0", vcpu.GetOneReg(CoreReg(offsetof(kvm_regs, regs.sp))));
  out.emplace_back("sp_el1", vcpu.GetOneReg(kSpEl1));
  out.emplace_back("pc", vcpu.GetOneReg(kPc));
  out.emplace_back("pstate", vcpu.GetOneReg(kPstate));
  out.emplace_back("elr_el1", vcpu.GetOneReg(CoreReg(offsetof(kvm_regs, elr_el1))));
  struct Named {
    const char* name;
    uint64_t id;
  };
  for (const Named& r :
       {Named{"sctlr_el1", SysReg(3, 0, 1, 0, 0)}, Named{"ttbr0_el1", SysReg(3, 0, 2, 0, 0)},
        Named{"ttbr1_el1", SysReg(3, 0, 2, 0, 1)}, Named{"tcr_el1", SysReg(3, 0, 2, 0, 2)},
        Named{"esr_el1", SysReg(3, 0, 5, 2, 0)}, Named{"far_el1", SysReg(3, 0, 6, 0, 0)},
        Named{"mair_el1", SysReg(3, 0, 10, 2, 0)}, Named{"vbar_el1", SysReg(3, 0, 12, 0, 0)},
        Named{"contextidr_el1", SysReg(3, 0, 13, 0, 1)}, Named{"tpidr_el1", SysReg(3, 0, 13, 0, 4)},
        Named{"spsr_el1", CoreReg(offsetof(kvm_regs, spsr[0]))}}) {
    if (std::optional<uint64_t> v = vcpu.TryGetOneReg(r.id)) out.emplace_back(r.name, *v);
  }
  return out;
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

void Machine::ApplyGuestDebug() {
  kvm_guest_debug debug{};
  if (single_step_) debug.control |= KVM_GUESTDBG_ENABLE | KVM_GUESTDBG_SINGLESTEP;
  if (!hardware_breakpoints_.empty()) debug.control |= KVM_GUESTDBG_ENABLE | KVM_GUESTDBG_USE_HW;
  for (size_t i = 0; i < hardware_breakpoints_.size(); ++i) {
    debug.arch.dbg_bvr[i] = hardware_breakpoints_[i];
    // DBGBCR: enabled, EL1 and EL0 (PMC 0b11), all four bytes (BAS),
    // an unlinked address match.
    debug.arch.dbg_bcr[i] = 1 | (3u << 1) | (0xfu << 5);
  }
  if (ioctl(vcpus_.at(0).fd(), KVM_SET_GUEST_DEBUG, &debug) < 0) ThrowErrno("KVM_SET_GUEST_DEBUG");
}

void Machine::SetSingleStep(bool on) {
  single_step_ = on;
  ApplyGuestDebug();
}

bool Machine::SetHardwareBreakpoints(const std::vector<uint64_t>& pcs) {
  int available = vm_.CheckExtension(KVM_CAP_GUEST_DEBUG_HW_BPS);
  if (pcs.size() > static_cast<size_t>(std::max(available, 0)) ||
      pcs.size() > KVM_ARM_MAX_DBG_REGS) {
    return false;
  }
  hardware_breakpoints_ = pcs;
  ApplyGuestDebug();
  return true;
}

bool Machine::IsStepExit(const kvm_run& run) {
  return run.exit_reason == KVM_EXIT_DEBUG && (run.debug.arch.hsr >> 26) == 0x32;
}

namespace {

Stage1Registers Stage1(const KvmVcpu& vcpu) {
  return Stage1Registers{vcpu.TryGetOneReg(SysReg(3, 0, 2, 0, 0)).value_or(0),
                         vcpu.TryGetOneReg(SysReg(3, 0, 2, 0, 1)).value_or(0),
                         vcpu.TryGetOneReg(SysReg(3, 0, 2, 0, 2)).value_or(0)};
}

}  // namespace

std::optional<uint64_t> Machine::TranslateVirtual(uint64_t va) {
  KvmVcpu& vcpu = vcpus_.at(0);
  std::optional<uint64_t> sctlr = vcpu.TryGetOneReg(SysReg(3, 0, 1, 0, 0));
  if (!sctlr || (*sctlr & 1) == 0) return va;  // MMU off: addresses are physical
  GuestMemory& memory = memory_;
  return arm64::TranslateVirtual(va, Stage1(vcpu),
                                 [&memory](uint64_t a) { return memory.Load<uint64_t>(a); });
}

std::optional<uint64_t> Machine::KernelImageAddress(uint64_t image_pa) {
  // The image's own mapping is in the upper half's top part (the kernel's
  // VA space: modules, vmalloc and the image), not the linear map below.
  std::optional<uint64_t> found;
  GuestMemory& memory = memory_;
  ForEachUpperMapping(
      Stage1(vcpus_.at(0)), 0xffff800000000000ull, ~0ull,
      [&memory](uint64_t a) { return memory.Load<uint64_t>(a); },
      [&](uint64_t va, uint64_t pa, uint64_t size) {
        if (image_pa < pa || image_pa - pa >= size) return true;
        found = va + (image_pa - pa);
        return false;
      });
  return found;
}

std::string Machine::GdbTargetDescription(const std::string& annex) {
  if (annex != "target.xml") return "";
  std::string xml =
      "<?xml version=\"1.0\"?>\n<!DOCTYPE target SYSTEM \"gdb-target.dtd\">\n<target>\n"
      "<architecture>aarch64</architecture>\n<feature name=\"org.gnu.gdb.aarch64.core\">\n";
  for (int i = 0; i < 31; ++i) {
    xml += "<reg name=\"x" + std::to_string(i) + "\" bitsize=\"64\" type=\"int\"/>\n";
  }
  xml +=
      "<reg name=\"sp\" bitsize=\"64\" type=\"data_ptr\"/>\n"
      "<reg name=\"pc\" bitsize=\"64\" type=\"code_ptr\"/>\n"
      "<reg name=\"cpsr\" bitsize=\"32\" type=\"int\"/>\n</feature>\n"
      "<feature name=\"org.gnu.gdb.aarch64.fpu\">\n"
      "<vector id=\"v2d\" type=\"uint64\" count=\"2\"/>\n"
      "<vector id=\"v4s\" type=\"uint32\" count=\"4\"/>\n"
      "<union id=\"vnd\"><field name=\"d\" type=\"v2d\"/><field name=\"s\" type=\"v4s\"/>"
      "<field name=\"q\" type=\"uint128\"/></union>\n";
  for (int i = 0; i < 32; ++i) {
    xml += "<reg name=\"v" + std::to_string(i) + "\" bitsize=\"128\" type=\"vnd\"/>\n";
  }
  xml +=
      "<reg name=\"fpsr\" bitsize=\"32\" type=\"int\"/>\n"
      "<reg name=\"fpcr\" bitsize=\"32\" type=\"int\"/>\n</feature>\n</target>\n";
  return xml;
}

std::vector<std::string> Machine::GdbRegisters() {
  KvmVcpu& vcpu = vcpus_.at(0);
  auto bytes = [&vcpu](uint64_t id, size_t size) {
    std::vector<uint8_t> raw = vcpu.GetRegisterBytes(id);
    return std::string(reinterpret_cast<const char*>(raw.data()), size);
  };
  std::vector<std::string> regs;
  for (int i = 0; i < 31; ++i) regs.push_back(bytes(XReg(i), 8));
  // The stack pointer of the current exception level: SP_EL1 at EL1h.
  uint64_t pstate = vcpu.GetOneReg(kPstate);
  bool el1h = (pstate & 0xf) == 0x5;
  regs.push_back(bytes(el1h ? kSpEl1 : CoreReg(offsetof(kvm_regs, regs.sp)), 8));
  regs.push_back(bytes(kPc, 8));
  regs.push_back(bytes(kPstate, 4));
  for (int i = 0; i < 32; ++i) {
    uint64_t id = KVM_REG_ARM64 | KVM_REG_SIZE_U128 | KVM_REG_ARM_CORE |
                  ((offsetof(kvm_regs, fp_regs.vregs) + static_cast<size_t>(i) * 16) / 4);
    regs.push_back(bytes(id, 16));
  }
  for (size_t offset : {offsetof(kvm_regs, fp_regs.fpsr), offsetof(kvm_regs, fp_regs.fpcr)}) {
    regs.push_back(bytes(KVM_REG_ARM64 | KVM_REG_SIZE_U32 | KVM_REG_ARM_CORE | (offset / 4), 4));
  }
  return regs;
}

}  // namespace vmrr::arm64
