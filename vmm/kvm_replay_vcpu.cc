#include "vmm/kvm_replay_vcpu.h"

#include "base/error.h"
#include "devices/mmio_access.h"

namespace vmrr {

KvmReplayVcpu::KvmReplayVcpu(GuestMachine& machine, const ArchExits& exits, GuestCounter& counter,
                             DirtyPageLog& log, DirtyMemoryDigest& digest)
    : machine_(machine),
      exits_(exits),
      counter_(counter),
      log_(log),
      digest_(digest),
      snapshots_(machine.memory()),
      steppable_(machine.vcpu(), counter,
                 machine.has_single_step() ? KvmSteppableVcpu::StepMethod::kSingleStep
                                           : KvmSteppableVcpu::StepMethod::kOverflow,
                 [&machine](bool on) { machine.SetSingleStep(on); }) {
  // The guest's writes come from KVM's log; the VMM's (boot regions, device
  // writes from the trace) from the memory's observer.
  log_.Track(&snapshots_.written());
  GuestMemory& memory = machine.memory();
  memory.set_write_observer(
      [this, base = memory.base()](uint64_t gpa, const uint8_t*, uint64_t len) {
        snapshots_.written().AddRange(gpa - base, len);
      });
}

KvmReplayVcpu::~KvmReplayVcpu() { machine_.memory().set_write_observer(nullptr); }

struct KvmReplayVcpu::State {
  std::any machine;
  std::shared_ptr<const MemorySnapshot> memory;
  uint64_t instructions = 0;
  std::map<uint32_t, bool> levels;
  PageSet digest_pending;
};

std::any KvmReplayVcpu::SaveState() {
  SettlePendingExit();
  log_.Peek();
  auto state = std::make_shared<State>();
  state->machine = machine_.SaveMachineState();
  state->memory = snapshots_.Take();
  state->instructions = Instructions();
  state->levels = levels_;
  state->digest_pending = digest_.pending();
  last_snapshot_bytes_ = state->memory->own_bytes();
  return std::shared_ptr<const State>(state);
}

void KvmReplayVcpu::RestoreState(const std::any& any) {
  const State& state = *std::any_cast<std::shared_ptr<const State>>(any);
  // KVM finishes whatever exit is pending first, or it would do so later,
  // over the restored registers.
  try {
    SettlePendingExit();
  } catch (const Error&) {
    // A vCPU KVM refuses to run (a crashed guest): the restore rewrites it.
  }
  if (machine_.has_single_step()) machine_.SetSingleStep(false);
  log_.Peek();
  last_restored_pages_ = snapshots_.Restore(state.memory);
  machine_.RestoreMachineState(state.machine);
  // The lines' levels last: the interrupt controller's inputs as they were.
  for (const auto& [line, level] : levels_) {
    if (!state.levels.count(line) && level) SetInterruptLine(line, false);
  }
  for (const auto& [line, level] : state.levels) SetInterruptLine(line, level);
  steppable_.SetInstructions(state.instructions);
  digest_.pending() = state.digest_pending;
}

VcpuStop KvmReplayVcpu::Run() {
  counter_.Enable();
  bool exited = machine_.vcpu().Run();
  counter_.Disable();
  return exited ? LastExit() : VcpuStop{};
}

VcpuStop KvmReplayVcpu::LastExit() { return DecodeExit(exits_, *machine_.vcpu().run()); }

void KvmReplayVcpu::CompleteMmioRead(uint64_t value) {
  kvm_run& run = *machine_.vcpu().run();
  StoreLe(run.mmio.data, run.mmio.len <= 8 ? run.mmio.len : 8, value);
}

void KvmReplayVcpu::CompleteHypercall(const std::vector<uint64_t>& values) {
  exits_.CompleteHypercall(*machine_.vcpu().run(), values);
}

void KvmReplayVcpu::CompleteClockRead(uint64_t value) {
  exits_.CompleteClockRead(*machine_.vcpu().run(), value);
}

void KvmReplayVcpu::SettlePendingExit() {
  // KVM completes the pending MMIO (moving the PC on) and returns at once.
  kvm_run& run = *machine_.vcpu().run();
  run.immediate_exit = 1;
  machine_.vcpu().Run();
  run.immediate_exit = 0;
}

void KvmReplayVcpu::SetInterruptLine(uint32_t line, bool level) {
  auto it = lines_.find(line);
  if (it == lines_.end()) it = lines_.emplace(line, machine_.Line(line)).first;
  it->second(level);
  levels_[line] = level;
}

bool KvmReplayVcpu::WriteMemory(uint64_t gpa, const std::string& data) {
  return machine_.memory().Write(gpa, data.data(), data.size());
}

uint64_t KvmReplayVcpu::MemoryDigest(std::vector<uint64_t>* pages) { return digest_.Take(pages); }

std::string KvmReplayVcpu::ExplainCodeAt(uint64_t pc) { return machine_.ExplainCodeAt(pc); }

uint64_t KvmReplayVcpu::MemoryDigestOf(const std::vector<uint64_t>& pages) {
  return digest_.DigestOf(pages);
}

}  // namespace vmrr
