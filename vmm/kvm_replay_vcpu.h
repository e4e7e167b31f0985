// replay's ReplayVcpu over the real machine: KVM exits decoded into
// VcpuStops, the guest counter (through KvmSteppableVcpu's stepping), the
// platform's registers and interrupt lines, dirty-page memory digests, and
// checkpoints of all of it (registers, interrupt controller, the lines' levels,
// RAM as incremental snapshots, the instruction count).
#pragma once

#include <map>
#include <memory>

#include "memory/memory_snapshots.h"
#include "replay/debug_vcpu.h"
#include "replay/replay_vcpu.h"
#include "vmm/dirty_memory_digest.h"
#include "vmm/exit_decoder.h"
#include "vmm/guest_counter.h"
#include "vmm/guest_platform.h"
#include "vmm/kvm_steppable_vcpu.h"

namespace vmrr {

// Breakpoints: the machine's hardware ones where it has enough (arm64),
// else breakpoint instructions written over the code (riscv64 ebreak),
// which never show: digests, checkpoints, the trace's own writes and the
// debugger's reads all see the original bytes.
class KvmReplayVcpu : public ReplayVcpu, public DebugVcpu {
 public:
  // `counter` must count this thread's guest instructions from 0, with its
  // overflow routed to this thread.  Every write to guest RAM from now on
  // (boot regions too) is seen by the checkpoints' memory snapshots, so
  // create it before RAM is loaded.
  KvmReplayVcpu(GuestMachine& machine, const ArchExits& exits, GuestCounter& counter,
                DirtyPageLog& log, DirtyMemoryDigest& digest);
  ~KvmReplayVcpu() override;
  KvmReplayVcpu(const KvmReplayVcpu&) = delete;
  KvmReplayVcpu& operator=(const KvmReplayVcpu&) = delete;

  uint64_t Instructions() override { return steppable_.Instructions(); }
  Stop RunWithOverflow(uint64_t count) override {
    return UncountBreakpoint(steppable_.RunWithOverflow(count));
  }
  Stop Step() override { return UncountBreakpoint(steppable_.Step()); }

  VcpuStop Run() override;
  VcpuStop LastExit() override;
  // The guest stopped at one of the debugger's software breakpoints (ebreak,
  // brk): QEMU counts the trapping instruction as retired, which it never
  // was (measured on riscv64 in the rig: each breakpoint hit made the count
  // one higher than a run to the same PC by count).  Takes it back.
  Stop UncountBreakpoint(Stop stop);
  uint64_t Pc() override { return machine_.Pc(); }
  uint64_t RegistersDigest() override { return machine_.RegistersDigest(); }
  void CompleteMmioRead(uint64_t value) override;
  void CompleteHypercall(const std::vector<uint64_t>& values) override;
  void CompleteClockRead(uint64_t value) override;
  void SettlePendingExit() override;
  void SetInterruptLine(uint32_t line, bool level) override;
  bool WriteMemory(uint64_t gpa, const std::string& data) override;
  uint64_t MemoryDigest(std::vector<uint64_t>* pages) override;
  uint64_t MemoryDigestOf(const std::vector<uint64_t>& pages) override;
  std::string ExplainCodeAt(uint64_t pc) override;
  std::any SaveState() override;
  void RestoreState(const std::any& state) override;
  bool RestoresExactly(const std::any& state) override;

  bool SetBreakpoints(const std::vector<uint64_t>& pcs) override;
  bool ReadMemory(uint64_t address, bool physical, uint64_t len, std::string* out) override;
  std::string TargetDescription(const std::string& annex) override {
    return machine_.GdbTargetDescription(annex);
  }
  std::vector<std::string> Registers() override { return machine_.GdbRegisters(); }
  uint64_t DebugPc() override { return machine_.Pc(); }

  // Bytes of RAM the last SaveState() copied, and pages the last
  // RestoreState() rewrote (for the figures).
  uint64_t last_saved_bytes() const override { return last_snapshot_bytes_; }
  uint64_t last_restored_pages() const { return last_restored_pages_; }

 private:
  struct State;
  struct Patch {
    uint64_t gpa;
    std::string original;
    std::string breakpoint;
  };
  // Software breakpoints out of memory while `f` runs (it may rewrite RAM:
  // the originals are read again after).
  template <typename F>
  auto WithoutPatches(F f);
  void RemovePatches();
  void ApplyPatches();
  std::any SaveStateWithoutPatches();
  void RestoreStateWithoutPatches(const std::any& state);

  GuestMachine& machine_;
  const ArchExits& exits_;
  GuestCounter& counter_;
  DirtyPageLog& log_;
  DirtyMemoryDigest& digest_;
  MemorySnapshots snapshots_;
  KvmSteppableVcpu steppable_;
  std::map<uint32_t, IrqLine> lines_;
  std::map<uint32_t, bool> levels_;
  std::vector<Patch> patches_;
  bool patched_ = false;
  uint64_t last_snapshot_bytes_ = 0;
  uint64_t last_restored_pages_ = 0;
};

}  // namespace vmrr
