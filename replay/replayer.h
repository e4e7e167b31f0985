// Replays a recorded event stream on a vCPU: runs the guest, answers each
// MMIO read and hypercall with its recorded value, applies each interrupt
// and memory write at its exit, stops the guest by counting instructions at
// each asynchronous event's point, and checks the point (count, PC,
// registers) of every event and the recorded memory digests.  The first
// mismatch ends the replay with a report.
//
// The replay is steppable, in the spirit of rr's ReplaySession: Step() runs
// until a constraint holds (an event is next, an instruction count is
// reached, one event was applied) or the replay ends, and says why it
// stopped.  Between steps its state can be saved and restored (checkpoints:
// replay/replay_timeline.h).
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>

#include "proto/trace.pb.h"
#include "replay/event_source.h"
#include "replay/execution_point.h"
#include "replay/replay_vcpu.h"

namespace vmrr {

struct ReplayConfig {
  uint64_t skid_margin = 0;
  // Guest MMIO writes (the console UART turns them into output).
  std::function<void(uint64_t gpa, uint64_t value, uint32_t len)> mmio_write;
  // Polled at every vCPU stop: true ends the replay (Ctrl-C).
  std::function<bool()> stop_requested;
  // When the VMM owned guest time: the value of a counter the guest reads
  // (a ClockCounter) at an instruction count, and the Idle events' ticks.
  std::function<uint64_t(ClockCounter counter, uint64_t instructions)> clock_read;
  std::function<void(uint64_t ticks)> idle;
  // Asynchronous points: when > 0 and a count skew has been absorbed or the
  // guest has read a counter the VMM owns (an OS, not a bare payload), stop
  // this many instructions before the point and step to where the PC and
  // registers match, within this many instructions either side, taking any
  // new count skew.  A skew can change
  // between two exits (a store-exclusive that failed in one run only), and
  // the point is where the guest was, not its count.  Costs up to twice
  // this many single steps a point: for arches whose steps are cheap.
  uint64_t drift_window = 0;
  // Without the drift window: when the guest is not at an asynchronous
  // point's PC and registers at its count, step on up to this many
  // instructions looking for them (the skew grew after the last exit).
  // Costs steps only where a point would otherwise diverge.
  uint64_t forward_search = 0;
  // Called after every applied event (a status line).
  std::function<void(uint64_t events, uint64_t instructions)> progress;
};

struct ReplayResult {
  enum class Kind {
    kFinished,     // the guest reached the trace's end as recorded
    kCut,          // the trace was cut; every event in it replayed
    kDiverged,     // report says where
    kInterrupted,  // stop_requested
  };
  Kind kind = Kind::kFinished;
  std::string message;  // one line
  std::string report;   // kDiverged: several lines
  uint64_t events = 0;  // events applied
  uint64_t stops = 0;   // asynchronous points stopped at by counting
  uint64_t steps = 0;
  uint64_t max_steps_per_stop = 0;
  uint64_t instructions = 0;  // where the guest is at the end
  // Count skews absorbed at exits (see Replayer), and the largest skew.
  uint64_t skews = 0;
  uint64_t max_skew = 0;
  // Memory checks where this replay's dirty log named other pages than the
  // recording's (the recorded pages' contents matched).
  uint64_t dirty_log_differences = 0;
};

// Where Step() should stop; no constraint runs to the end.
struct StepConstraints {
  // With the guest at this event's point, before the event is applied (an
  // event answered at an exit: stopped at that exit, the exit not yet
  // answered).
  std::optional<uint64_t> event;
  // At the first point where the guest has retired this many instructions
  // (the recording's count): after the events recorded before it and the
  // asynchronous ones recorded at it, before any exit at it (an
  // instruction that exits, as emulated MMIO does, retires nothing).
  std::optional<uint64_t> instructions;
  // After one guest instruction (one that exits: with its exit answered),
  // and the asynchronous events due where it ended.
  bool one_instruction = false;
  // After the next event is applied.
  bool one_event = false;
  // Polled after events are applied: true pauses the replay there (a
  // checkpoint is due).
  std::function<bool()> pause;

  static StepConstraints ToEvent(uint64_t index) {
    StepConstraints c;
    c.event = index;
    return c;
  }
  static StepConstraints ToInstructions(uint64_t count) {
    StepConstraints c;
    c.instructions = count;
    return c;
  }
  static StepConstraints OneInstruction() {
    StepConstraints c;
    c.one_instruction = true;
    return c;
  }
  static StepConstraints OneEvent() {
    StepConstraints c;
    c.one_event = true;
    return c;
  }
};

struct ReplayStop {
  enum class Reason {
    kEvent,           // constraints.event is next
    kInstructions,    // constraints.instructions reached
    kOneEvent,        // an event was applied
    kPaused,          // constraints.pause said so
    kBreakpoint,      // the vCPU stopped at one of its breakpoints (a kDebug exit)
    kOneInstruction,  // constraints.one_instruction
    kEnd,             // the replay is over: result() says how
  };
  Reason reason = Reason::kEnd;
};

// Count skew: between two exits a replayed guest may retire a few
// instructions more or fewer than it did when recorded, with the same
// result -- a store-conditional (LR/SC, LDXR/STXR) failed because the host
// interrupted the guest inside the sequence, and the loop ran again.  At an
// exit whose PC and registers match the recording within kMaxSkew
// instructions, replay takes the new difference and goes on; events
// further on are expected at their recorded count plus that difference.
class Replayer {
 public:
  static constexpr uint64_t kMaxSkew = 256;

  // Where the replay is, for checkpoints: everything but the vCPU and the
  // event source's data (which is the trace).  Only taken at a settled stop
  // (settled()).
  struct State {
    uint64_t next_index = 0;
    bool arrived = false;
    std::optional<ExecutionPoint> last_match;
    uint64_t last_match_index = 0;
    uint64_t steps_this_stop = 0;
    int64_t skew = 0;
    bool drift_search = false;
    ReplayResult result;
    uint64_t last_exit_count = UINT64_MAX;
    uint64_t exits_at_count = 0;
  };

  Replayer(ReplayVcpu& vcpu, EventSource& events, ReplayConfig config);

  ReplayStop Step(const StepConstraints& constraints);
  // Steps to the end.
  ReplayResult Run();

  const ReplayResult& result() const { return result_; }
  bool finished() const { return done_; }
  // The index of the next event to apply (the number applied so far).
  uint64_t next_event_index() const { return next_index_; }
  // The next event, if any.
  const proto::Event* next_event() const { return have_next_ ? &next_ : nullptr; }
  // The recording's count for this replay's count now (the skew taken off).
  uint64_t RecordedInstructions() const;
  int64_t skew() const { return skew_; }
  // Instructions that exited at the current count (each retires nothing):
  // with the count, where the guest stands to one instruction.
  uint64_t exits_at_count() const;
  // No exit is held half-handled (a stop at an event answered at an exit
  // holds it): the vCPU's state is complete, a checkpoint may be taken.
  bool settled() const { return !held_exit_.has_value(); }

  State SaveState() const;
  // The vCPU must have been put back to the same point first.
  void RestoreState(const State& state);

  static std::string Describe(const proto::Event& event);

 private:
  enum class Flow { kContinue, kHeld, kBreak, kDone };

  void Fetch();
  void Consume();
  Flow Advance();
  // No event before `count`, nor an asynchronous one at it, is still to apply.
  bool EventsDoneBefore(uint64_t count) const;
  Flow RunToNextEvent();
  Flow RunToExitAt(const proto::ExecutionPoint& at, const std::string& what);
  Flow RunToAsynchronous();
  Flow RunToEnd();
  Flow RunToRecordedCount(uint64_t recorded);
  // Counts to `count` (overflow, then steps): nullopt when there (or up to
  // `may_pass` past it), else the step an exit on the way or an overshoot
  // of `at` (`what`) led to.
  std::optional<Flow> RunToCount(uint64_t count, const proto::ExecutionPoint& at,
                                 const std::string& what, uint64_t may_pass = 0);
  // The replay's count skew becomes `instructions` minus the recording's.
  void TakeSkew(const proto::ExecutionPoint& recorded, uint64_t instructions);
  Flow ArriveWithinDrift(const proto::ExecutionPoint& at, const std::string& what, bool* arrived);
  Flow Arrive(const proto::ExecutionPoint& at, const std::string& what, bool* arrived);
  // An exit: handled, or held when the constraints stop at its event.
  Flow OnExit(const VcpuStop& stop);
  Flow HandleExit(const VcpuStop& stop);
  // Stops at this exit, not yet handled (resumed by HandleExit).
  Flow Hold(const VcpuStop& stop);
  Flow HandleIdle();
  // Applies the synchronous side effects recorded at this exit's point.
  Flow ApplyEventsAtExit(const ExecutionPoint& exit_point);
  // The same once the exit was answered (a stop there resumes applying).
  Flow ApplyEventsAfterAnswer(const ExecutionPoint& exit_point);
  Flow ApplyEvent(const proto::Event& event);
  // Point of the vCPU now (PC and registers read only when `count` matters).
  ExecutionPoint PointNow();
  // Where a recorded count is in this replay (the count skew applied).
  uint64_t Target(const proto::ExecutionPoint& recorded) const;
  uint64_t Target(uint64_t recorded_instructions) const;
  bool SamePlace(const proto::ExecutionPoint& recorded, const ExecutionPoint& now) const;
  // At an exit: true when `now` is the recorded point up to a count skew
  // within kMaxSkew, which then becomes the replay's skew.
  bool AbsorbSkew(const proto::ExecutionPoint& recorded, const ExecutionPoint& now);
  // At an exit the next event belongs to: takes up a count skew first.
  void ResyncAtExit(const ExecutionPoint& now);
  Flow CheckPoint(const proto::Event& event, const ExecutionPoint& now);
  Flow Diverge(const std::string& what, const proto::ExecutionPoint* expected,
               const ExecutionPoint& actual);
  Flow Finish(ReplayResult::Kind kind, const std::string& message);
  bool StopsAtNextEvent() const;

  ReplayVcpu& vcpu_;
  EventSource& events_;
  ReplayConfig config_;
  ReplayResult result_;
  const StepConstraints* constraints_ = nullptr;  // during Step()

  bool have_next_ = false;
  bool events_done_ = false;
  bool done_ = false;
  proto::Event next_;
  uint64_t next_index_ = 0;                     // index of next_ in the trace
  std::map<uint64_t, std::string> write_data_;  // event number + 1 -> bytes (dedup source)
  std::optional<ExecutionPoint> last_match_;
  uint64_t last_match_index_ = 0;
  uint64_t steps_this_stop_ = 0;
  int64_t skew_ = 0;                       // replay's count minus the recording's
  bool drift_search_ = false;              // the guest read the clock (see Arrive)
  bool arrived_ = false;                   // at next_'s asynchronous point, not yet applied
  uint64_t last_exit_count_ = UINT64_MAX;  // the count at the last exit
  uint64_t exits_at_count_ = 0;            // exits handled at that count
  // A stop at an event answered or applied at an exit holds the exit; with
  // held_answered_ the answer was given and the events after it remain.
  std::optional<VcpuStop> held_exit_;
  bool held_answered_ = false;
  // The held exit is at the count a ToInstructions target names: the stop
  // is before it, and it is neither counted nor handled until released.
  bool held_uncounted_ = false;
  ExecutionPoint held_point_;
  VcpuStop current_exit_;  // the exit being handled
};

}  // namespace vmrr
