#include "vmm/arm64/vgic_state.h"

namespace vmrr::arm64 {

namespace {

// GICv3 distributor (SPIs) and redistributor SGI-frame register offsets.
constexpr uint64_t kGicdCtlr = 0x0000;
constexpr uint64_t kGicdIgroupr = 0x0080;
constexpr uint64_t kGicdIsenabler = 0x0100;
constexpr uint64_t kGicdIcenabler = 0x0180;
constexpr uint64_t kGicdIspendr = 0x0200;
constexpr uint64_t kGicdIsactiver = 0x0300;
constexpr uint64_t kGicdIcactiver = 0x0380;
constexpr uint64_t kGicdIpriorityr = 0x0400;
constexpr uint64_t kGicdIcfgr = 0x0c00;
constexpr uint64_t kGicdIrouter = 0x6000;
constexpr uint64_t kSgiFrame = 0x10000;
constexpr uint64_t kGicrCtlr = 0x0000;

// ICC_* system registers, as (op0 << 14 | op1 << 11 | crn << 7 | crm << 3 | op2).
constexpr uint64_t Sysreg(uint64_t op0, uint64_t op1, uint64_t crn, uint64_t crm, uint64_t op2) {
  return op0 << 14 | op1 << 11 | crn << 7 | crm << 3 | op2;
}

}  // namespace

uint64_t VgicMpidrField(uint64_t mpidr_el1) {
  uint64_t aff0 = mpidr_el1 & 0xff, aff1 = (mpidr_el1 >> 8) & 0xff;
  uint64_t aff2 = (mpidr_el1 >> 16) & 0xff, aff3 = (mpidr_el1 >> 32) & 0xff;
  return (aff3 << 24 | aff2 << 16 | aff1 << 8 | aff0) << 32;
}

std::vector<VgicRegister> VgicRegisters(uint32_t spis, const std::vector<uint64_t>& mpidrs) {
  std::vector<VgicRegister> out;
  auto plain = [&out](VgicGroup g, uint64_t attr, bool wide = false, bool optional = false) {
    out.push_back({g, attr, wide, 0, optional});
  };
  auto pair = [&out](VgicGroup g, uint64_t set, uint64_t clear) {
    out.push_back({g, set, false, clear, false});
  };
  const uint32_t irqs = 32 + spis;
  // Distributor: configuration before enables, enables before pending and
  // active, the control register last so nothing fires half-restored.
  for (uint32_t intid = 32; intid < irqs; intid += 32) {
    uint64_t word = intid / 32 * 4;
    plain(VgicGroup::kDistRegs, kGicdIgroupr + word);
    plain(VgicGroup::kDistRegs, kGicdIcfgr + intid / 16 * 4);
    plain(VgicGroup::kDistRegs, kGicdIcfgr + intid / 16 * 4 + 4);
    for (uint32_t i = 0; i < 32; i += 4) plain(VgicGroup::kDistRegs, kGicdIpriorityr + intid + i);
  }
  for (uint32_t intid = 32; intid < irqs; ++intid) {
    plain(VgicGroup::kDistRegs, kGicdIrouter + intid * 8);
    plain(VgicGroup::kDistRegs, kGicdIrouter + intid * 8 + 4);
  }
  for (uint32_t intid = 32; intid < irqs; intid += 32) {
    uint64_t word = intid / 32 * 4;
    pair(VgicGroup::kDistRegs, kGicdIsenabler + word, kGicdIcenabler + word);
    plain(VgicGroup::kDistRegs, kGicdIspendr + word);  // sets the latch exactly
    pair(VgicGroup::kDistRegs, kGicdIsactiver + word, kGicdIcactiver + word);
    plain(VgicGroup::kLevelInfo, intid);
  }
  for (uint64_t mpidr : mpidrs) {
    uint64_t cpu = VgicMpidrField(mpidr);
    // Redistributor: SGIs and PPIs of this vCPU.
    plain(VgicGroup::kRedistRegs, cpu | (kSgiFrame + kGicdIgroupr));
    plain(VgicGroup::kRedistRegs, cpu | (kSgiFrame + kGicdIcfgr));
    plain(VgicGroup::kRedistRegs, cpu | (kSgiFrame + kGicdIcfgr + 4));
    for (uint32_t i = 0; i < 32; i += 4) {
      plain(VgicGroup::kRedistRegs, cpu | (kSgiFrame + kGicdIpriorityr + i));
    }
    pair(VgicGroup::kRedistRegs, cpu | (kSgiFrame + kGicdIsenabler),
         cpu | (kSgiFrame + kGicdIcenabler));
    plain(VgicGroup::kRedistRegs, cpu | (kSgiFrame + kGicdIspendr));
    pair(VgicGroup::kRedistRegs, cpu | (kSgiFrame + kGicdIsactiver),
         cpu | (kSgiFrame + kGicdIcactiver));
    plain(VgicGroup::kLevelInfo, cpu | 0);
    plain(VgicGroup::kRedistRegs, cpu | kGicrCtlr);
    // CPU interface: SRE and CTLR first, then priorities and groups.
    plain(VgicGroup::kCpuSysregs, cpu | Sysreg(3, 0, 12, 12, 5), true);  // ICC_SRE_EL1
    plain(VgicGroup::kCpuSysregs, cpu | Sysreg(3, 0, 12, 12, 4), true);  // ICC_CTLR_EL1
    plain(VgicGroup::kCpuSysregs, cpu | Sysreg(3, 0, 4, 6, 0), true);    // ICC_PMR_EL1
    plain(VgicGroup::kCpuSysregs, cpu | Sysreg(3, 0, 12, 8, 3), true);   // ICC_BPR0_EL1
    plain(VgicGroup::kCpuSysregs, cpu | Sysreg(3, 0, 12, 12, 3), true);  // ICC_BPR1_EL1
    for (uint64_t n = 0; n < 4; ++n) {
      plain(VgicGroup::kCpuSysregs, cpu | Sysreg(3, 0, 12, 8, 4 + n), true, n > 0);  // ICC_AP0Rn
      plain(VgicGroup::kCpuSysregs, cpu | Sysreg(3, 0, 12, 9, n), true, n > 0);      // ICC_AP1Rn
    }
    plain(VgicGroup::kCpuSysregs, cpu | Sysreg(3, 0, 12, 12, 6), true);  // ICC_IGRPEN0_EL1
    plain(VgicGroup::kCpuSysregs, cpu | Sysreg(3, 0, 12, 12, 7), true);  // ICC_IGRPEN1_EL1
  }
  plain(VgicGroup::kDistRegs, kGicdCtlr);
  return out;
}

}  // namespace vmrr::arm64
