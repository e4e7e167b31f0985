#include "vmm/riscv64/exits.h"

#include <spdlog/spdlog.h>

#include "base/error.h"

namespace vmrr::riscv64 {

namespace {

constexpr int64_t kSbiErrNotSupported = -2;
constexpr uint64_t kSbiExtTime = 0x54494D45;  // "TIME"
constexpr uint64_t kSbiTimeSetTimer = 0;
constexpr uint64_t kCsrCycle = 0xc00, kCsrTime = 0xc01, kCsrInstret = 0xc02;

std::optional<ClockCounter> CounterRead(const kvm_run& run) {
  if (run.exit_reason != KVM_EXIT_RISCV_CSR) return std::nullopt;
  switch (run.riscv_csr.csr_num) {
    case kCsrTime:
      return ClockCounter::kTime;
    case kCsrCycle:
      return ClockCounter::kCycles;
    case kCsrInstret:
      return ClockCounter::kInstructions;
    default:
      return std::nullopt;
  }
}

bool IsSetTimer(const kvm_run& run) {
  return run.exit_reason == KVM_EXIT_RISCV_SBI && run.riscv_sbi.extension_id == kSbiExtTime &&
         run.riscv_sbi.function_id == kSbiTimeSetTimer;
}

}  // namespace

std::optional<VcpuStop> Riscv64Exits::Decode(const kvm_run& run) const {
  VcpuStop stop;
  if (owns_time_) {
    if (std::optional<ClockCounter> counter = CounterRead(run)) {
      stop.kind = VcpuStop::Kind::kClockRead;
      stop.function = static_cast<uint64_t>(*counter);
      return stop;
    }
    if (run.exit_reason == KVM_EXIT_HLT) {
      stop.kind = VcpuStop::Kind::kIdle;
      return stop;
    }
  }
  if (run.exit_reason != KVM_EXIT_RISCV_SBI) return std::nullopt;
  stop.kind = owns_time_ && IsSetTimer(run) ? VcpuStop::Kind::kTimer : VcpuStop::Kind::kHypercall;
  stop.function = (uint64_t{run.riscv_sbi.extension_id} << 32) | run.riscv_sbi.function_id;
  return stop;
}

void Riscv64Exits::CompleteHypercall(kvm_run& run, const std::vector<uint64_t>& values) const {
  for (size_t i = 0; i < 2; ++i) run.riscv_sbi.ret[i] = i < values.size() ? values[i] : 0;
}

void Riscv64Exits::CompleteClockRead(kvm_run& run, uint64_t value) const {
  run.riscv_csr.ret_value = value;
}

std::vector<uint64_t> Riscv64Exits::AnswerHypercall(kvm_run& run) {
  spdlog::debug("SBI call to the VMM: extension {:#x} function {}", run.riscv_sbi.extension_id,
                run.riscv_sbi.function_id);
  std::vector<uint64_t> values = {static_cast<uint64_t>(kSbiErrNotSupported), 0};
  CompleteHypercall(run, values);
  return values;
}

ArchExits::TimerAccess Riscv64Exits::AccessTimer(kvm_run& run,
                                                 const std::function<uint64_t()>& /*ticks*/) {
  if (!IsSetTimer(run)) throw Error(ErrorKind::kInternal, "AccessTimer on no set_timer exit");
  TimerAccess access;
  access.function = (uint64_t{run.riscv_sbi.extension_id} << 32) | run.riscv_sbi.function_id;
  access.values = {0, 0};
  CompleteHypercall(run, access.values);
  uint64_t deadline = run.riscv_sbi.args[0];
  if (deadline != UINT64_MAX) access.deadline = deadline;
  return access;
}

}  // namespace vmrr::riscv64
