#include "replay/replayer.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>

#include "replay/recorder.h"

namespace vmrr {

namespace {

constexpr uint64_t kWatchdogFloor = uint64_t{1} << 18;

const char* StopName(VcpuStop::Kind kind) {
  switch (kind) {
    case VcpuStop::Kind::kPowerOff:
      return "poweroff";
    case VcpuStop::Kind::kReset:
      return "reset";
    case VcpuStop::Kind::kCrash:
      return "crash";
    default:
      return "exit";
  }
}

std::string Hex(uint64_t v) {
  char buf[24];
  std::snprintf(buf, sizeof(buf), "%#llx", static_cast<unsigned long long>(v));
  return buf;
}

}  // namespace

Replayer::Replayer(ReplayVcpu& vcpu, EventSource& events, ReplayConfig config)
    : vcpu_(vcpu), events_(events), config_(std::move(config)) {}

std::string Replayer::Describe(const proto::Event& event) {
  std::string where = event.asynchronous() ? " (asynchronous)" : "";
  switch (event.kind_case()) {
    case proto::Event::kMmioRead:
      return "MMIO read of " + std::to_string(event.mmio_read().len()) + " bytes at " +
             Hex(event.mmio_read().gpa()) + " = " + Hex(event.mmio_read().value()) + where;
    case proto::Event::kMemoryWrite:
      return "device write to guest memory at " + Hex(event.memory_write().gpa()) + where;
    case proto::Event::kInterrupt:
      return std::string("interrupt line ") + std::to_string(event.interrupt().line()) +
             (event.interrupt().level() ? " raised" : " lowered") + where;
    case proto::Event::kConsoleInput:
      return std::to_string(event.console_input().data().size()) + " bytes of console input" +
             where;
    case proto::Event::kHypercall:
      return "hypercall " + Hex(event.hypercall().function()) + where;
    case proto::Event::kMemoryDigest:
      return "memory digest" + where;
    case proto::Event::kIdle:
      return "idle, " + std::to_string(event.idle().ticks()) + " ticks" + where;
    case proto::Event::kClockRead:
      return "counter read (" + std::to_string(event.clock_read().counter()) + ")" + where;
    default:
      return "an event of unknown kind";
  }
}

void Replayer::Fetch() {
  if (have_next_ || events_done_) return;
  if (events_.Next(&next_)) {
    have_next_ = true;
  } else {
    events_done_ = true;
  }
}

void Replayer::Consume() {
  if (next_.has_memory_write() && next_.memory_write().data().size() >= Recorder::kDedupMinBytes) {
    write_data_[next_index_ + 1] = next_.memory_write().data();
  }
  have_next_ = false;
  ++next_index_;
  ++result_.events;
  if (config_.progress) config_.progress(result_.events, next_.at().instructions());
  Fetch();
}

ExecutionPoint Replayer::PointNow() {
  return {vcpu_.Instructions(), vcpu_.Pc(), vcpu_.RegistersDigest()};
}

uint64_t Replayer::Target(const proto::ExecutionPoint& recorded) const {
  return Target(recorded.instructions());
}

uint64_t Replayer::Target(uint64_t recorded_instructions) const {
  return recorded_instructions + static_cast<uint64_t>(skew_);
}

uint64_t Replayer::RecordedInstructions() const {
  return vcpu_.Instructions() - static_cast<uint64_t>(skew_);
}

bool Replayer::SamePlace(const proto::ExecutionPoint& recorded, const ExecutionPoint& now) const {
  return Target(recorded) == now.instructions && recorded.pc() == now.pc;
}

bool Replayer::AbsorbSkew(const proto::ExecutionPoint& recorded, const ExecutionPoint& now) {
  uint64_t target = Target(recorded);
  uint64_t off = now.instructions > target ? now.instructions - target : target - now.instructions;
  if (off == 0 || off > kMaxSkew || recorded.pc() != now.pc ||
      recorded.regs_digest() != now.regs_digest) {
    return false;
  }
  TakeSkew(recorded, now.instructions);
  return true;
}

void Replayer::TakeSkew(const proto::ExecutionPoint& recorded, uint64_t instructions) {
  skew_ = static_cast<int64_t>(instructions - recorded.instructions());
  spdlog::debug("count skew {} at event {} (pc {:#x}, recorded at instruction {})", skew_,
                next_index_, recorded.pc(), recorded.instructions());
  ++result_.skews;
  result_.max_skew = std::max(result_.max_skew, static_cast<uint64_t>(std::abs(skew_)));
}

ReplayResult Replayer::Run() {
  const StepConstraints to_the_end;
  while (Step(to_the_end).reason != ReplayStop::Reason::kEnd) {
  }
  return result_;
}

bool Replayer::StopsAtNextEvent() const {
  return constraints_ != nullptr && constraints_->event && have_next_ &&
         next_index_ == *constraints_->event;
}

ReplayStop Replayer::Step(const StepConstraints& constraints) {
  constraints_ = &constraints;
  const uint64_t events_before = result_.events;
  uint64_t polled_at = result_.events;
  bool stepped = false;
  Fetch();
  ReplayStop stop;
  auto settled_stop = [&](ReplayStop::Reason reason) {
    // A stop is a point a checkpoint may be taken at: complete the last
    // exit as the next run would.
    if (!held_exit_) vcpu_.SettlePendingExit();
    stop.reason = reason;
  };
  for (;;) {
    if (done_) {
      result_.instructions = vcpu_.Instructions();
      stop.reason = ReplayStop::Reason::kEnd;
      break;
    }
    if (config_.stop_requested && config_.stop_requested()) {
      Finish(ReplayResult::Kind::kInterrupted,
             "stopped after " + std::to_string(result_.events) + " events");
      done_ = true;
      continue;
    }
    if (constraints.event) {
      if (next_index_ > *constraints.event || (StopsAtNextEvent() && (held_exit_ || arrived_))) {
        settled_stop(ReplayStop::Reason::kEvent);
        break;
      }
    }
    if (constraints.instructions && held_exit_ && held_uncounted_) {
      // At the count, before the exit the instruction there makes.
      stop.reason = ReplayStop::Reason::kInstructions;
      break;
    }
    if (constraints.one_event && result_.events > events_before && !held_exit_) {
      settled_stop(ReplayStop::Reason::kOneEvent);
      break;
    }
    if (constraints.pause && result_.events != polled_at && !held_exit_ && !arrived_) {
      polled_at = result_.events;
      if (constraints.pause()) {
        settled_stop(ReplayStop::Reason::kPaused);
        break;
      }
    }
    if (constraints.one_instruction && stepped && !held_exit_) {
      // The asynchronous events due where the step ended go in before the
      // guest runs on; then the step is over.
      bool due = have_next_ && next_.asynchronous() && Target(next_.at()) == vcpu_.Instructions();
      if (!due && !arrived_) {
        settled_stop(ReplayStop::Reason::kOneInstruction);
        break;
      }
    }
    Flow step = Flow::kContinue;
    if (held_exit_) {
      VcpuStop held = *held_exit_;
      held_exit_.reset();
      if (held_uncounted_) {
        held_uncounted_ = false;
        step = OnExit(held);
      } else if (held_answered_) {
        current_exit_ = held;
        step = ApplyEventsAfterAnswer(held_point_);
      } else {
        step = HandleExit(held);
      }
      stepped = true;  // a held exit is the instruction a step runs
      if (step == Flow::kHeld) continue;
    } else if (constraints.one_instruction && !stepped) {
      stepped = true;
      ++result_.steps;
      if (vcpu_.Step() == SteppableVcpu::Stop::kExit) step = OnExit(vcpu_.LastExit());
    } else if (constraints.instructions && !arrived_ &&
               EventsDoneBefore(*constraints.instructions)) {
      // The first point at the count: every event before it applied, none
      // of an exit at it (an instruction that exits retires nothing).
      if (vcpu_.Instructions() >= Target(*constraints.instructions)) {
        settled_stop(ReplayStop::Reason::kInstructions);
        break;
      }
      step = RunToRecordedCount(*constraints.instructions);
    } else {
      step = Advance();
    }
    if (step == Flow::kDone) done_ = true;
    if (step == Flow::kBreak) {
      stop.reason = ReplayStop::Reason::kBreakpoint;
      break;
    }
  }
  constraints_ = nullptr;
  return stop;
}

bool Replayer::EventsDoneBefore(uint64_t count) const {
  if (!have_next_) return true;
  uint64_t at = next_.at().instructions();
  return at > count || (at == count && !next_.asynchronous());
}

uint64_t Replayer::exits_at_count() const {
  return vcpu_.Instructions() == last_exit_count_ ? exits_at_count_ : 0;
}

Replayer::Flow Replayer::Advance() {
  if (!have_next_) return RunToEnd();
  if (next_.asynchronous()) return RunToAsynchronous();
  return RunToNextEvent();
}

Replayer::Flow Replayer::RunToRecordedCount(uint64_t recorded) {
  proto::ExecutionPoint at;
  at.set_instructions(recorded);
  if (std::optional<Flow> step =
          RunToCount(Target(recorded), at, "instruction " + std::to_string(recorded))) {
    return *step;
  }
  return Flow::kContinue;
}

Replayer::State Replayer::SaveState() const {
  State state;
  state.next_index = next_index_;
  state.arrived = arrived_;
  state.last_match = last_match_;
  state.last_match_index = last_match_index_;
  state.steps_this_stop = steps_this_stop_;
  state.skew = skew_;
  state.drift_search = drift_search_;
  state.result = result_;
  state.last_exit_count = last_exit_count_;
  state.exits_at_count = exits_at_count_;
  return state;
}

void Replayer::RestoreState(const State& state) {
  next_index_ = state.next_index;
  arrived_ = state.arrived;
  last_match_ = state.last_match;
  last_match_index_ = state.last_match_index;
  steps_this_stop_ = state.steps_this_stop;
  skew_ = state.skew;
  drift_search_ = state.drift_search;
  result_ = state.result;
  last_exit_count_ = state.last_exit_count;
  exits_at_count_ = state.exits_at_count;
  held_exit_.reset();
  held_uncounted_ = false;
  done_ = false;
  have_next_ = false;
  events_done_ = false;
  // write_data_ only grows, keyed by event number: it already holds every
  // block the events before this point refer to.
  events_.Seek(next_index_);
  Fetch();
}

// The next event happens at a guest exit: run to it.
Replayer::Flow Replayer::RunToNextEvent() { return RunToExitAt(next_.at(), "this event's exit"); }

// Runs freely to an exit expected at `at`, with an overflow past its count
// as a watchdog for a guest that misses it.  The watchdog is never closer
// than kWatchdogFloor instructions: a near overflow is costly (under QEMU,
// every instruction the host runs with it armed; research/riscv64.md), and
// a guest past its exit is caught at its next stop all the same.
Replayer::Flow Replayer::RunToExitAt(const proto::ExecutionPoint& at, const std::string& what) {
  uint64_t latest = Target(at) + kMaxSkew;  // the exit may come a count skew late
  uint64_t now = vcpu_.Instructions();
  if (now > latest) return Diverge("the guest ran past " + what, &at, PointNow());
  if (vcpu_.RunWithOverflow(std::max(latest + 1 - now, kWatchdogFloor)) ==
      SteppableVcpu::Stop::kExit) {
    return OnExit(vcpu_.LastExit());
  }
  if (vcpu_.Instructions() > latest) return Diverge("the guest ran past " + what, &at, PointNow());
  return Flow::kContinue;  // a signal
}

Replayer::Flow Replayer::RunToAsynchronous() {
  if (!arrived_) {
    bool arrived = false;
    Flow step = Arrive(next_.at(), "this point", &arrived);
    if (!arrived) return step;
    ++result_.stops;
    result_.max_steps_per_stop = std::max(result_.max_steps_per_stop, steps_this_stop_);
    steps_this_stop_ = 0;
    last_match_ = PointNow();
    last_match_index_ = next_index_;
    arrived_ = true;
  }
  ExecutionPoint now = PointNow();
  while (have_next_ && next_.asynchronous() && SamePlace(next_.at(), now)) {
    if (StopsAtNextEvent()) return Flow::kHeld;
    if (CheckPoint(next_, now) == Flow::kDone) return Flow::kDone;
    if (ApplyEvent(next_) == Flow::kDone) return Flow::kDone;
    Consume();
    if (constraints_ != nullptr && constraints_->one_event) break;
  }
  if (!have_next_ || !next_.asynchronous() || !SamePlace(next_.at(), now)) arrived_ = false;
  return Flow::kContinue;
}

std::optional<Replayer::Flow> Replayer::RunToCount(uint64_t count, const proto::ExecutionPoint& at,
                                                   const std::string& what, uint64_t may_pass) {
  RunToPointResult r = RunToPoint(vcpu_, config_.skid_margin).Run(count);
  result_.steps += r.steps;
  steps_this_stop_ += r.steps;
  if (r.exited) return OnExit(vcpu_.LastExit());
  if (r.overshot && vcpu_.Instructions() > count + may_pass) {
    return Diverge("the guest ran past " + what + " (overflow skid beyond the margin of " +
                       std::to_string(config_.skid_margin) + "?)",
                   &at, PointNow());
  }
  return std::nullopt;
}

Replayer::Flow Replayer::ArriveWithinDrift(const proto::ExecutionPoint& at, const std::string& what,
                                           bool* arrived) {
  uint64_t target = Target(at);
  uint64_t window = config_.drift_window;
  uint64_t first = target > window ? target - window : 0;
  if (vcpu_.Instructions() < first) {
    if (std::optional<Flow> step = RunToCount(first, at, what)) return *step;
  }
  std::optional<ExecutionPoint> at_target;
  bool settled = false;
  for (;;) {
    ExecutionPoint now = PointNow();
    if (now.instructions == target) at_target = now;
    if (now.pc == at.pc() && now.regs_digest == at.regs_digest()) {
      if (now.instructions != target) TakeSkew(at, now.instructions);
      *arrived = true;
      return Flow::kContinue;
    }
    if (!settled) {
      // Recorded just after an exit completed: complete it the same way.
      settled = true;
      vcpu_.SettlePendingExit();
      continue;
    }
    if (now.instructions >= target + window) {
      return Diverge("the guest is not at " + what, &at, at_target.value_or(now));
    }
    ++result_.steps;
    ++steps_this_stop_;
    if (vcpu_.Step() == SteppableVcpu::Stop::kExit) return OnExit(vcpu_.LastExit());
  }
}

Replayer::Flow Replayer::Arrive(const proto::ExecutionPoint& at, const std::string& what,
                                bool* arrived) {
  *arrived = false;
  // Only for a guest whose count is or may be noisy: the search costs steps
  // (irqmix, bare metal, has no skews and thousands of points).
  if (config_.drift_window > 0 && (drift_search_ || result_.skews > 0)) {
    return ArriveWithinDrift(at, what, arrived);
  }
  uint64_t target = Target(at);
  if (std::optional<Flow> step = RunToCount(target, at, what, config_.forward_search)) {
    return *step;
  }
  ExecutionPoint now = PointNow();
  if (!SamePlace(at, now)) {
    // Recorded just after an exit completed: complete it the same way.
    vcpu_.SettlePendingExit();
    now = PointNow();
  }
  if (!SamePlace(at, now) || at.regs_digest() != now.regs_digest) {
    // Exits that retire nothing (emulated MMIO) may lie between the count
    // and the recorded PC: step into the next one.  And the count skew may
    // have grown since the last exit (a store-conditional failed once more
    // in this run): the point is then a few instructions on.
    const ExecutionPoint before = now;
    if (now.instructions > target && now.pc == at.pc() && now.regs_digest == at.regs_digest()) {
      TakeSkew(at, now.instructions);  // past the count already (a jump in it)
      *arrived = true;
      return Flow::kContinue;
    }
    for (uint64_t stepped = 0; stepped <= config_.forward_search; ++stepped) {
      ++result_.steps;
      ++steps_this_stop_;
      if (vcpu_.Step() == SteppableVcpu::Stop::kExit) {
        if (vcpu_.Instructions() == target) return OnExit(vcpu_.LastExit());
        break;
      }
      if (config_.forward_search == 0 || vcpu_.Instructions() > target + config_.forward_search)
        break;
      now = PointNow();
      if (now.pc == at.pc() && now.regs_digest == at.regs_digest()) {
        TakeSkew(at, now.instructions);
        *arrived = true;
        return Flow::kContinue;
      }
    }
    return Diverge("the guest is not at " + what, &at, before);
  }
  if (at.regs_digest() != now.regs_digest) return Diverge("the guest is not at " + what, &at, now);
  *arrived = true;
  return Flow::kContinue;
}

Replayer::Flow Replayer::RunToEnd() {
  const proto::TraceEnd* end = events_.End();
  if (end == nullptr) {
    return Finish(ReplayResult::Kind::kCut,
                  "the trace was cut (its recorder did not finish it): replayed all " +
                      std::to_string(result_.events) + " events it holds, up to instruction " +
                      std::to_string(vcpu_.Instructions()));
  }
  const std::string& reason = end->reason();
  if (reason == "poweroff" || reason == "reset" || reason == "crash") {
    return RunToExitAt(end->at(), "the point where the recording ended (" + reason + ")");
  }
  // The recording was stopped from outside (timeout, Ctrl-C, --max-instructions).
  bool arrived = false;
  Flow step = Arrive(end->at(), "the point where the recording stopped (" + reason + ")", &arrived);
  if (!arrived) return step;
  ExecutionPoint now = PointNow();
  return Finish(ReplayResult::Kind::kFinished,
                "replayed " + std::to_string(result_.events) + " events up to instruction " +
                    std::to_string(now.instructions) + ", where the recording stopped (" + reason +
                    (end->detail().empty() ? "" : ": " + end->detail()) + ")");
}

Replayer::Flow Replayer::OnExit(const VcpuStop& stop) {
  // A breakpoint (the debugger's): the guest stands before the instruction,
  // nothing of the trace is due here.
  if (stop.kind == VcpuStop::Kind::kDebug) return Flow::kBreak;
  if (constraints_ != nullptr && constraints_->instructions &&
      stop.kind != VcpuStop::Kind::kInterrupted &&
      vcpu_.Instructions() == Target(*constraints_->instructions) &&
      EventsDoneBefore(*constraints_->instructions)) {
    // Run to the count, the guest exited there (whether the counter's
    // overflow or the exit comes first is the host's timing): the first
    // point at the count is before this exit.
    held_uncounted_ = true;
    return Hold(stop);
  }
  if (stop.kind != VcpuStop::Kind::kInterrupted) {
    // An instruction that exits retires nothing: count them at each count.
    uint64_t count = vcpu_.Instructions();
    exits_at_count_ = count == last_exit_count_ ? exits_at_count_ + 1 : 1;
    last_exit_count_ = count;
  }
  if (stop.kind == VcpuStop::Kind::kMmio && stop.is_write && config_.mmio_write) {
    // The device sees the write at once (the console prints it); the events
    // it caused follow at this exit.
    config_.mmio_write(stop.gpa, stop.write_value, stop.len);
  }
  if (StopsAtNextEvent() && !next_.asynchronous() && stop.kind != VcpuStop::Kind::kInterrupted &&
      stop.kind != VcpuStop::Kind::kDebug) {
    // Held when this is the exit the event is answered or applied at.
    ExecutionPoint now = PointNow();
    uint64_t target = Target(next_.at());
    uint64_t off =
        now.instructions > target ? now.instructions - target : target - now.instructions;
    if (off <= kMaxSkew && now.pc == next_.at().pc() &&
        (off == 0 || now.regs_digest == next_.at().regs_digest())) {
      return Hold(stop);
    }
  }
  return HandleExit(stop);
}

Replayer::Flow Replayer::Hold(const VcpuStop& stop) {
  held_exit_ = stop;
  held_answered_ = false;
  return Flow::kHeld;
}

Replayer::Flow Replayer::HandleExit(const VcpuStop& stop) {
  current_exit_ = stop;
  switch (stop.kind) {
    case VcpuStop::Kind::kInterrupted:
    case VcpuStop::Kind::kDebug:
      return Flow::kContinue;
    case VcpuStop::Kind::kPowerOff:
    case VcpuStop::Kind::kReset:
    case VcpuStop::Kind::kCrash: {
      std::string what = StopName(stop.kind);
      ExecutionPoint now = PointNow();
      if (have_next_) {
        return Diverge("the guest stopped (" + what + ") before this event", &next_.at(), now);
      }
      const proto::TraceEnd* end = events_.End();
      if (end == nullptr) {
        return Finish(ReplayResult::Kind::kCut,
                      "the trace was cut (its recorder did not finish it): replayed all " +
                          std::to_string(result_.events) + " events it holds; the guest then " +
                          what);
      }
      bool there = end->reason() == what &&
                   ((SamePlace(end->at(), now) && end->at().regs_digest() == now.regs_digest) ||
                    AbsorbSkew(end->at(), now));
      if (!there) {
        return Diverge("the guest stopped (" + what + "); the recording ended with " +
                           end->reason() + " elsewhere",
                       &end->at(), now);
      }
      return Finish(ReplayResult::Kind::kFinished, "replayed " + std::to_string(result_.events) +
                                                       " events; the guest ended as recorded (" +
                                                       what + ") at instruction " +
                                                       std::to_string(now.instructions));
    }
    case VcpuStop::Kind::kIdle:
      return HandleIdle();
    case VcpuStop::Kind::kClockRead:
    case VcpuStop::Kind::kMmio:
    case VcpuStop::Kind::kHypercall:
    case VcpuStop::Kind::kTimer:
      break;
  }
  bool is_read = stop.kind == VcpuStop::Kind::kMmio && !stop.is_write;
  bool is_clock = stop.kind == VcpuStop::Kind::kClockRead;
  if (stop.kind == VcpuStop::Kind::kMmio && stop.is_write) {
    // Nothing recorded answers a write; the side effects a device had there
    // (an interrupt, a memory write) are the next events, at this exit.
    if (!have_next_ || next_.asynchronous()) return Flow::kContinue;
    uint64_t count = vcpu_.Instructions();
    uint64_t target = Target(next_.at());
    if (count > target + kMaxSkew) {
      return Diverge("the guest ran past this event's exit", &next_.at(), PointNow());
    }
    if (count == target) return ApplyEventsAtExit(PointNow());
    if (count + kMaxSkew >= target) {
      // Within a count skew: it is this event's exit if PC and registers say so.
      ExecutionPoint now = PointNow();
      if (AbsorbSkew(next_.at(), now)) return ApplyEventsAtExit(now);
    }
    return Flow::kContinue;
  }
  // A read, a hypercall or a counter read: the trace's next event must
  // answer it, here.
  ExecutionPoint now = PointNow();
  ResyncAtExit(now);
  if (Flow step = ApplyEventsAtExit(now); step != Flow::kContinue) return step;
  if (StopsAtNextEvent()) return Hold(stop);
  std::string what =
      is_read ? "the guest read " + std::to_string(stop.len) + " bytes of MMIO at " + Hex(stop.gpa)
      : is_clock ? "the guest read counter " + std::to_string(stop.function)
                 : "the guest made hypercall " + Hex(stop.function);
  if (is_clock && !config_.clock_read) {
    return Diverge("the guest read a counter only a VMM that owns time answers", nullptr, now);
  }
  // A guest that reads the clock is an operating system, whose count is
  // noisy (store-exclusive retries): search for its asynchronous points.
  if (is_clock) drift_search_ = true;
  bool matches = have_next_ && !next_.asynchronous() &&
                 (is_read    ? next_.has_mmio_read()
                  : is_clock ? next_.has_clock_read()
                             : next_.has_hypercall());
  if (!matches) {
    if (!have_next_) return Diverge(what + " after the last recorded event", nullptr, now);
    return Diverge(what + " instead", &next_.at(), now);
  }
  if (CheckPoint(next_, now) == Flow::kDone) return Flow::kDone;
  if (is_read) {
    if (next_.mmio_read().gpa() != stop.gpa || next_.mmio_read().len() != stop.len) {
      return Diverge(what + "; the recording read " + std::to_string(next_.mmio_read().len()) +
                         " bytes at " + Hex(next_.mmio_read().gpa()),
                     &next_.at(), now);
    }
    vcpu_.CompleteMmioRead(next_.mmio_read().value());
  } else if (is_clock) {
    if (next_.clock_read().counter() != stop.function) {
      return Diverge(
          what + "; the recording read counter " + std::to_string(next_.clock_read().counter()),
          &next_.at(), now);
    }
    // The recording's count, not this replay's: a count skew must not
    // change what the guest reads.
    vcpu_.CompleteClockRead(
        config_.clock_read(static_cast<ClockCounter>(stop.function), next_.at().instructions()));
  } else {
    if (next_.hypercall().function() != stop.function) {
      return Diverge(what + "; the recording made " + Hex(next_.hypercall().function()),
                     &next_.at(), now);
    }
    vcpu_.CompleteHypercall({next_.hypercall().values().begin(), next_.hypercall().values().end()});
  }
  Consume();
  return ApplyEventsAfterAnswer(now);
}

// The guest waits for an interrupt: the recording's Idle event says how far
// its clock jumped here.
Replayer::Flow Replayer::HandleIdle() {
  ExecutionPoint now = PointNow();
  ResyncAtExit(now);
  if (Flow step = ApplyEventsAtExit(now); step != Flow::kContinue) return step;
  if (StopsAtNextEvent()) return Hold(current_exit_);
  if (!have_next_ || next_.asynchronous() || !next_.has_idle()) {
    return Diverge("the guest waited for an interrupt (WFI) where the recording did not",
                   have_next_ ? &next_.at() : nullptr, now);
  }
  if (CheckPoint(next_, now) == Flow::kDone) return Flow::kDone;
  if (config_.idle) config_.idle(next_.idle().ticks());
  Consume();
  return ApplyEventsAfterAnswer(now);
}

Replayer::Flow Replayer::ApplyEventsAfterAnswer(const ExecutionPoint& now) {
  Flow step = ApplyEventsAtExit(now);
  if (step == Flow::kHeld) {
    // Resumed by applying the rest: the exit itself is answered.
    held_answered_ = true;
    held_point_ = now;
  }
  return step;
}

Replayer::Flow Replayer::ApplyEventsAtExit(const ExecutionPoint& now) {
  while (have_next_ && !next_.asynchronous() && !next_.has_mmio_read() && !next_.has_hypercall() &&
         !next_.has_idle() && !next_.has_clock_read() && SamePlace(next_.at(), now)) {
    if (StopsAtNextEvent()) return Hold(current_exit_);
    if (CheckPoint(next_, now) == Flow::kDone) return Flow::kDone;
    if (ApplyEvent(next_) == Flow::kDone) return Flow::kDone;
    Consume();
  }
  return Flow::kContinue;
}

Replayer::Flow Replayer::ApplyEvent(const proto::Event& event) {
  ExecutionPoint here = FromProto(event.at());
  switch (event.kind_case()) {
    case proto::Event::kInterrupt:
      vcpu_.SetInterruptLine(event.interrupt().line(), event.interrupt().level());
      return Flow::kContinue;
    case proto::Event::kMemoryWrite: {
      const proto::MemoryWrite& w = event.memory_write();
      const std::string* data = &w.data();
      if (w.same_data_as() != 0) {
        auto it = write_data_.find(w.same_data_as());
        if (it == write_data_.end()) {
          return Diverge("the trace refers to the data of event " +
                             std::to_string(w.same_data_as() - 1) + ", which has none",
                         &event.at(), here);
        }
        data = &it->second;
      }
      if (!vcpu_.WriteMemory(w.gpa(), *data)) {
        return Diverge("the trace writes outside guest RAM", &event.at(), here);
      }
      return Flow::kContinue;
    }
    case proto::Event::kConsoleInput:
      return Flow::kContinue;  // its effects (interrupts, UART reads) are events of their own
    case proto::Event::kMemoryDigest: {
      const proto::MemoryDigest& recorded = event.memory_digest();
      std::vector<uint64_t> own;
      uint64_t digest = vcpu_.MemoryDigest(&own);  // also starts the next interval
      if (recorded.page_gaps_size() == 0 && recorded.pages() != 0) {
        // An older trace without the page list: this replay's own pages.
        if (digest != recorded.digest() || own.size() != recorded.pages()) {
          return Diverge("guest memory differs from the recording (" + std::to_string(own.size()) +
                             " pages written since the last check; recorded " +
                             std::to_string(recorded.pages()) + ")",
                         &event.at(), here);
        }
        return Flow::kContinue;
      }
      std::vector<uint64_t> pages;
      uint64_t page = 0;
      for (uint64_t gap : recorded.page_gaps()) pages.push_back(page += gap);
      if (vcpu_.MemoryDigestOf(pages) != recorded.digest()) {
        return Diverge("guest memory differs from the recording in the " +
                           std::to_string(pages.size()) +
                           " pages it wrote since the last check (this replay's dirty log has " +
                           std::to_string(own.size()) + ")",
                       &event.at(), here);
      }
      // KVM's dirty log may name a page the guest did not change.
      if (own != pages) ++result_.dirty_log_differences;
      return Flow::kContinue;
    }
    default:
      return Diverge("the trace has " + Describe(event) + " where no exit answers it", &event.at(),
                     here);
  }
}

void Replayer::ResyncAtExit(const ExecutionPoint& now) {
  if (have_next_ && !next_.asynchronous() && !SamePlace(next_.at(), now)) {
    AbsorbSkew(next_.at(), now);
  }
}

Replayer::Flow Replayer::CheckPoint(const proto::Event& event, const ExecutionPoint& now) {
  bool same = SamePlace(event.at(), now) && event.at().regs_digest() == now.regs_digest;
  if (!same && (event.asynchronous() || !AbsorbSkew(event.at(), now))) {
    return Diverge("the guest is not where the recording was at this event", &event.at(), now);
  }
  last_match_ = now;
  last_match_index_ = next_index_;
  return Flow::kContinue;
}

Replayer::Flow Replayer::Diverge(const std::string& what, const proto::ExecutionPoint* expected,
                                 const ExecutionPoint& actual) {
  std::string event = have_next_
                          ? "event " + std::to_string(next_index_) + " (" + Describe(next_) + ")"
                          : "the end of the trace";
  result_.kind = ReplayResult::Kind::kDiverged;
  result_.message = "replay diverged at " + event + ": " + what;
  std::string report = result_.message + "\n";
  if (expected != nullptr) report += "  expected: " + ToString(FromProto(*expected)) + "\n";
  report += "  actual:   " + ToString(actual) + "\n";
  if (skew_ != 0) {
    report += "  count skew: replay was " + std::to_string(skew_) +
              " instructions off the recording's counts (absorbed " +
              std::to_string(result_.skews) + " times)\n";
  }
  std::string note = vcpu_.ExplainCodeAt(actual.pc);
  if (note.empty() && expected != nullptr && expected->pc() != actual.pc) {
    note = vcpu_.ExplainCodeAt(expected->pc());
  }
  if (!note.empty()) report += "  note: " + note + "\n";
  report += last_match_ ? "  last matching point: event " + std::to_string(last_match_index_) +
                              " at " + ToString(*last_match_)
                        : std::string("  last matching point: none (before the first event)");
  result_.report = report;
  return Flow::kDone;
}

Replayer::Flow Replayer::Finish(ReplayResult::Kind kind, const std::string& message) {
  result_.kind = kind;
  result_.message = message;
  return Flow::kDone;
}

}  // namespace vmrr
