// `vmrr record`: runs a guest like `vmrr run` while writing everything that
// crosses the VM boundary into a trace (replay/recorder.h), at execution
// points from the guest instruction counter.  A RecordSession is steppable
// like replay's: Step() runs until the guest has retired a count or another
// event was recorded, or until its run ends (the trace is then finished).
#pragma once

#include <cstdint>
#include <ctime>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "vmm/guest_counter.h"
#include "vmm/recorded_time.h"
#include "vmm/run_loop.h"
#include "vmm/run_options.h"
#include "vmm/trace_header.h"

namespace vmrr {

struct RecordOptions {
  RunOptions run;
  std::string output;    // empty: <kernel name>-<time>.vmrr in the current directory
  bool persist = false;  // let --disk writes reach the image
  bool force = false;    // replace an existing `output` (vmm/trace_output.h)
  std::optional<uint64_t> max_instructions;
  std::optional<CounterEvent> counter;  // default: the platform's
  bool status_line = false;             // one updating line on stderr
  std::string input_file;               // console input typed by script (--input); empty: stdin
  // Testing: up to this many microseconds of host delay at every stop
  // (VMRR_RECORD_JITTER_US), so stops land at other guest points.
  uint64_t stop_jitter_us = 0;
};

struct RecordResult {
  RunOutcome outcome;
  std::string path;
  uint64_t events = 0;
  uint64_t instructions = 0;
  uint64_t bytes = 0;
  uint64_t seed = 0;          // the boot entropy's seed (--seed redoes this run's entropy)
  bool guest_failed = false;  // the console showed a workload's FAIL verdict
  bool owns_time = false;     // the VMM owned guest time (else best-effort)
  TimeExitCounts time_exits;  // with owns_time
  uint64_t guest_ticks = 0;   // guest time the recording spans, in ticks of timebase_hz
  uint64_t timebase_hz = 0;
};

struct RecordConstraints {
  // Stop once the guest has retired at least this many instructions (at the
  // next stop the recorder makes: record cannot stop at an exact count).
  std::optional<uint64_t> instructions;
  // Stop once another event was recorded.
  bool one_event = false;
};

struct RecordStop {
  enum class Reason { kInstructions, kEvent, kEnd };
  Reason reason = Reason::kEnd;
};

// The files a recording reads (kernel, initrd, disk, --input): -o is none
// of them.
std::vector<std::string> RecordInputFiles(const RecordOptions& options);

class RecordSession {
 public:
  // Builds the VM and its devices, writes the trace's header and boot
  // regions.  Throws Error for bad input (files, options).
  explicit RecordSession(const RecordOptions& options);
  ~RecordSession();
  RecordSession(const RecordSession&) = delete;
  RecordSession& operator=(const RecordSession&) = delete;

  RecordStop Step(const RecordConstraints& constraints);
  bool finished() const;
  // After the run ended (Step returned kEnd).
  const RecordResult& result() const;
  uint64_t instructions() const;
  uint64_t events() const;

 private:
  struct Parts;
  std::unique_ptr<Parts> parts_;
};

// Records a guest from start to end.
RecordResult RecordGuest(const RecordOptions& options);

}  // namespace vmrr
