#include "vmm/arm64/exits.h"

#include <cstddef>
#include <cstring>

#include "base/error.h"

namespace vmrr::arm64 {

namespace {

// kvm_run's arm_sysreg member, at the start of its exit union.
struct ArmSysregExit {
  uint64_t reg;
  uint64_t value;
  uint8_t is_write;
  uint8_t pad[7];
};
constexpr size_t kExitUnion = offsetof(kvm_run, mmio);
static_assert(sizeof(ArmSysregExit) <= 256, "kvm_run's exit union is 256 bytes");

constexpr uint64_t kCntvct = SysRegId(3, 3, 14, 0, 2), kCntvctss = SysRegId(3, 3, 14, 0, 6);
constexpr uint64_t kCntpct = SysRegId(3, 3, 14, 0, 1), kCntpctss = SysRegId(3, 3, 14, 0, 5);
// CNTV_{TVAL,CTL,CVAL}_EL0 are (3,3,14,3,{0,1,2}); CNTP_ the same with CRm 2.
constexpr uint64_t kCntvTimer = SysRegId(3, 3, 14, 3, 0), kCntpTimer = SysRegId(3, 3, 14, 2, 0);

struct TimerRegister {
  uint32_t timer;  // 0: virtual, 1: physical
  ArmGenericTimer::Register reg;
};

std::optional<TimerRegister> DecodeTimerRegister(uint64_t id) {
  uint64_t op2 = id & 7;
  uint64_t base = id & ~uint64_t{7};
  if ((base != kCntvTimer && base != kCntpTimer) || op2 > 2) return std::nullopt;
  static constexpr ArmGenericTimer::Register kRegs[] = {ArmGenericTimer::Register::kTval,
                                                        ArmGenericTimer::Register::kCtl,
                                                        ArmGenericTimer::Register::kCval};
  return TimerRegister{base == kCntvTimer ? 0u : 1u, kRegs[op2]};
}

}  // namespace

std::optional<SysregAccess> ParseSysregExit(const kvm_run& run) {
  if (run.exit_reason != kExitArmSysreg) return std::nullopt;
  ArmSysregExit exit;
  std::memcpy(&exit, reinterpret_cast<const uint8_t*>(&run) + kExitUnion, sizeof(exit));
  return SysregAccess{exit.reg, exit.value, exit.is_write != 0};
}

void CompleteSysregRead(kvm_run& run, uint64_t value) {
  std::memcpy(reinterpret_cast<uint8_t*>(&run) + kExitUnion + offsetof(ArmSysregExit, value),
              &value, sizeof(value));
}

std::optional<VcpuStop> Arm64Exits::Decode(const kvm_run& run) const {
  if (!owns_time_) return std::nullopt;
  VcpuStop stop;
  if (run.exit_reason == KVM_EXIT_HLT) {
    stop.kind = VcpuStop::Kind::kIdle;
    return stop;
  }
  std::optional<SysregAccess> access = ParseSysregExit(run);
  if (!access) return std::nullopt;
  // The virtual and physical counters read the same guest clock.
  if (!access->is_write && (access->reg == kCntvct || access->reg == kCntvctss ||
                            access->reg == kCntpct || access->reg == kCntpctss)) {
    stop.kind = VcpuStop::Kind::kClockRead;
    stop.function = static_cast<uint64_t>(ClockCounter::kTime);
    return stop;
  }
  if (!DecodeTimerRegister(access->reg)) return std::nullopt;
  stop.kind = VcpuStop::Kind::kTimer;
  stop.function = access->reg | (access->is_write ? kWriteBit : 0);
  return stop;
}

void Arm64Exits::CompleteHypercall(kvm_run& run, const std::vector<uint64_t>& values) const {
  std::optional<SysregAccess> access = ParseSysregExit(run);
  if (access && !access->is_write && !values.empty()) CompleteSysregRead(run, values[0]);
}

void Arm64Exits::CompleteClockRead(kvm_run& run, uint64_t value) const {
  CompleteSysregRead(run, value);
}

ArchExits::TimerAccess Arm64Exits::AccessTimer(kvm_run& run,
                                               const std::function<uint64_t()>& ticks) {
  std::optional<SysregAccess> sysreg = ParseSysregExit(run);
  std::optional<TimerRegister> reg = sysreg ? DecodeTimerRegister(sysreg->reg) : std::nullopt;
  if (!reg) throw Error(ErrorKind::kInternal, "AccessTimer on an exit that is no timer access");
  ArmGenericTimer& timer = timers_[reg->timer];
  TimerAccess access;
  access.function = sysreg->reg | (sysreg->is_write ? kWriteBit : 0);
  access.timer = reg->timer;
  if (sysreg->is_write) {
    timer.Write(reg->reg, sysreg->value, ticks());
  } else {
    access.values = {timer.Read(reg->reg, ticks())};
    CompleteSysregRead(run, access.values[0]);
  }
  access.deadline = timer.Deadline();
  return access;
}

}  // namespace vmrr::arm64
