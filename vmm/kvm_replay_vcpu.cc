#include "vmm/kvm_replay_vcpu.h"

#include "devices/mmio_access.h"

namespace vmrr {

VcpuStop DecodeExit(GuestPlatform& platform, const kvm_run& run) {
  VcpuStop stop;
  uint64_t function = 0;
  switch (run.exit_reason) {
    case KVM_EXIT_MMIO:
      stop.kind = VcpuStop::Kind::kMmio;
      stop.gpa = run.mmio.phys_addr;
      stop.len = run.mmio.len;
      stop.is_write = run.mmio.is_write != 0;
      if (stop.is_write && stop.len <= 8) stop.write_value = LoadLe(run.mmio.data, stop.len);
      return stop;
    case KVM_EXIT_SYSTEM_EVENT:
      stop.kind = run.system_event.type == KVM_SYSTEM_EVENT_SHUTDOWN ? VcpuStop::Kind::kPowerOff
                  : run.system_event.type == KVM_SYSTEM_EVENT_RESET  ? VcpuStop::Kind::kReset
                                                                     : VcpuStop::Kind::kCrash;
      return stop;
    case KVM_EXIT_INTR:
    case KVM_EXIT_DEBUG:
      return stop;  // kInterrupted
    default:
      if (std::optional<ClockCounter> counter = platform.CounterRead(run)) {
        stop.kind = VcpuStop::Kind::kClockRead;
        stop.function = static_cast<uint64_t>(*counter);
        return stop;
      }
      if (platform.IsIdle(run)) {
        stop.kind = VcpuStop::Kind::kIdle;
        return stop;
      }
      if (platform.IsHypercall(run, &function)) {
        stop.kind = VcpuStop::Kind::kHypercall;
        stop.function = function;
        return stop;
      }
      stop.kind = VcpuStop::Kind::kCrash;
      stop.detail = "unexpected KVM exit " + ExitReasonName(run.exit_reason);
      return stop;
  }
}

KvmReplayVcpu::KvmReplayVcpu(GuestPlatform& platform, GuestCounter& counter,
                             DirtyMemoryDigest* digest)
    : platform_(platform),
      counter_(counter),
      digest_(digest),
      steppable_(platform.vcpu(), counter,
                 platform.has_single_step() ? KvmSteppableVcpu::StepMethod::kSingleStep
                                            : KvmSteppableVcpu::StepMethod::kOverflow,
                 [&platform](bool on) { platform.SetSingleStep(on); }) {}

VcpuStop KvmReplayVcpu::Run() {
  counter_.Enable();
  bool exited = platform_.vcpu().Run();
  counter_.Disable();
  return exited ? LastExit() : VcpuStop{};
}

VcpuStop KvmReplayVcpu::LastExit() { return DecodeExit(platform_, *platform_.vcpu().run()); }

void KvmReplayVcpu::CompleteMmioRead(uint64_t value) {
  kvm_run& run = *platform_.vcpu().run();
  StoreLe(run.mmio.data, run.mmio.len <= 8 ? run.mmio.len : 8, value);
}

void KvmReplayVcpu::CompleteHypercall(const std::vector<uint64_t>& values) {
  platform_.CompleteHypercall(*platform_.vcpu().run(), values);
}

void KvmReplayVcpu::CompleteClockRead(uint64_t value) {
  platform_.CompleteCounterRead(*platform_.vcpu().run(), value);
}

void KvmReplayVcpu::SettlePendingExit() {
  // KVM completes the pending MMIO (moving the PC on) and returns at once.
  kvm_run& run = *platform_.vcpu().run();
  run.immediate_exit = 1;
  platform_.vcpu().Run();
  run.immediate_exit = 0;
}

void KvmReplayVcpu::SetInterruptLine(uint32_t line, bool level) {
  auto it = lines_.find(line);
  if (it == lines_.end()) it = lines_.emplace(line, platform_.Line(line)).first;
  it->second(level);
}

bool KvmReplayVcpu::WriteMemory(uint64_t gpa, const std::string& data) {
  return platform_.memory().Write(gpa, data.data(), data.size());
}

uint64_t KvmReplayVcpu::MemoryDigest(std::vector<uint64_t>* pages) {
  if (digest_ == nullptr) {
    pages->clear();
    return 0;
  }
  return digest_->Take(pages);
}

std::string KvmReplayVcpu::ExplainCodeAt(uint64_t pc) { return platform_.ExplainCodeAt(pc); }

uint64_t KvmReplayVcpu::MemoryDigestOf(const std::vector<uint64_t>& pages) {
  return digest_ == nullptr ? 0 : digest_->DigestOf(pages);
}

}  // namespace vmrr
