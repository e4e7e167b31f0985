#include "replay/replay_debugger.h"

#include <algorithm>

namespace vmrr {

ReplayDebugger::ReplayDebugger(Replayer& replayer, ReplayTimeline& timeline, DebugVcpu& vcpu,
                               std::function<bool()> interrupted)
    : replayer_(replayer), timeline_(timeline), vcpu_(vcpu), interrupted_(std::move(interrupted)) {}

bool ReplayDebugger::AddWatchpoint(uint64_t address, uint64_t len) {
  Watch watch{address, len, ""};
  if (len == 0 || !vcpu_.ReadMemory(address, false, len, &watch.value)) return false;
  watches_.push_back(watch);
  return true;
}

void ReplayDebugger::RemoveWatchpoint(uint64_t address, uint64_t len) {
  watches_.erase(
      std::remove_if(watches_.begin(), watches_.end(),
                     [&](const Watch& w) { return w.address == address && w.len == len; }),
      watches_.end());
}

std::string ReplayDebugger::Read(const Watch& watch) {
  std::string value;
  if (!vcpu_.ReadMemory(watch.address, false, watch.len, &value)) value.clear();
  return value;
}

void ReplayDebugger::RefreshWatches() {
  for (Watch& w : watches_) w.value = Read(w);
}

std::optional<size_t> ReplayDebugger::ChangedWatch() {
  for (size_t i = 0; i < watches_.size(); ++i) {
    if (Read(watches_[i]) != watches_[i].value) return i;
  }
  return std::nullopt;
}

bool ReplayDebugger::AtBreakpoint() { return breakpoints_.count(vcpu_.DebugPc()) > 0; }

ReplayDebugger::Stop ReplayDebugger::Ended() {
  Stop stop;
  stop.kind = replayer_.result().kind == ReplayResult::Kind::kDiverged ? Stop::Kind::kDiverged
                                                                       : Stop::Kind::kHistoryEnd;
  return stop;
}

bool ReplayDebugger::StepOnce() {
  vcpu_.SetBreakpoints({});
  return timeline_.Step(StepConstraints::OneInstruction()).reason != ReplayStop::Reason::kEnd;
}

void ReplayDebugger::Bisect(size_t index, uint64_t lo, uint64_t hi, const std::string& before) {
  // From a checkpoint at `lo`, each probe replays at most hi - lo.
  vcpu_.SetBreakpoints({});
  if (timeline_.Step(StepConstraints::ToInstructions(lo)).reason == ReplayStop::Reason::kEnd) {
    return;
  }
  if (replayer_.settled()) timeline_.Take();
  while (hi - lo > 1) {
    uint64_t mid = lo + (hi - lo) / 2;
    if (timeline_.Step(StepConstraints::ToInstructions(mid)).reason == ReplayStop::Reason::kEnd) {
      return;
    }
    if (Read(watches_[index]) == before) {
      lo = mid;
    } else {
      hi = mid;
    }
  }
  // The value changes between the first points of lo and hi: step there.
  timeline_.Step(StepConstraints::ToInstructions(lo));
  while (Read(watches_[index]) == before && position() < hi + 1) {
    if (!StepOnce()) return;
  }
}

ReplayDebugger::Stop ReplayDebugger::RunForward(std::optional<Position> limit) {
  RefreshWatches();
  if (replayer_.finished()) return Ended();
  if (AtBreakpoint()) {
    // The guest stands on a breakpoint: one instruction without any first
    // (a step may only finish an exit held at a checkpoint: on to the next
    // position).
    const Position start = where();
    while (where() == start) {
      if (limit && where() >= *limit) return Stop{Stop::Kind::kStep, 0};
      if (!StepOnce()) return Ended();
    }
    if (std::optional<size_t> w = ChangedWatch()) {
      RefreshWatches();
      return Stop{Stop::Kind::kWatchpoint, watches_[*w].address};
    }
  }
  if (limit && where() >= *limit) return Stop{Stop::Kind::kStep, 0};
  // Already at the limit's count: its exiting instructions are stepped below
  // (a run to the count would go back to its first point).
  const bool at_limit_count = limit && where().count == limit->count;
  StepConstraints c;
  if (limit) c.instructions = limit->count;
  bool interrupted = false;
  uint64_t last_check = position();
  std::optional<size_t> changed;
  const std::vector<uint64_t> pcs(breakpoints_.begin(), breakpoints_.end());
  bool armed = false;
  c.pause = [&] {
    // A breakpoint the guest has not mapped yet (riscv64 before its kernel
    // turns the MMU on) is armed at the first pause where it can be.
    if (!armed) armed = vcpu_.SetBreakpoints(pcs);
    if (interrupted || changed) return true;
    if (interrupted_ && interrupted_()) {
      interrupted = true;
      return true;
    }
    changed = ChangedWatch();
    if (!changed) last_check = position();
    return changed.has_value();
  };
  while (!at_limit_count) {
    armed = vcpu_.SetBreakpoints(pcs);
    ReplayStop r = timeline_.Step(c);
    vcpu_.SetBreakpoints({});
    if (r.reason == ReplayStop::Reason::kEnd) return Ended();
    if (!changed && r.reason != ReplayStop::Reason::kPaused) changed = ChangedWatch();
    if (changed) {
      std::string before = watches_[*changed].value;
      size_t index = *changed;
      Bisect(index, last_check, position(), before);
      RefreshWatches();
      return Stop{Stop::Kind::kWatchpoint, watches_[index].address};
    }
    if (interrupted) return Stop{Stop::Kind::kInterrupted, 0};
    if (r.reason == ReplayStop::Reason::kBreakpoint) {
      return Stop{Stop::Kind::kBreakpoint, vcpu_.DebugPc()};
    }
    if (r.reason == ReplayStop::Reason::kInstructions) break;
    // Paused for an automatic checkpoint or nothing: go on.
  }
  // At the first point of the limit's count: the instructions that exit
  // there, one at a time, up to the limit.
  while (where() < *limit) {
    if (AtBreakpoint()) return Stop{Stop::Kind::kBreakpoint, vcpu_.DebugPc()};
    // With the breakpoints set: an interrupt the step takes first stops at a
    // breakpoint on its vector.
    vcpu_.SetBreakpoints(pcs);
    ReplayStop r = timeline_.Step(StepConstraints::OneInstruction());
    vcpu_.SetBreakpoints({});
    if (r.reason == ReplayStop::Reason::kEnd) return Ended();
    if (r.reason == ReplayStop::Reason::kBreakpoint) {
      return Stop{Stop::Kind::kBreakpoint, vcpu_.DebugPc()};
    }
    if (std::optional<size_t> w = ChangedWatch()) {
      RefreshWatches();
      return Stop{Stop::Kind::kWatchpoint, watches_[*w].address};
    }
  }
  return Stop{Stop::Kind::kStep, 0};
}

ReplayDebugger::Stop ReplayDebugger::Continue() { return RunForward(std::nullopt); }

ReplayDebugger::Stop ReplayDebugger::StepInstruction() {
  if (replayer_.finished()) return Ended();
  RefreshWatches();
  if (!StepOnce()) return Ended();
  if (std::optional<size_t> w = ChangedWatch()) {
    RefreshWatches();
    return Stop{Stop::Kind::kWatchpoint, watches_[*w].address};
  }
  return Stop{Stop::Kind::kStep, 0};
}

ReplayDebugger::Stop ReplayDebugger::GoTo(const Position& target) {
  vcpu_.SetBreakpoints({});
  if (timeline_.Step(StepConstraints::ToInstructions(target.count)).reason ==
      ReplayStop::Reason::kEnd) {
    return Ended();
  }
  while (where().count == target.count && where().exits < target.exits) {
    if (!StepOnce()) return Ended();
  }
  RefreshWatches();
  return Stop{Stop::Kind::kStep, 0};
}

ReplayDebugger::Stop ReplayDebugger::ReverseStepInstruction() {
  Position now = where();
  if (now.exits > 0) return GoTo(Position{now.count, now.exits - 1});
  if (now.count == 0) return Stop{Stop::Kind::kHistoryStart, 0};
  // The instruction that retired the count: step from the first point at
  // the count before up to it, then go to the position just before it.
  GoTo(Position{now.count - 1, 0});
  Position before = where();
  while (where().count < now.count) {
    before = where();
    if (!StepOnce()) break;
  }
  return GoTo(before);
}

ReplayDebugger::Stop ReplayDebugger::GoTo(const StepConstraints& target) {
  vcpu_.SetBreakpoints({});
  ReplayStop r = timeline_.Step(target);
  RefreshWatches();
  if (r.reason == ReplayStop::Reason::kEnd) return Ended();
  return Stop{Stop::Kind::kStep, 0};
}

ReplayDebugger::Stop ReplayDebugger::ReverseContinue() {
  Position scan_end = where();
  for (;;) {
    // The latest checkpoint before the stretch still to scan.
    std::optional<CheckpointInfo> from;
    for (const CheckpointInfo& cp : timeline_.checkpoints()) {
      if (Position{cp.instructions, cp.exits} < scan_end && timeline_.RestoresExactly(cp.id)) {
        from = cp;
      }
    }
    if (!from) {
      timeline_.Restore(timeline_.checkpoints().front().id);
      RefreshWatches();
      return Stop{Stop::Kind::kHistoryStart, 0};
    }
    timeline_.Restore(from->id);
    // Every hit between the checkpoint and scan_end; the last one wins.  A
    // breakpoint the checkpoint itself stands on is one.
    uint64_t hits = 0;
    Stop last;
    Position last_at = where();
    const bool standing = AtBreakpoint();
    if (standing) {
      hits = 1;
      last = Stop{Stop::Kind::kBreakpoint, vcpu_.DebugPc()};
    }
    for (;;) {
      if (interrupted_ && interrupted_()) return Stop{Stop::Kind::kInterrupted, 0};
      Stop s = RunForward(scan_end);
      bool hit = s.kind == Stop::Kind::kBreakpoint || s.kind == Stop::Kind::kWatchpoint;
      if (!hit || where() > scan_end ||
          (s.kind == Stop::Kind::kBreakpoint && where() == scan_end)) {
        break;
      }
      ++hits;
      last = s;
      last_at = where();
    }
    if (hits > 0) {
      // Again, to the last hit: the same hits from the same checkpoint (a
      // breakpoint on an interrupt vector stands where no seek stops).  A
      // checkpoint the scan made inexact is left for a seek to the hit.
      if (timeline_.RestoresExactly(from->id)) {
        timeline_.Restore(from->id);
        for (uint64_t i = standing ? 1 : 0; i < hits; ++i) RunForward(scan_end);
      } else {
        GoTo(last_at);
      }
      if (last.kind == Stop::Kind::kWatchpoint) {
        // Backward, a watchpoint stops before the write: the guest is about
        // to run the instruction that changed the value.
        ReverseStepInstruction();
      }
      return last;
    }
    if (from->instructions == 0 && from->exits == 0) {
      timeline_.Restore(from->id);
      RefreshWatches();
      return Stop{Stop::Kind::kHistoryStart, 0};
    }
    scan_end = Position{from->instructions, from->exits};
  }
}

}  // namespace vmrr
