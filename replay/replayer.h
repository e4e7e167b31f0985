// Replays a recorded event stream on a vCPU: runs the guest, answers each
// MMIO read and hypercall with its recorded value, applies each interrupt
// and memory write at its exit, stops the guest by counting instructions at
// each asynchronous event's point, and checks the point (count, PC,
// registers) of every event and the recorded memory digests.  The first
// mismatch ends the replay with a report.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>

#include "proto/trace.pb.h"
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

  // `next_event` yields the events in order (false: no more); `end` is the
  // trace's end record, or null for a cut trace (called once events ran out).
  Replayer(ReplayVcpu& vcpu, std::function<bool(proto::Event*)> next_event,
           std::function<const proto::TraceEnd*()> end, ReplayConfig config);
  ReplayResult Run();

 private:
  enum class Step { kContinue, kDone };

  void Fetch();
  void Consume();
  Step RunToNextEvent();
  Step RunToExitAt(const proto::ExecutionPoint& at, const std::string& what);
  Step RunToAsynchronous();
  Step RunToEnd();
  // Stops the guest at `at` by counting; *arrived when there and checked,
  // otherwise an exit came first (handled) or the replay diverged.
  // Counts to `count` (overflow, then steps): nullopt when there, else the
  // step an exit on the way or an overshoot of `at` (`what`) led to.
  std::optional<Step> RunToCount(uint64_t count, const proto::ExecutionPoint& at,
                                 const std::string& what);
  // The replay's count skew becomes `instructions` minus the recording's.
  void TakeSkew(const proto::ExecutionPoint& recorded, uint64_t instructions);
  Step ArriveWithinDrift(const proto::ExecutionPoint& at, const std::string& what, bool* arrived);
  Step Arrive(const proto::ExecutionPoint& at, const std::string& what, bool* arrived);
  Step HandleExit(const VcpuStop& stop);
  Step HandleIdle();
  // Applies the synchronous side effects recorded at this exit's point.
  Step ApplyEventsAtExit(const ExecutionPoint& exit_point);
  Step ApplyEvent(const proto::Event& event);
  // Point of the vCPU now (PC and registers read only when `count` matters).
  ExecutionPoint PointNow();
  // Where a recorded count is in this replay (the count skew applied).
  uint64_t Target(const proto::ExecutionPoint& recorded) const;
  bool SamePlace(const proto::ExecutionPoint& recorded, const ExecutionPoint& now) const;
  // At an exit: true when `now` is the recorded point up to a count skew
  // within kMaxSkew, which then becomes the replay's skew.
  bool AbsorbSkew(const proto::ExecutionPoint& recorded, const ExecutionPoint& now);
  // At an exit the next event belongs to: takes up a count skew first.
  void ResyncAtExit(const ExecutionPoint& now);
  Step CheckPoint(const proto::Event& event, const ExecutionPoint& now);
  Step Diverge(const std::string& what, const proto::ExecutionPoint* expected,
               const ExecutionPoint& actual);
  Step Finish(ReplayResult::Kind kind, const std::string& message);
  static std::string Describe(const proto::Event& event);

  ReplayVcpu& vcpu_;
  std::function<bool(proto::Event*)> next_event_;
  std::function<const proto::TraceEnd*()> end_;
  ReplayConfig config_;
  ReplayResult result_;

  bool have_next_ = false;
  bool events_done_ = false;
  proto::Event next_;
  uint64_t next_index_ = 0;                     // index of next_ in the trace
  std::map<uint64_t, std::string> write_data_;  // event number + 1 -> bytes (dedup source)
  std::optional<ExecutionPoint> last_match_;
  uint64_t last_match_index_ = 0;
  uint64_t steps_this_stop_ = 0;
  int64_t skew_ = 0;           // replay's count minus the recording's
  bool drift_search_ = false;  // the guest read the clock (see Arrive)
};

}  // namespace vmrr
