#include "vmm/kvm_replay_vcpu.h"

#include <algorithm>
#include <cstring>

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
      steppable_(
          machine.vcpu(), counter,
          machine.has_single_step() ? KvmSteppableVcpu::StepMethod::kSingleStep
                                    : KvmSteppableVcpu::StepMethod::kOverflow,
          [&machine](bool on) { machine.SetSingleStep(on); },
          [&machine](const kvm_run& run) { return machine.IsStepExit(run); }) {
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
  std::vector<uint64_t> writable;  // DirtyPageLog::Writable()
};

template <typename F>
auto KvmReplayVcpu::WithoutPatches(F f) {
  struct Reapply {
    KvmReplayVcpu* vcpu;
    bool was;
    ~Reapply() {
      if (was) vcpu->ApplyPatches();
    }
  } reapply{this, patched_};
  RemovePatches();
  return f();
}

void KvmReplayVcpu::RemovePatches() {
  if (!patched_) return;
  for (auto it = patches_.rbegin(); it != patches_.rend(); ++it) {
    std::memcpy(machine_.memory().Translate(it->gpa, it->original.size()), it->original.data(),
                it->original.size());
  }
  patched_ = false;
}

void KvmReplayVcpu::ApplyPatches() {
  if (patched_ || patches_.empty()) return;
  for (Patch& patch : patches_) {
    uint8_t* host = machine_.memory().Translate(patch.gpa, patch.breakpoint.size());
    patch.original.assign(reinterpret_cast<const char*>(host), patch.breakpoint.size());
    std::memcpy(host, patch.breakpoint.data(), patch.breakpoint.size());
  }
  patched_ = true;
}

bool KvmReplayVcpu::SetBreakpoints(const std::vector<uint64_t>& pcs) {
  RemovePatches();
  patches_.clear();
  machine_.EnableSoftwareBreakpoints(false);
  if (machine_.SetHardwareBreakpoints(pcs)) return true;
  for (uint64_t pc : pcs) {
    std::optional<uint64_t> gpa = machine_.TranslateVirtual(pc);
    std::string code;
    if (!gpa || !ReadMemory(*gpa, true, 4, &code)) return false;
    std::string breakpoint = machine_.SoftwareBreakpoint(code);
    if (breakpoint.empty() || !machine_.memory().Contains(*gpa, breakpoint.size())) return false;
    patches_.push_back(Patch{*gpa, "", breakpoint});
  }
  ApplyPatches();
  machine_.EnableSoftwareBreakpoints(true);
  return true;
}

bool KvmReplayVcpu::ReadMemory(uint64_t address, bool physical, uint64_t len, std::string* out) {
  out->clear();
  GuestMemory& memory = machine_.memory();
  while (len > 0) {
    uint64_t page_left = 4096 - (address & 4095);
    uint64_t n = std::min(len, page_left);
    std::optional<uint64_t> gpa =
        physical ? std::optional(address) : machine_.TranslateVirtual(address);
    const uint8_t* host = gpa ? memory.Translate(*gpa, n) : nullptr;
    if (host == nullptr) return false;
    size_t at = out->size();
    out->append(reinterpret_cast<const char*>(host), n);
    // The code as it is, without the debugger's breakpoints.
    if (patched_) {
      for (const Patch& p : patches_) {
        for (size_t i = 0; i < p.original.size(); ++i) {
          if (p.gpa + i >= *gpa && p.gpa + i < *gpa + n) {
            (*out)[at + (p.gpa + i - *gpa)] = p.original[i];
          }
        }
      }
    }
    address += n;
    len -= n;
  }
  return true;
}

std::any KvmReplayVcpu::SaveState() {
  return WithoutPatches([this] { return SaveStateWithoutPatches(); });
}

std::any KvmReplayVcpu::SaveStateWithoutPatches() {
  SettlePendingExit();
  auto state = std::make_shared<State>();
  state->writable = log_.Writable();
  state->machine = machine_.SaveMachineState();
  state->memory = snapshots_.Take();
  state->instructions = Instructions();
  state->levels = levels_;
  state->digest_pending = digest_.pending();
  last_snapshot_bytes_ = state->memory->own_bytes();
  return std::shared_ptr<const State>(state);
}

void KvmReplayVcpu::RestoreState(const std::any& any) {
  WithoutPatches([this, &any] {
    RestoreStateWithoutPatches(any);
    return 0;
  });
}

void KvmReplayVcpu::RestoreStateWithoutPatches(const std::any& any) {
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
  log_.SetWritable(state.writable);
}

bool KvmReplayVcpu::RestoresExactly(const std::any& any) {
  return log_.CanSetWritable(std::any_cast<std::shared_ptr<const State>>(any)->writable);
}

VcpuStop KvmReplayVcpu::Run() {
  counter_.Enable();
  bool exited = machine_.vcpu().Run();
  counter_.Disable();
  if (!exited) return VcpuStop{};
  UncountBreakpoint(Stop::kExit);
  return LastExit();
}

SteppableVcpu::Stop KvmReplayVcpu::UncountBreakpoint(Stop stop) {
  if (stop == Stop::kExit && patched_ && machine_.vcpu().run()->exit_reason == KVM_EXIT_DEBUG) {
    steppable_.Uncount(1);
  }
  return stop;
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
  return WithoutPatches([&] { return machine_.memory().Write(gpa, data.data(), data.size()); });
}

uint64_t KvmReplayVcpu::MemoryDigest(std::vector<uint64_t>* pages) {
  return WithoutPatches([&] { return digest_.Take(pages); });
}

std::string KvmReplayVcpu::ExplainCodeAt(uint64_t pc) { return machine_.ExplainCodeAt(pc); }

uint64_t KvmReplayVcpu::MemoryDigestOf(const std::vector<uint64_t>& pages) {
  return WithoutPatches([&] { return digest_.DigestOf(pages); });
}

}  // namespace vmrr
