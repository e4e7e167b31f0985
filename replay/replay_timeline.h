// Checkpoints of a replay, and seeking with them (rr's ReplayTimeline): a
// checkpoint holds the Replayer's state, the vCPU's (registers, interrupt
// controller, RAM, its instruction count) and that of any other
// Checkpointable (the console, the guest clock).  Going to a point behind the
// replay restores the latest checkpoint before it and replays forward, so a
// seek costs at most the replay between two checkpoints.  Checkpoints are
// taken on request and automatically as the replay goes: the first gap is
// `first_gap` of host time, and the gap doubles after every four, so a long
// replay keeps O(log n) of them.  Restoring never changes what the guest
// sees: the replay from a checkpoint checks every point and digest as the
// straight one does.
#pragma once

#include <any>
#include <chrono>
#include <cstdint>
#include <optional>
#include <vector>

#include "replay/checkpointable.h"
#include "replay/replayer.h"

namespace vmrr {

struct CheckpointInfo {
  uint64_t id = 0;
  uint64_t event_index = 0;   // the next event to apply there
  uint64_t instructions = 0;  // the recording's count there
  uint64_t exits = 0;         // instructions that exited at that count before it
  bool automatic = false;
  std::chrono::nanoseconds take_time{0};
  uint64_t bytes = 0;  // what it holds of its own (ReplayVcpu::last_saved_bytes)
};

class ReplayTimeline {
 public:
  using Clock = std::chrono::steady_clock;
  static constexpr std::chrono::milliseconds kFirstGap{500};

  // Takes checkpoint 0 at once: the replay must not have started.
  // `others` are restored after the vCPU, in order.
  ReplayTimeline(Replayer& replayer, ReplayVcpu& vcpu, std::vector<Checkpointable*> others,
                 Clock::duration first_gap = kFirstGap);

  // A checkpoint of the replay where it stands (settled, not finished).
  const CheckpointInfo& Take(bool automatic = false);
  // Whether checkpoint `id` can be restored from here so that the replay
  // goes on exactly as the straight one (checkpoint 0 always can).
  bool RestoresExactly(uint64_t id) const;
  void Restore(uint64_t id);
  // In replay order.
  const std::vector<CheckpointInfo>& checkpoints() const { return infos_; }

  // Runs until the constraints hold (or the end), taking automatic
  // checkpoints on the way; a target behind the replay (constraints.event
  // or .instructions) is reached from the latest checkpoint before it.
  ReplayStop Step(const StepConstraints& constraints);
  // Automatic checkpoints on or off (on by default).
  void set_automatic(bool on) { automatic_ = on; }

  // Restores done so far, and what they cost; the checkpoint restored last.
  uint64_t restores() const { return restores_; }
  std::optional<CheckpointInfo> last_restored() const { return last_restored_; }
  std::chrono::nanoseconds last_restore_time() const { return last_restore_time_; }
  std::chrono::nanoseconds total_restore_time() const { return total_restore_time_; }

 private:
  struct Checkpoint {
    CheckpointInfo info;
    Replayer::State replayer;
    std::any vcpu;
    std::vector<std::any> others;
  };
  // The latest checkpoint from which the target can be reached forward.
  const Checkpoint* Before(const StepConstraints& constraints) const;
  bool Behind(const StepConstraints& constraints) const;
  bool AutomaticDue() const;

  Replayer& replayer_;
  ReplayVcpu& vcpu_;
  std::vector<Checkpointable*> others_;
  Clock::duration first_gap_;
  std::vector<Checkpoint> checkpoints_;  // sorted by (instructions, event_index)
  std::vector<CheckpointInfo> infos_;
  uint64_t next_id_ = 0;
  uint64_t automatic_taken_ = 0;
  bool automatic_ = true;
  Clock::time_point last_taken_;
  uint64_t restores_ = 0;
  std::optional<CheckpointInfo> last_restored_;
  std::chrono::nanoseconds last_restore_time_{0};
  std::chrono::nanoseconds total_restore_time_{0};
};

}  // namespace vmrr
