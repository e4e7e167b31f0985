#include "vmm/riscv64/machine.h"

#include <asm/kvm.h>
#include <spdlog/spdlog.h>
#include <sys/ioctl.h>

#include <algorithm>
#include <cerrno>
#include <cstddef>
#include <cstring>

#include "base/error.h"
#include "replay/execution_point.h"
#include "vmm/riscv64/isa_string.h"
#include "vmm/riscv64/layout.h"
#include "vmm/riscv64/sv_walk.h"
#include "vmm/vcpu_registers.h"

namespace vmrr::riscv64 {

namespace {

constexpr uint64_t kRegU64 = KVM_REG_RISCV | KVM_REG_SIZE_U64;

constexpr uint64_t CoreReg(size_t offset) {
  return kRegU64 | KVM_REG_RISCV_CORE | (offset / sizeof(unsigned long));
}
constexpr uint64_t ConfigReg(size_t offset) {
  return kRegU64 | KVM_REG_RISCV_CONFIG | (offset / sizeof(unsigned long));
}
constexpr uint64_t IsaExtReg(uint64_t id) {
  return kRegU64 | KVM_REG_RISCV_ISA_EXT | KVM_REG_RISCV_ISA_SINGLE | id;
}
constexpr uint64_t SbiExtReg(uint64_t id) {
  return kRegU64 | KVM_REG_RISCV_SBI_EXT | KVM_REG_RISCV_SBI_SINGLE | id;
}

constexpr uint64_t kPc = CoreReg(offsetof(kvm_riscv_core, regs.pc));
constexpr uint64_t kA0 = CoreReg(offsetof(kvm_riscv_core, regs.a0));
constexpr uint64_t kA1 = CoreReg(offsetof(kvm_riscv_core, regs.a1));
constexpr uint64_t kIsa = ConfigReg(offsetof(kvm_riscv_config, isa));
constexpr uint64_t kSatpMode = ConfigReg(offsetof(kvm_riscv_config, satp_mode));
constexpr uint64_t kCbomBlockSize = ConfigReg(offsetof(kvm_riscv_config, zicbom_block_size));
constexpr uint64_t kCbozBlockSize = ConfigReg(offsetof(kvm_riscv_config, zicboz_block_size));
constexpr uint64_t kTimebase =
    kRegU64 | KVM_REG_RISCV_TIMER | (offsetof(kvm_riscv_timer, frequency) / sizeof(uint64_t));

// The vmrr host KVM series (host-kvm/riscv64/): counters, timer and WFI go
// to the VMM.  Not in the 6.12 uapi headers.
constexpr long kCapRiscvUserTime = 239;
constexpr uint64_t kSip = kRegU64 | KVM_REG_RISCV_CSR | KVM_REG_RISCV_CSR_GENERAL |
                          (offsetof(kvm_riscv_csr, sip) / sizeof(unsigned long));
constexpr uint64_t kSipTimer = uint64_t{1} << 5;  // STIP: the VS timer, seen from the guest

struct MultiLetterExtension {
  uint64_t id;
  const char* name;
};

// The multi-letter ISA_EXT registers of the 6.12 uapi (single letters come
// from config.isa).
constexpr MultiLetterExtension kExtensions[] = {
    {KVM_RISCV_ISA_EXT_SVPBMT, "svpbmt"},
    {KVM_RISCV_ISA_EXT_SSTC, "sstc"},
    {KVM_RISCV_ISA_EXT_SVINVAL, "svinval"},
    {KVM_RISCV_ISA_EXT_ZIHINTPAUSE, "zihintpause"},
    {KVM_RISCV_ISA_EXT_ZICBOM, "zicbom"},
    {KVM_RISCV_ISA_EXT_ZICBOZ, "zicboz"},
    {KVM_RISCV_ISA_EXT_ZBB, "zbb"},
    {KVM_RISCV_ISA_EXT_SSAIA, "ssaia"},
    {KVM_RISCV_ISA_EXT_SVNAPOT, "svnapot"},
    {KVM_RISCV_ISA_EXT_ZBA, "zba"},
    {KVM_RISCV_ISA_EXT_ZBS, "zbs"},
    {KVM_RISCV_ISA_EXT_ZICNTR, "zicntr"},
    {KVM_RISCV_ISA_EXT_ZICSR, "zicsr"},
    {KVM_RISCV_ISA_EXT_ZIFENCEI, "zifencei"},
    {KVM_RISCV_ISA_EXT_ZIHPM, "zihpm"},
    {KVM_RISCV_ISA_EXT_SMSTATEEN, "smstateen"},
    {KVM_RISCV_ISA_EXT_ZICOND, "zicond"},
    {KVM_RISCV_ISA_EXT_ZBC, "zbc"},
    {KVM_RISCV_ISA_EXT_ZBKB, "zbkb"},
    {KVM_RISCV_ISA_EXT_ZBKC, "zbkc"},
    {KVM_RISCV_ISA_EXT_ZBKX, "zbkx"},
    {KVM_RISCV_ISA_EXT_ZKND, "zknd"},
    {KVM_RISCV_ISA_EXT_ZKNE, "zkne"},
    {KVM_RISCV_ISA_EXT_ZKNH, "zknh"},
    {KVM_RISCV_ISA_EXT_ZKR, "zkr"},
    {KVM_RISCV_ISA_EXT_ZKSED, "zksed"},
    {KVM_RISCV_ISA_EXT_ZKSH, "zksh"},
    {KVM_RISCV_ISA_EXT_ZKT, "zkt"},
    {KVM_RISCV_ISA_EXT_ZVBB, "zvbb"},
    {KVM_RISCV_ISA_EXT_ZVBC, "zvbc"},
    {KVM_RISCV_ISA_EXT_ZVKB, "zvkb"},
    {KVM_RISCV_ISA_EXT_ZVKG, "zvkg"},
    {KVM_RISCV_ISA_EXT_ZVKNED, "zvkned"},
    {KVM_RISCV_ISA_EXT_ZVKNHA, "zvknha"},
    {KVM_RISCV_ISA_EXT_ZVKNHB, "zvknhb"},
    {KVM_RISCV_ISA_EXT_ZVKSED, "zvksed"},
    {KVM_RISCV_ISA_EXT_ZVKSH, "zvksh"},
    {KVM_RISCV_ISA_EXT_ZVKT, "zvkt"},
    {KVM_RISCV_ISA_EXT_ZFH, "zfh"},
    {KVM_RISCV_ISA_EXT_ZFHMIN, "zfhmin"},
    {KVM_RISCV_ISA_EXT_ZIHINTNTL, "zihintntl"},
    {KVM_RISCV_ISA_EXT_ZVFH, "zvfh"},
    {KVM_RISCV_ISA_EXT_ZVFHMIN, "zvfhmin"},
    {KVM_RISCV_ISA_EXT_ZFA, "zfa"},
    {KVM_RISCV_ISA_EXT_ZTSO, "ztso"},
    {KVM_RISCV_ISA_EXT_ZACAS, "zacas"},
    {KVM_RISCV_ISA_EXT_SSCOFPMF, "sscofpmf"},
    {KVM_RISCV_ISA_EXT_ZIMOP, "zimop"},
    {KVM_RISCV_ISA_EXT_ZCA, "zca"},
    {KVM_RISCV_ISA_EXT_ZCB, "zcb"},
    {KVM_RISCV_ISA_EXT_ZCD, "zcd"},
    {KVM_RISCV_ISA_EXT_ZCF, "zcf"},
    {KVM_RISCV_ISA_EXT_ZCMOP, "zcmop"},
    {KVM_RISCV_ISA_EXT_ZAWRS, "zawrs"},
};

bool TryGet(const KvmVcpu& vcpu, uint64_t id, uint64_t* value) {
  try {
    *value = vcpu.GetOneReg(id);
    return true;
  } catch (const Error&) {
    return false;  // not offered by this KVM
  }
}

std::string MmuType(uint64_t satp_mode) {
  switch (satp_mode) {
    case 8:
      return "riscv,sv39";
    case 9:
      return "riscv,sv48";
    case 10:
      return "riscv,sv57";
  }
  throw Error(ErrorKind::kUnsupported, "unknown satp mode " + std::to_string(satp_mode));
}

}  // namespace

std::vector<CpuRegister> Machine::CpuRegisters() {
  static const std::vector<CpuRegisterSpec> specs = {
      {"mvendorid", ConfigReg(offsetof(kvm_riscv_config, mvendorid)), true},
      {"marchid", ConfigReg(offsetof(kvm_riscv_config, marchid)), true},
      {"mimpid", ConfigReg(offsetof(kvm_riscv_config, mimpid)), true},
  };
  return ReadCpuRegisters(specs, vcpus_.at(0));
}

std::string Machine::PresentCpuRegisters(const std::vector<CpuRegister>& recorded) {
  return vmrr::PresentCpuRegisters(recorded, vcpus_);
}

Machine::Machine(const KvmSystem& kvm, uint64_t ram_size, int cpus, bool own_time)
    : vm_(KvmVm::Create(kvm)), memory_(kRamBase, ram_size) {
  vm_.SetUserMemoryRegion(0, kRamBase, memory_.host(), memory_.size());
  // Before the vCPUs: KVM sets their counter access and ISA up at creation.
  if (own_time && vm_.CheckExtension(kCapRiscvUserTime) > 0) {
    kvm_enable_cap cap{};
    cap.cap = kCapRiscvUserTime;
    if (ioctl(vm_.fd(), KVM_ENABLE_CAP, &cap) < 0) ThrowErrno("KVM_ENABLE_CAP(RISCV_USER_TIME)");
    time_mechanism_ = "KVM_CAP_RISCV_USER_TIME";
  }
  for (int i = 0; i < cpus; ++i) vcpus_.push_back(KvmVcpu::Create(vm_, i));
  for (KvmVcpu& vcpu : vcpus_) hart_ = DescribeAndTrimHart(vcpu);
}

HartDescription Machine::DescribeAndTrimHart(KvmVcpu& vcpu) {
  // The guest gets no PMU and no steal-time: both would feed it host state.
  for (uint64_t sbi : {uint64_t{KVM_RISCV_SBI_EXT_PMU}, uint64_t{KVM_RISCV_SBI_EXT_STA}}) {
    uint64_t on = 0;
    if (TryGet(vcpu, SbiExtReg(sbi), &on) && on) vcpu.SetOneReg(SbiExtReg(sbi), 0);
  }
  const std::set<std::string>& hidden = HiddenExtensions();
  std::set<std::string> kept_hidden;  // KVM refused to turn these off
  std::vector<std::string> multi;
  for (const MultiLetterExtension& ext : kExtensions) {
    uint64_t on = 0;
    if (!TryGet(vcpu, IsaExtReg(ext.id), &on) || !on) continue;
    if (hidden.count(ext.name)) {
      try {
        vcpu.SetOneReg(IsaExtReg(ext.id), 0);
        continue;
      } catch (const Error&) {
        spdlog::warn("cannot hide ISA extension {} from the guest: KVM refuses", ext.name);
      }
    }
    multi.push_back(ext.name);
  }
  HartDescription hart;
  uint64_t letters = vcpu.GetOneReg(kIsa);
  uint64_t h_bit = uint64_t{1} << ('h' - 'a');
  if (letters & h_bit) {
    try {
      vcpu.SetOneReg(IsaExtReg(KVM_RISCV_ISA_EXT_H), 0);
      letters &= ~h_bit;
    } catch (const Error&) {
      spdlog::warn("cannot hide the H extension from the guest");
    }
  }
  std::set<std::string> letters_hidden = hidden;
  letters_hidden.erase("h");  // handled above from what KVM allowed
  hart.isa = BuildIsaString(letters, multi, letters_hidden);
  uint64_t satp_mode = 0;
  hart.mmu_type = TryGet(vcpu, kSatpMode, &satp_mode) ? MmuType(satp_mode) : "riscv,sv39";
  hart.timebase_hz = static_cast<uint32_t>(vcpu.GetOneReg(kTimebase));
  // Linux ignores Zicbom/Zicboz without their block sizes in the device tree.
  uint64_t size = 0;
  if (std::count(multi.begin(), multi.end(), "zicbom") && TryGet(vcpu, kCbomBlockSize, &size)) {
    hart.cbom_block_size = static_cast<uint32_t>(size);
  }
  if (std::count(multi.begin(), multi.end(), "zicboz") && TryGet(vcpu, kCbozBlockSize, &size)) {
    hart.cboz_block_size = static_cast<uint32_t>(size);
  }
  return hart;
}

IrqLine Machine::ExternalInterrupt(int index) {
  int fd = vcpus_.at(index).fd();
  return [fd](bool level) {
    kvm_interrupt irq{};
    irq.irq = level ? KVM_INTERRUPT_SET : KVM_INTERRUPT_UNSET;
    if (ioctl(fd, KVM_INTERRUPT, &irq) < 0) ThrowErrno("KVM_INTERRUPT");
  };
}

IrqLine Machine::TimerInterrupt(int index) {
  KvmVcpu* vcpu = &vcpus_.at(index);
  return [vcpu](bool level) {
    // sip holds the external interrupt too: change only the timer bit.
    uint64_t sip = vcpu->GetOneReg(kSip);
    vcpu->SetOneReg(kSip, level ? sip | kSipTimer : sip & ~kSipTimer);
  };
}

void Machine::SetBootRegisters(uint64_t entry, uint64_t dtb) {
  KvmVcpu& boot = vcpus_.at(0);
  boot.SetOneReg(kA0, 0);
  boot.SetOneReg(kA1, dtb);
  boot.SetOneReg(kPc, entry);
}

struct Machine::State {
  std::vector<VcpuRegisters> harts;
};

namespace {

constexpr uint64_t CsrReg(size_t offset) {
  return kRegU64 | KVM_REG_RISCV_CSR | KVM_REG_RISCV_CSR_GENERAL | (offset / sizeof(unsigned long));
}

// The host's time (htimedelta plus the host counter) and its rate: the
// guest's time is vmrr's under the series, and the rate cannot change.
bool IsHostTime(uint64_t id) {
  constexpr uint64_t kTimerTime =
      kRegU64 | KVM_REG_RISCV_TIMER | (offsetof(kvm_riscv_timer, time) / sizeof(uint64_t));
  return id == kTimerTime || id == kTimebase;
}

}  // namespace

std::shared_ptr<const Machine::State> Machine::SaveState() {
  auto state = std::make_shared<State>();
  for (KvmVcpu& vcpu : vcpus_) state->harts.push_back(SaveVcpuRegisters(vcpu, IsHostTime));
  return state;
}

void Machine::RestoreState(const State& state) {
  for (size_t i = 0; i < vcpus_.size(); ++i) RestoreVcpuRegisters(vcpus_[i], state.harts.at(i));
}

std::vector<std::pair<std::string, uint64_t>> Machine::RegisterDump() {
  static const char* const kNames[32] = {"pc", "ra", "sp",  "gp",  "tp", "t0", "t1", "t2",
                                         "s0", "s1", "a0",  "a1",  "a2", "a3", "a4", "a5",
                                         "a6", "a7", "s2",  "s3",  "s4", "s5", "s6", "s7",
                                         "s8", "s9", "s10", "s11", "t3", "t4", "t5", "t6"};
  KvmVcpu& vcpu = vcpus_.at(0);
  std::vector<std::pair<std::string, uint64_t>> out;
  for (size_t i = 1; i < 32; ++i) {
    out.emplace_back(kNames[i], vcpu.GetOneReg(CoreReg(i * sizeof(uint64_t))));
  }
  out.emplace_back("pc", vcpu.GetOneReg(kPc));
  out.emplace_back("mode", vcpu.GetOneReg(CoreReg(offsetof(kvm_riscv_core, mode))));
  struct Named {
    const char* name;
    uint64_t id;
  };
  for (const Named& r : {Named{"sstatus", CsrReg(offsetof(kvm_riscv_csr, sstatus))},
                         Named{"sie", CsrReg(offsetof(kvm_riscv_csr, sie))},
                         Named{"stvec", CsrReg(offsetof(kvm_riscv_csr, stvec))},
                         Named{"sscratch", CsrReg(offsetof(kvm_riscv_csr, sscratch))},
                         Named{"sepc", CsrReg(offsetof(kvm_riscv_csr, sepc))},
                         Named{"scause", CsrReg(offsetof(kvm_riscv_csr, scause))},
                         Named{"stval", CsrReg(offsetof(kvm_riscv_csr, stval))},
                         Named{"sip", CsrReg(offsetof(kvm_riscv_csr, sip))},
                         Named{"satp", CsrReg(offsetof(kvm_riscv_csr, satp))}}) {
    if (std::optional<uint64_t> v = vcpu.TryGetOneReg(r.id)) out.emplace_back(r.name, *v);
  }
  return out;
}

namespace {

constexpr uint64_t kSatp = CsrReg(offsetof(kvm_riscv_csr, satp));

// gdb's names of the general registers (its riscv target description).
constexpr const char* kXNames[32] = {"zero", "ra", "sp",  "gp",  "tp", "t0", "t1", "t2",
                                     "fp",   "s1", "a0",  "a1",  "a2", "a3", "a4", "a5",
                                     "a6",   "a7", "s2",  "s3",  "s4", "s5", "s6", "s7",
                                     "s8",   "s9", "s10", "s11", "t3", "t4", "t5", "t6"};
constexpr const char* kFNames[32] = {"ft0", "ft1", "ft2",  "ft3",  "ft4", "ft5", "ft6",  "ft7",
                                     "fs0", "fs1", "fa0",  "fa1",  "fa2", "fa3", "fa4",  "fa5",
                                     "fa6", "fa7", "fs2",  "fs3",  "fs4", "fs5", "fs6",  "fs7",
                                     "fs8", "fs9", "fs10", "fs11", "ft8", "ft9", "ft10", "ft11"};
struct GdbCsr {
  const char* name;
  size_t offset;
};
constexpr GdbCsr kGdbCsrs[] = {
    {"sstatus", offsetof(kvm_riscv_csr, sstatus)}, {"sie", offsetof(kvm_riscv_csr, sie)},
    {"stvec", offsetof(kvm_riscv_csr, stvec)},     {"sscratch", offsetof(kvm_riscv_csr, sscratch)},
    {"sepc", offsetof(kvm_riscv_csr, sepc)},       {"scause", offsetof(kvm_riscv_csr, scause)},
    {"stval", offsetof(kvm_riscv_csr, stval)},     {"sip", offsetof(kvm_riscv_csr, sip)},
    {"satp", offsetof(kvm_riscv_csr, satp)}};

}  // namespace

std::optional<uint64_t> Machine::TranslateVirtual(uint64_t va) {
  GuestMemory& memory = memory_;
  return riscv64::TranslateVirtual(va, vcpus_.at(0).TryGetOneReg(kSatp).value_or(0),
                                   [&memory](uint64_t a) { return memory.Load<uint64_t>(a); });
}

std::optional<uint64_t> Machine::KernelImageAddress(uint64_t image_pa) {
  // riscv64 Linux maps its image in the top 2 GiB (KERNEL_LINK_ADDR and up).
  std::optional<uint64_t> found;
  GuestMemory& memory = memory_;
  ForEachMapping(
      vcpus_.at(0).TryGetOneReg(kSatp).value_or(0), 0xffffffff80000000ull, ~0ull,
      [&memory](uint64_t a) { return memory.Load<uint64_t>(a); },
      [&](uint64_t va, uint64_t pa, uint64_t size) {
        if (image_pa < pa || image_pa - pa >= size) return true;
        found = va + (image_pa - pa);
        return false;
      });
  return found;
}

void Machine::EnableSoftwareBreakpoints(bool on) {
  vcpus_.at(0).SetGuestDebug(on ? KVM_GUESTDBG_ENABLE : 0);
}

std::string Machine::SoftwareBreakpoint(const std::string& instruction) {
  if (instruction.size() < 2) return "";
  // A compressed instruction (low bits not 0b11) is two bytes: c.ebreak.
  if ((static_cast<uint8_t>(instruction[0]) & 3) != 3) return std::string("\x02\x90", 2);
  return std::string("\x73\x00\x10\x00", 4);  // ebreak
}

std::string Machine::GdbTargetDescription(const std::string& annex) {
  if (annex != "target.xml") return "";
  std::string xml =
      "<?xml version=\"1.0\"?>\n<!DOCTYPE target SYSTEM \"gdb-target.dtd\">\n<target>\n"
      "<architecture>riscv:rv64</architecture>\n<feature name=\"org.gnu.gdb.riscv.cpu\">\n";
  for (const char* name : kXNames) {
    xml += std::string("<reg name=\"") + name + "\" bitsize=\"64\" type=\"int\"/>\n";
  }
  xml += "<reg name=\"pc\" bitsize=\"64\" type=\"code_ptr\"/>\n</feature>\n";
  xml += "<feature name=\"org.gnu.gdb.riscv.fpu\">\n";
  for (const char* name : kFNames) {
    xml += std::string("<reg name=\"") + name + "\" bitsize=\"64\" type=\"ieee_double\"/>\n";
  }
  xml +=
      "<reg name=\"fflags\" bitsize=\"32\" type=\"int\"/>\n"
      "<reg name=\"frm\" bitsize=\"32\" type=\"int\"/>\n"
      "<reg name=\"fcsr\" bitsize=\"32\" type=\"int\"/>\n</feature>\n"
      "<feature name=\"org.gnu.gdb.riscv.csr\">\n";
  for (const GdbCsr& csr : kGdbCsrs) {
    xml += std::string("<reg name=\"") + csr.name + "\" bitsize=\"64\" type=\"int\"/>\n";
  }
  xml +=
      "</feature>\n<feature name=\"org.gnu.gdb.riscv.virtual\">\n"
      "<reg name=\"priv\" bitsize=\"64\" type=\"int\"/>\n</feature>\n</target>\n";
  return xml;
}

std::vector<std::string> Machine::GdbRegisters() {
  KvmVcpu& vcpu = vcpus_.at(0);
  auto u64 = [](uint64_t v) { return std::string(reinterpret_cast<const char*>(&v), 8); };
  auto u32 = [](uint64_t v) {
    auto w = static_cast<uint32_t>(v);
    return std::string(reinterpret_cast<const char*>(&w), 4);
  };
  std::vector<std::string> regs;
  regs.push_back(u64(0));  // x0
  for (size_t i = 1; i < 32; ++i)
    regs.push_back(u64(vcpu.GetOneReg(CoreReg(i * sizeof(uint64_t)))));
  regs.push_back(u64(vcpu.GetOneReg(kPc)));
  for (size_t i = 0; i < 32; ++i) {
    uint64_t id = kRegU64 | KVM_REG_RISCV_FP_D | (KVM_REG_RISCV_FP_D_REG(f[0]) + i);
    regs.push_back(u64(vcpu.TryGetOneReg(id).value_or(0)));
  }
  uint64_t fcsr_id =
      KVM_REG_RISCV | KVM_REG_SIZE_U32 | KVM_REG_RISCV_FP_D | KVM_REG_RISCV_FP_D_REG(fcsr);
  std::vector<uint8_t> raw(4, 0);
  try {
    raw = vcpu.GetRegisterBytes(fcsr_id);
  } catch (const Error&) {
    // No floating point: zeros.
  }
  uint32_t fcsr = 0;
  std::memcpy(&fcsr, raw.data(), 4);
  regs.push_back(u32(fcsr & 0x1f));
  regs.push_back(u32((fcsr >> 5) & 7));
  regs.push_back(u32(fcsr));
  for (const GdbCsr& csr : kGdbCsrs)
    regs.push_back(u64(vcpu.TryGetOneReg(CsrReg(csr.offset)).value_or(0)));
  regs.push_back(u64(vcpu.GetOneReg(CoreReg(offsetof(kvm_riscv_core, mode)))));
  return regs;
}

uint64_t Machine::Pc() { return vcpus_.at(0).GetOneReg(kPc); }

uint64_t Machine::RegistersDigest() {
  KvmVcpu& vcpu = vcpus_.at(0);
  // user_regs_struct: pc, then x1..x31 in order; kvm_riscv_core adds mode.
  uint64_t regs[32];
  for (size_t i = 1; i < 32; ++i) regs[i - 1] = vcpu.GetOneReg(CoreReg(i * sizeof(uint64_t)));
  regs[31] = vcpu.GetOneReg(CoreReg(offsetof(kvm_riscv_core, mode)));
  return RegsDigest(regs, 32);
}

}  // namespace vmrr::riscv64
