// Run control for a debugger over a replay: continue and single-step, both
// directions, with breakpoints and watchpoints, never changing what the
// replay reproduces.  A position is the recording's instruction count and
// the instructions that exited at that count (an emulated MMIO access
// retires nothing): one instruction of the guest apart, both ways.
//   - Breakpoints are the vCPU's (DebugVcpu::SetBreakpoints), set only
//     while running forward; stepping over one runs a single instruction
//     with none set.
//   - Watchpoints watch a value: the replay checks the watched bytes at
//     every event it stops for, and when they changed, bisects the stretch
//     with seeks (checkpoints) to the instruction that changed them.  So
//     they cost no hardware and no guest memory, on any architecture; a
//     write of the same value is not reported.
//   - Reverse-continue replays forward from the latest checkpoint before
//     the current point with breakpoints and watchpoints armed, remembers
//     the last hit before the point, and goes there; with no hit, it tries
//     the checkpoint before, and at the start of the replay reports that
//     history begins there (rr's and QEMU's algorithm).
//   - Reverse-stepi seeks to one instruction before.
#pragma once

#include <compare>
#include <cstdint>
#include <functional>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "replay/debug_vcpu.h"
#include "replay/replay_timeline.h"
#include "replay/replayer.h"

namespace vmrr {

class ReplayDebugger {
 public:
  struct Stop {
    enum class Kind {
      kStep,          // a single step finished
      kBreakpoint,    // at a breakpoint (address: its PC)
      kWatchpoint,    // the watched bytes changed (address: the watch)
      kInterrupted,   // interrupted() said so
      kHistoryStart,  // reversed to the start of the replay
      kHistoryEnd,    // ran to the end of the trace
      kDiverged,      // the replay diverged: the Replayer's result says where
    };
    Kind kind = Kind::kStep;
    uint64_t address = 0;
  };

  // `interrupted` is polled while the replay runs (Ctrl-C from gdb).
  ReplayDebugger(Replayer& replayer, ReplayTimeline& timeline, DebugVcpu& vcpu,
                 std::function<bool()> interrupted = {});

  void AddBreakpoint(uint64_t pc) { breakpoints_.insert(pc); }
  void RemoveBreakpoint(uint64_t pc) { breakpoints_.erase(pc); }
  // False when the bytes cannot be read now (not mapped).
  bool AddWatchpoint(uint64_t address, uint64_t len);
  void RemoveWatchpoint(uint64_t address, uint64_t len);

  Stop Continue();
  Stop StepInstruction();
  Stop ReverseContinue();
  Stop ReverseStepInstruction();
  // Seek (monitor goto): to an event or an instruction count.
  Stop GoTo(const StepConstraints& target);

  struct Position {
    uint64_t count = 0;  // the recording's instruction count
    uint64_t exits = 0;  // instructions that exited at it since
    auto operator<=>(const Position&) const = default;
  };
  Position where() const { return {replayer_.RecordedInstructions(), replayer_.exits_at_count()}; }
  uint64_t position() const { return replayer_.RecordedInstructions(); }
  // Seeks to a position (forward or from a checkpoint).
  Stop GoTo(const Position& target);

 private:
  struct Watch {
    uint64_t address;
    uint64_t len;
    std::string value;  // at the last check
  };
  struct Hit {
    uint64_t checkpoint;  // scanned from
    uint64_t ordinal;     // the how-many-th stop of the scan (1-based)
    Stop stop;
  };

  // The watched bytes now (a read that fails reads as empty).
  std::string Read(const Watch& watch);
  // A watch whose value differs from its last check (updating all).
  std::optional<size_t> ChangedWatch();
  void RefreshWatches();
  // Runs forward to `limit` (nullopt: the end), stopping at breakpoints
  // and watch changes (bisected to the exact instruction); stepping first
  // over a breakpoint the guest stands on.
  Stop RunForward(std::optional<Position> limit);
  // Between two counts where watch `index` changed: to the first position
  // where it differs from `before` (bisecting counts from a checkpoint at
  // `lo`, then single instructions).
  void Bisect(size_t index, uint64_t lo, uint64_t hi, const std::string& before);
  // One instruction forward with no breakpoints; false at the end.
  bool StepOnce();
  Stop Ended();
  bool AtBreakpoint();

  Replayer& replayer_;
  ReplayTimeline& timeline_;
  DebugVcpu& vcpu_;
  std::function<bool()> interrupted_;
  std::set<uint64_t> breakpoints_;
  std::vector<Watch> watches_;
  // The guest stands at a breakpoint it stopped at (step over it first).
  bool on_breakpoint_ = false;
};

}  // namespace vmrr
