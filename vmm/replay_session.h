// `vmrr replay`: rebuilds the VM from a trace alone (its header and boot
// regions), then drives it with replay/'s Replayer over the real vCPU,
// printing the guest's console output from its UART writes.  A session is
// steppable (Step(), replay/replayer.h) and keeps checkpoints
// (replay/replay_timeline.h): the CLI's --to and --verify-checkpoints, and
// later the gdb stub, drive the same object.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "proto/trace.pb.h"
#include "replay/debug_vcpu.h"
#include "replay/replay_debugger.h"
#include "replay/replay_timeline.h"
#include "replay/replayer.h"

namespace vmrr {

struct ReplayOptions {
  std::string trace;
  std::optional<uint64_t> skid_margin;  // default: the platform's
  bool status_line = false;
  bool echo_console = true;  // the guest's console output on stdout
  bool automatic_checkpoints = false;
};

// What checkpoints cost here (the figures `vmrr replay` prints).
struct CheckpointCosts {
  uint64_t taken = 0;
  uint64_t restored = 0;
  std::chrono::nanoseconds take_time{0};     // all takes
  std::chrono::nanoseconds restore_time{0};  // all restores
  uint64_t memory_bytes = 0;                 // page copies all checkpoints hold
};

class ReplaySession {
 public:
  // Reads and checks the trace, builds the VM and takes checkpoint 0.
  // Throws Error for a trace this host cannot replay.
  explicit ReplaySession(const ReplayOptions& options);
  ~ReplaySession();
  ReplaySession(const ReplaySession&) = delete;
  ReplaySession& operator=(const ReplaySession&) = delete;

  // Runs until the constraints hold or the replay ends; a target behind
  // is reached from the latest checkpoint before it.
  ReplayStop Step(const StepConstraints& constraints);
  const CheckpointInfo& TakeCheckpoint();
  void RestoreCheckpoint(uint64_t id);
  const std::vector<CheckpointInfo>& checkpoints() const;
  // The checkpoint restored last (by a seek or on request).
  std::optional<CheckpointInfo> last_restored() const;
  CheckpointCosts checkpoint_costs() const;

  const ReplayResult& result() const;
  bool finished() const;
  // No exit is held half-answered: a checkpoint can be taken here.
  bool settled() const;
  const proto::TraceHeader& header() const;
  // The trace's events and end point, from its end record (nullopt: cut).
  std::optional<uint64_t> total_events() const;
  std::optional<uint64_t> end_instructions() const;
  uint64_t next_event_index() const;
  const proto::Event* next_event() const;
  // The recording's count where the guest stands, and its PC.
  uint64_t instructions() const;
  uint64_t pc();
  // The guest's console output so far (cut back by a restore).
  const std::string& console_output() const;
  void set_console_echo(bool on);
  std::vector<std::pair<std::string, uint64_t>> Registers();

  // For a debugger: the replayed vCPU, and run control over this session
  // (`interrupted` is polled while it runs).
  DebugVcpu& debug_vcpu();
  std::unique_ptr<ReplayDebugger> MakeDebugger(std::function<bool()> interrupted);
  // Where the guest kernel mapped its image (the KASLR'd `_text`), if the
  // guest is a kernel that has turned its MMU on.
  std::optional<uint64_t> KernelImageAddress();
  uint64_t kernel_physical_address() const;
  // Guest seconds at the current point, when vmrr owns guest time.
  std::optional<double> GuestSeconds() const;
  const std::string& trace_path() const;

 private:
  struct Parts;
  std::unique_ptr<Parts> parts_;
};

// Replays a trace from start to end.
ReplayResult ReplayTrace(const ReplayOptions& options);

}  // namespace vmrr
