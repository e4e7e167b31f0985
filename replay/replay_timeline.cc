#include "replay/replay_timeline.h"

#include <algorithm>

#include "base/error.h"

namespace vmrr {

ReplayTimeline::ReplayTimeline(Replayer& replayer, ReplayVcpu& vcpu,
                               std::vector<Checkpointable*> others, Clock::duration first_gap)
    : replayer_(replayer), vcpu_(vcpu), others_(std::move(others)), first_gap_(first_gap) {
  Take(false);
}

const CheckpointInfo& ReplayTimeline::Take(bool automatic) {
  if (!replayer_.settled() || replayer_.finished()) {
    throw Error(ErrorKind::kInternal, "a checkpoint where the replay cannot be saved");
  }
  auto start = Clock::now();
  Checkpoint cp;
  cp.info.event_index = replayer_.next_event_index();
  cp.info.instructions = replayer_.RecordedInstructions();
  cp.info.exits = replayer_.exits_at_count();
  auto place = [](const CheckpointInfo& i) { return std::pair(i.instructions, i.event_index); };
  auto at = std::lower_bound(checkpoints_.begin(), checkpoints_.end(), place(cp.info),
                             [&place](const Checkpoint& c, const std::pair<uint64_t, uint64_t>& p) {
                               return place(c.info) < p;
                             });
  if (at != checkpoints_.end() && place(at->info) == place(cp.info)) {
    last_taken_ = Clock::now();
    return infos_[static_cast<size_t>(at - checkpoints_.begin())];  // already there
  }
  cp.info.id = next_id_++;
  cp.info.automatic = automatic;
  cp.replayer = replayer_.SaveState();
  cp.vcpu = vcpu_.SaveState();
  cp.info.bytes = vcpu_.last_saved_bytes();
  for (Checkpointable* other : others_) cp.others.push_back(other->SaveState());
  last_taken_ = Clock::now();
  cp.info.take_time = std::chrono::duration_cast<std::chrono::nanoseconds>(last_taken_ - start);
  if (automatic) ++automatic_taken_;
  auto index = at - checkpoints_.begin();
  checkpoints_.insert(at, std::move(cp));
  infos_.insert(infos_.begin() + index, checkpoints_[static_cast<size_t>(index)].info);
  return infos_[static_cast<size_t>(index)];
}

bool ReplayTimeline::RestoresExactly(uint64_t id) const {
  for (const Checkpoint& cp : checkpoints_) {
    if (cp.info.id == id) return id == 0 || vcpu_.RestoresExactly(cp.vcpu);
  }
  return false;
}

void ReplayTimeline::Restore(uint64_t id) {
  auto it = std::find_if(checkpoints_.begin(), checkpoints_.end(),
                         [id](const Checkpoint& c) { return c.info.id == id; });
  if (it == checkpoints_.end()) {
    throw Error(ErrorKind::kUsage, "no checkpoint " + std::to_string(id));
  }
  auto start = Clock::now();
  vcpu_.RestoreState(it->vcpu);
  for (size_t i = 0; i < others_.size(); ++i) others_[i]->RestoreState(it->others[i]);
  replayer_.RestoreState(it->replayer);
  ++restores_;
  last_restored_ = it->info;
  last_taken_ = Clock::now();
  last_restore_time_ = std::chrono::duration_cast<std::chrono::nanoseconds>(last_taken_ - start);
  total_restore_time_ += last_restore_time_;
}

bool ReplayTimeline::Behind(const StepConstraints& c) const {
  if (c.event) return *c.event < replayer_.next_event_index();
  if (c.instructions) {
    // Past the first point at the count once an instruction exited there.
    uint64_t now = replayer_.RecordedInstructions();
    return *c.instructions < now || (*c.instructions == now && replayer_.exits_at_count() > 0);
  }
  return false;
}

const ReplayTimeline::Checkpoint* ReplayTimeline::Before(const StepConstraints& c) const {
  for (auto it = checkpoints_.rbegin(); it != checkpoints_.rend(); ++it) {
    const CheckpointInfo& info = it->info;
    // A count is reached from strictly before it, as the straight replay
    // reaches it (an exit that retires nothing may lie at the count).
    bool usable = c.event ? info.event_index <= *c.event
                          : info.instructions < *c.instructions || info.id == 0;
    // One the vCPU cannot put back exactly from here would replay to other
    // points at the same counts than the straight replay (an earlier one
    // can: checkpoint 0 always).
    if (usable && (info.id == 0 || vcpu_.RestoresExactly(it->vcpu))) return &*it;
  }
  return &checkpoints_.front();
}

bool ReplayTimeline::AutomaticDue() const {
  auto gap = first_gap_ * (uint64_t{1} << std::min<uint64_t>(automatic_taken_ / 4, 20));
  return Clock::now() - last_taken_ >= gap;
}

ReplayStop ReplayTimeline::Step(const StepConstraints& constraints) {
  if (Behind(constraints)) Restore(Before(constraints)->info.id);
  StepConstraints c = constraints;
  if (automatic_) {
    c.pause = [this, &constraints] {
      return AutomaticDue() || (constraints.pause && constraints.pause());
    };
  }
  for (;;) {
    ReplayStop stop = replayer_.Step(c);
    if (stop.reason != ReplayStop::Reason::kPaused || !automatic_) return stop;
    if (AutomaticDue()) Take(true);
    if (constraints.pause && constraints.pause()) return stop;
  }
}

}  // namespace vmrr
