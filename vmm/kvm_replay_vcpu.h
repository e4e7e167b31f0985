// replay's ReplayVcpu over the real machine: KVM exits decoded into
// VcpuStops, the guest counter (through KvmSteppableVcpu's stepping), the
// platform's registers and interrupt lines, and dirty-page memory digests.
#pragma once

#include <map>
#include <memory>

#include "replay/replay_vcpu.h"
#include "vmm/dirty_memory_digest.h"
#include "vmm/guest_counter.h"
#include "vmm/guest_platform.h"
#include "vmm/kvm_steppable_vcpu.h"

namespace vmrr {

class KvmReplayVcpu : public ReplayVcpu {
 public:
  // `counter` must count this thread's guest instructions from 0, with its
  // overflow routed to this thread; `digest` may be null (no memory checks).
  KvmReplayVcpu(GuestPlatform& platform, GuestCounter& counter, DirtyMemoryDigest* digest);

  uint64_t Instructions() override { return steppable_.Instructions(); }
  Stop RunWithOverflow(uint64_t count) override { return steppable_.RunWithOverflow(count); }
  Stop Step() override { return steppable_.Step(); }

  VcpuStop Run() override;
  VcpuStop LastExit() override;
  uint64_t Pc() override { return platform_.Pc(); }
  uint64_t RegistersDigest() override { return platform_.RegistersDigest(); }
  void CompleteMmioRead(uint64_t value) override;
  void CompleteHypercall(const std::vector<uint64_t>& values) override;
  void CompleteClockRead(uint64_t value) override;
  void SettlePendingExit() override;
  void SetInterruptLine(uint32_t line, bool level) override;
  bool WriteMemory(uint64_t gpa, const std::string& data) override;
  uint64_t MemoryDigest(std::vector<uint64_t>* pages) override;
  uint64_t MemoryDigestOf(const std::vector<uint64_t>& pages) override;
  std::string ExplainCodeAt(uint64_t pc) override;

 private:
  GuestPlatform& platform_;
  GuestCounter& counter_;
  DirtyMemoryDigest* digest_;
  KvmSteppableVcpu steppable_;
  std::map<uint32_t, IrqLine> lines_;
};

// The VcpuStop for the exit in `run` (record and replay read exits alike).
VcpuStop DecodeExit(GuestPlatform& platform, const kvm_run& run);

}  // namespace vmrr
