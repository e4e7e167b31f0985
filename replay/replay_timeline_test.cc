// Checkpoints of a replay of the simulated guest: taken at random points and
// automatically, restored in random order, each replays to the end exactly
// as the straight replay did; seeks to counts and events behind the replay
// stop where a straight replay stops.
#include "replay/replay_timeline.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <random>

#include "replay/event_source.h"
#include "replay/fake_guest.h"
#include "replay/fake_recording.h"

namespace vmrr {
namespace {

using testing::FakeGuest;
using testing::Record;
using testing::Recording;
using testing::TestProgram;

// The console: what the guest wrote, cut back on restore.
class OutputLog : public Checkpointable {
 public:
  std::string text;
  std::any SaveState() override { return text.size(); }
  void RestoreState(const std::any& state) override { text.resize(std::any_cast<size_t>(state)); }
};

struct Replay {
  explicit Replay(const Recording& rec, uint64_t margin, uint32_t seed,
                  std::chrono::nanoseconds first_gap = std::chrono::hours(1))
      : guest(TestProgram(400), margin, seed), source(rec.events, &rec.end) {
    ReplayConfig config;
    config.skid_margin = margin;
    config.mmio_write = [this](uint64_t gpa, uint64_t value, uint32_t) {
      if (gpa == testing::kOutputReg) log.text.push_back(static_cast<char>(value));
    };
    replayer = std::make_unique<Replayer>(guest, source, config);
    timeline = std::make_unique<ReplayTimeline>(*replayer, guest,
                                                std::vector<Checkpointable*>{&log}, first_gap);
  }
  ExecutionPoint Point() { return {guest.Instructions(), guest.Pc(), guest.RegistersDigest()}; }

  FakeGuest guest;
  VectorEventSource source;
  OutputLog log;
  std::unique_ptr<Replayer> replayer;
  std::unique_ptr<ReplayTimeline> timeline;
};

TEST(ReplayTimelineTest, CheckpointsRestoredInRandomOrderReplayToTheEndIdentically) {
  for (uint32_t seed = 1; seed <= 12; ++seed) {
    Recording rec = Record(seed);
    std::mt19937_64 rng(seed);
    Replay replay(rec, seed % 3 == 0 ? 8 : 0, seed, std::chrono::microseconds(200));
    // Straight through, with checkpoints at random counts on the way.
    uint64_t end = rec.end.at().instructions();
    std::vector<uint64_t> counts;
    for (int i = 0; i < 8; ++i) counts.push_back(rng() % end);
    std::sort(counts.begin(), counts.end());
    for (uint64_t count : counts) {
      ReplayStop stop = replay.timeline->Step(StepConstraints::ToInstructions(count));
      ASSERT_EQ(stop.reason, ReplayStop::Reason::kInstructions) << replay.replayer->result().report;
      ASSERT_EQ(replay.replayer->RecordedInstructions(), count);
      replay.timeline->Take();
    }
    ASSERT_EQ(replay.timeline->Step({}).reason, ReplayStop::Reason::kEnd);
    ReplayResult straight = replay.replayer->result();
    ASSERT_EQ(straight.kind, ReplayResult::Kind::kFinished) << straight.report;
    ASSERT_EQ(replay.log.text, rec.output);
    ExecutionPoint final_point = replay.Point();

    std::vector<CheckpointInfo> all = replay.timeline->checkpoints();
    ASSERT_GE(all.size(), 9u);  // checkpoint 0, the 8 taken, the automatic ones
    std::shuffle(all.begin(), all.end(), rng);
    for (const CheckpointInfo& cp : all) {
      replay.timeline->Restore(cp.id);
      EXPECT_EQ(replay.replayer->next_event_index(), cp.event_index);
      EXPECT_EQ(replay.guest.Instructions(), cp.instructions + replay.replayer->skew());
      replay.timeline->set_automatic(false);
      ASSERT_EQ(replay.timeline->Step({}).reason, ReplayStop::Reason::kEnd);
      const ReplayResult& again = replay.replayer->result();
      ASSERT_EQ(again.kind, ReplayResult::Kind::kFinished)
          << "seed " << seed << " checkpoint " << cp.id << ": " << again.report;
      EXPECT_EQ(again.events, straight.events);
      EXPECT_EQ(again.message, straight.message);
      EXPECT_EQ(replay.log.text, rec.output) << "seed " << seed << " checkpoint " << cp.id;
      EXPECT_EQ(replay.Point(), final_point);
      EXPECT_EQ(replay.guest.acc(), rec.final_acc);
    }
  }
}

TEST(ReplayTimelineTest, SeeksBehindStopWhereAStraightReplayStops) {
  for (uint32_t seed = 20; seed <= 27; ++seed) {
    Recording rec = Record(seed);
    std::mt19937_64 rng(seed);
    Replay seeker(rec, 0, seed, std::chrono::microseconds(100));
    ASSERT_EQ(seeker.timeline->Step({}).reason, ReplayStop::Reason::kEnd);
    for (int i = 0; i < 6; ++i) {
      uint64_t count = rng() % rec.end.at().instructions();
      Replay straight(rec, 0, seed + 1);
      straight.timeline->set_automatic(false);
      ASSERT_EQ(straight.timeline->Step(StepConstraints::ToInstructions(count)).reason,
                ReplayStop::Reason::kInstructions);
      ASSERT_EQ(seeker.timeline->Step(StepConstraints::ToInstructions(count)).reason,
                ReplayStop::Reason::kInstructions);
      EXPECT_EQ(seeker.Point(), straight.Point()) << "seed " << seed << " count " << count;
      EXPECT_EQ(seeker.replayer->next_event_index(), straight.replayer->next_event_index());
      EXPECT_EQ(seeker.log.text, straight.log.text);

      uint64_t event = rng() % rec.events.size();
      Replay by_event(rec, 0, seed + 2);
      ASSERT_EQ(by_event.timeline->Step(StepConstraints::ToEvent(event)).reason,
                ReplayStop::Reason::kEvent);
      ASSERT_EQ(seeker.timeline->Step(StepConstraints::ToEvent(event)).reason,
                ReplayStop::Reason::kEvent);
      EXPECT_EQ(seeker.Point(), by_event.Point()) << "seed " << seed << " event " << event;
      EXPECT_EQ(seeker.replayer->next_event_index(), event);
      // The guest stands at the event's point, the event not yet applied.
      const proto::ExecutionPoint& at = rec.events[event].at();
      EXPECT_EQ(seeker.Point().pc, at.pc());
      EXPECT_EQ(seeker.Point().instructions, at.instructions());
    }
    EXPECT_GT(seeker.timeline->restores(), 0u);
  }
}

TEST(ReplayTimelineTest, SeeksFromTheLatestCheckpointTheVcpuRestoresExactly) {
  Recording rec = Record(31);
  uint64_t end = rec.end.at().instructions();
  Replay seeker(rec, 0, 31);
  seeker.timeline->set_automatic(false);
  uint64_t first = end / 4, second = end / 2;
  ASSERT_EQ(seeker.timeline->Step(StepConstraints::ToInstructions(first)).reason,
            ReplayStop::Reason::kInstructions);
  seeker.timeline->Take();
  ASSERT_EQ(seeker.timeline->Step(StepConstraints::ToInstructions(second)).reason,
            ReplayStop::Reason::kInstructions);
  seeker.timeline->Take();
  ASSERT_EQ(seeker.timeline->Step({}).reason, ReplayStop::Reason::kEnd);

  uint64_t target = (second + end) / 2;
  seeker.guest.set_inexact([second](uint64_t count) { return count == second; });
  ASSERT_EQ(seeker.timeline->Step(StepConstraints::ToInstructions(target)).reason,
            ReplayStop::Reason::kInstructions);
  EXPECT_EQ(seeker.guest.restored_from(), first);
  Replay straight(rec, 0, 32);
  ASSERT_EQ(straight.timeline->Step(StepConstraints::ToInstructions(target)).reason,
            ReplayStop::Reason::kInstructions);
  EXPECT_EQ(seeker.Point(), straight.Point());

  // Exact again: the nearest one.
  seeker.guest.set_inexact(nullptr);
  ASSERT_EQ(seeker.timeline->Step(StepConstraints::ToInstructions(second + 1)).reason,
            ReplayStop::Reason::kInstructions);
  EXPECT_EQ(seeker.guest.restored_from(), second);
}

TEST(ReplayTimelineTest, StopsAtEveryEventOneByOneAndStillFinishes) {
  Recording rec = Record(31);
  Replay replay(rec, 4, 31);
  uint64_t stops = 0;
  while (replay.timeline->Step(StepConstraints::OneEvent()).reason ==
         ReplayStop::Reason::kOneEvent) {
    ++stops;
  }
  EXPECT_EQ(replay.replayer->result().kind, ReplayResult::Kind::kFinished)
      << replay.replayer->result().report;
  EXPECT_GT(stops, rec.events.size() / 2);
  EXPECT_EQ(replay.log.text, rec.output);
}

TEST(ReplayTimelineTest, StoppingAtEachEventInTurnChangesNothing) {
  Recording rec = Record(32);
  Replay replay(rec, 0, 32);
  for (uint64_t event = 0; event < rec.events.size(); event += 7) {
    ASSERT_EQ(replay.timeline->Step(StepConstraints::ToEvent(event)).reason,
              ReplayStop::Reason::kEvent)
        << replay.replayer->result().report;
    EXPECT_EQ(replay.Point().instructions, rec.events[event].at().instructions());
  }
  ASSERT_EQ(replay.timeline->Step({}).reason, ReplayStop::Reason::kEnd);
  EXPECT_EQ(replay.replayer->result().kind, ReplayResult::Kind::kFinished)
      << replay.replayer->result().report;
  EXPECT_EQ(replay.log.text, rec.output);
  EXPECT_EQ(replay.guest.acc(), rec.final_acc);
}

}  // namespace
}  // namespace vmrr
