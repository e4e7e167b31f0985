// `vmrr record`: runs a guest like `vmrr run` while writing everything that
// crosses the VM boundary into a trace (replay/recorder.h), at execution
// points from the guest instruction counter.
#pragma once

#include <cstdint>
#include <ctime>
#include <optional>
#include <string>

#include "vmm/guest_counter.h"
#include "vmm/recorded_time.h"
#include "vmm/run_loop.h"
#include "vmm/run_options.h"

namespace vmrr {

struct RecordOptions {
  RunOptions run;
  std::string output;    // empty: <kernel name>-<time>.vmrr in the current directory
  bool persist = false;  // let --disk writes reach the image
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

RecordResult RecordGuest(const RecordOptions& options);

// The trace's end reason for an outcome ("poweroff", "timeout", ...).
std::string EndReason(GuestExit exit);

// The default trace name for a kernel path and a time: "Image-20261121-153000.vmrr".
std::string DefaultTraceName(const std::string& kernel_path, std::time_t when);

}  // namespace vmrr
