// Record a simulated guest with random interrupt timing and random device
// values, then replay the events on a fresh guest whose overflow skids at
// random: the output and final state must match, and edited or cut traces
// must be reported.
#include <gtest/gtest.h>

#include <optional>
#include <random>
#include <set>

#include "replay/fake_guest.h"
#include "replay/fake_recording.h"
#include "replay/recorder.h"
#include "replay/replayer.h"
#include "replay/trace_reader.h"
#include "replay/trace_writer.h"

namespace vmrr {
namespace {

using testing::FakeGuest;
using testing::Record;
using testing::Recording;
using testing::TestProgram;

struct Replay {
  ReplayResult result;
  std::string output;
  uint64_t final_acc = 0;
};

// How a replay differs from the plain one.
struct ReplayKnobs {
  bool cut = false;  // the trace has no end record
  size_t keep_events = SIZE_MAX;
  std::optional<uint64_t> spurious_page = std::nullopt;  // FakeGuest::set_spurious_dirty_page
  std::string code_note = "";                            // FakeGuest::set_code_note
  uint64_t noise_extra = 0;                              // the ADD 3 retries one time in 3
  uint64_t drift_window = 0;                             // ReplayConfig::drift_window
  uint64_t forward_search = 0;                           // ReplayConfig::forward_search
};

Replay DoReplay(const Recording& rec, uint64_t margin, uint32_t seed,
                const ReplayKnobs& knobs = {}) {
  Replay out;
  FakeGuest guest(TestProgram(400), margin, seed);
  if (knobs.spurious_page) guest.set_spurious_dirty_page(*knobs.spurious_page);
  guest.set_code_note(knobs.code_note);
  if (knobs.noise_extra != 0) guest.set_retry_noise(3, 3, knobs.noise_extra);
  ReplayConfig config;
  config.skid_margin = margin;
  config.drift_window = knobs.drift_window;
  config.forward_search = knobs.forward_search;
  config.mmio_write = [&out](uint64_t gpa, uint64_t value, uint32_t) {
    if (gpa == testing::kOutputReg) out.output.push_back(static_cast<char>(value));
  };
  std::vector<proto::Event> events(
      rec.events.begin(),
      rec.events.begin() + static_cast<long>(std::min(rec.events.size(), knobs.keep_events)));
  VectorEventSource source(events, knobs.cut ? nullptr : &rec.end);
  Replayer replayer(guest, source, config);
  out.result = replayer.Run();
  out.final_acc = guest.acc();
  return out;
}

// A count skew can change between two exits; asynchronous points in such a
// stretch are found by PC and registers within the drift window, whichever
// run retried more (the replay: the point comes later; the recording: sooner).
TEST(RecordReplay, AsynchronousPointsAreFoundWhenTheSkewChangedSinceTheLastExit) {
  int diverged_without_window = 0;
  uint64_t skews = 0;
  for (uint32_t seed = 1; seed <= 12; ++seed) {
    Recording plain = Record(seed);
    Recording noisy = Record(seed, UINT64_MAX, 2);
    for (const auto& [rec, noise] :
         {std::pair{&plain, uint64_t{2}}, std::pair{&noisy, uint64_t{0}}}) {
      Replay r = DoReplay(*rec, 0, seed + 100, {.noise_extra = noise, .drift_window = 32});
      ASSERT_EQ(r.result.kind, ReplayResult::Kind::kFinished)
          << "seed " << seed << " noise " << noise << "\n"
          << r.result.report;
      EXPECT_EQ(r.output, rec->output);
      EXPECT_EQ(r.final_acc, rec->final_acc);
      skews += r.result.skews;
      if (DoReplay(*rec, 0, seed + 100, {.noise_extra = noise}).result.kind ==
          ReplayResult::Kind::kDiverged) {
        ++diverged_without_window;
      }
    }
  }
  EXPECT_GT(skews, 0u);
  // Without the window the same replays stop at the count and miss the point.
  EXPECT_GT(diverged_without_window, 0);
}

// Without the drift window, a skew that grew after the last exit (this
// replay retried more) is found by stepping on from the count.
TEST(RecordReplay, AForwardSearchFindsPointsTheReplayReachesLater) {
  int diverged_without = 0, diverged_with = 0;
  uint64_t skews = 0;
  for (uint32_t seed = 1; seed <= 12; ++seed) {
    Recording plain = Record(seed);
    Replay r = DoReplay(plain, 0, seed + 100, {.noise_extra = 2, .forward_search = 32});
    if (r.result.kind == ReplayResult::Kind::kDiverged) {
      ++diverged_with;
      ADD_FAILURE() << "seed " << seed << ": " << r.result.report;
    } else {
      EXPECT_EQ(r.output, plain.output);
      EXPECT_EQ(r.final_acc, plain.final_acc);
      skews += r.result.skews;
    }
    if (DoReplay(plain, 0, seed + 100, {.noise_extra = 2}).result.kind ==
        ReplayResult::Kind::kDiverged) {
      ++diverged_without;
    }
  }
  EXPECT_EQ(diverged_with, 0);
  EXPECT_GT(diverged_without, 0);
  EXPECT_GT(skews, 0u);
}

TEST(RecordReplay, ReplaysExactlyForAnySkidUpToTheMargin) {
  std::set<uint64_t> outcomes;
  for (uint32_t seed = 0; seed < 30; ++seed) {
    Recording rec = Record(seed);
    ASSERT_GT(rec.interrupts, 5u);
    outcomes.insert(rec.final_acc);
    for (uint64_t margin : {1ull, 5ull, 64ull}) {
      Replay r = DoReplay(rec, margin, seed * 7 + 1);
      ASSERT_EQ(r.result.kind, ReplayResult::Kind::kFinished)
          << "seed " << seed << " margin " << margin << ": " << r.result.report;
      EXPECT_EQ(r.output, rec.output);
      EXPECT_EQ(r.final_acc, rec.final_acc);
      EXPECT_EQ(r.result.events, rec.events.size());
      EXPECT_LE(r.result.max_steps_per_stop, margin + 1);
    }
  }
  EXPECT_GT(outcomes.size(), 25u);  // the recordings really differ
}

TEST(RecordReplay, RepeatedDeviceWritesAreStoredOnce) {
  Recording rec = Record(3);
  int with_data = 0, deduplicated = 0;
  for (const proto::Event& e : rec.events) {
    if (!e.has_memory_write()) continue;
    EXPECT_EQ(e.memory_write().gpa(), 0u);  // the two adjacent writes became one
    if (e.memory_write().same_data_as() != 0) {
      EXPECT_TRUE(e.memory_write().data().empty());
      const proto::Event& source = rec.events.at(e.memory_write().same_data_as() - 1);
      EXPECT_EQ(source.memory_write().data().size(), 700u);
      ++deduplicated;
    } else {
      EXPECT_EQ(e.memory_write().data().size(), 700u);
      ++with_data;
    }
  }
  EXPECT_LE(with_data, 3);  // three distinct blocks
  EXPECT_GT(deduplicated, 100);
}

TEST(RecordReplay, AnInterruptMovedByOneInstructionIsReportedAsDivergence) {
  Recording rec = Record(11);
  size_t moved = 0;
  for (size_t i = 0; i < rec.events.size(); ++i) {
    if (rec.events[i].asynchronous() && rec.events[i].has_interrupt() && i > 20) {
      moved = i;
      break;
    }
  }
  ASSERT_GT(moved, 0u);
  auto* at = rec.events[moved].mutable_at();
  at->set_instructions(at->instructions() + 1);
  Replay r = DoReplay(rec, 16, 5);
  ASSERT_EQ(r.result.kind, ReplayResult::Kind::kDiverged);
  EXPECT_NE(r.result.report.find("event " + std::to_string(moved) + " (interrupt line 5 raised"),
            std::string::npos)
      << r.result.report;
  EXPECT_NE(r.result.report.find("expected: #"), std::string::npos) << r.result.report;
  EXPECT_NE(r.result.report.find("actual:   #"), std::string::npos) << r.result.report;
  EXPECT_NE(r.result.report.find("last matching point: event " + std::to_string(moved - 1)),
            std::string::npos)
      << r.result.report;
  EXPECT_EQ(r.result.report.find("note:"), std::string::npos) << r.result.report;

  // Stepping on for a grown skew does not find a point that moved.
  Replay searched = DoReplay(rec, 0, 5, {.forward_search = 32});
  EXPECT_EQ(searched.result.kind, ReplayResult::Kind::kDiverged);

  // Where the code explains itself (arm64: a load/store-exclusive loop), the
  // report says so.
  Replay noted = DoReplay(rec, 16, 5, {.code_note = "in an LL/SC loop"});
  ASSERT_EQ(noted.result.kind, ReplayResult::Kind::kDiverged);
  EXPECT_NE(noted.result.report.find("  note: in an LL/SC loop\n"), std::string::npos)
      << noted.result.report;
}

TEST(RecordReplay, ADeviceWriteTheGuestNeverReadsIsCaughtByTheMemoryCheck) {
  Recording rec = Record(12);
  bool changed = false;
  for (proto::Event& e : rec.events) {
    // Byte 100 of the DMA block: in memory, but the program never loads it.
    if (e.has_memory_write() && e.memory_write().gpa() == 0 &&
        e.memory_write().data().size() > 100) {
      (*e.mutable_memory_write()->mutable_data())[100] ^= 0x55;
      changed = true;
      break;
    }
  }
  ASSERT_TRUE(changed);
  Replay r = DoReplay(rec, 8, 1);
  EXPECT_EQ(r.result.kind, ReplayResult::Kind::kDiverged);
  EXPECT_NE(r.result.report.find("guest memory differs"), std::string::npos) << r.result.report;
}

TEST(RecordReplay, APageOnlyThisReplaysDirtyLogNamesIsNotADivergence) {
  Recording rec = Record(13);
  Replay r = DoReplay(rec, 8, 1, {.spurious_page = 15});
  EXPECT_EQ(r.result.kind, ReplayResult::Kind::kFinished) << r.result.report;
  EXPECT_GT(r.result.dirty_log_differences, 0u);
  EXPECT_EQ(r.final_acc, rec.final_acc);
}

TEST(RecordReplay, AChangedDeviceValueIsCaughtAtALaterEvent) {
  Recording rec = Record(12);
  for (proto::Event& e : rec.events) {
    if (e.has_mmio_read() && e.mmio_read().gpa() == testing::kRandomReg) {
      e.mutable_mmio_read()->set_value(e.mmio_read().value() ^ 1);
      break;
    }
  }
  Replay r = DoReplay(rec, 8, 1);
  EXPECT_EQ(r.result.kind, ReplayResult::Kind::kDiverged);
  EXPECT_NE(r.result.report.find("not where the recording was"), std::string::npos)
      << r.result.report;
}

TEST(RecordReplay, ACutTraceReplaysItsPrefixAndSaysSo) {
  Recording rec = Record(13);
  Replay r = DoReplay(rec, 8, 2, {.cut = true, .keep_events = rec.events.size() / 2});
  EXPECT_EQ(r.result.kind, ReplayResult::Kind::kCut) << r.result.report;
  EXPECT_EQ(r.result.events, rec.events.size() / 2);
  EXPECT_NE(r.result.message.find("cut"), std::string::npos);
}

TEST(RecordReplay, MissingEventsAtTheEndAreADivergence) {
  Recording rec = Record(14);
  // A complete trace that lost its last events: the guest reads MMIO the
  // trace cannot answer.
  Replay r = DoReplay(rec, 8, 2, {.keep_events = rec.events.size() - 3});
  EXPECT_EQ(r.result.kind, ReplayResult::Kind::kDiverged);
}

TEST(RecordReplay, ARecordingStoppedFromOutsideReplaysToItsLastPoint) {
  for (uint32_t seed = 40; seed < 50; ++seed) {
    Recording rec = Record(seed, 1500);
    ASSERT_EQ(rec.end.reason(), "timeout");
    Replay r = DoReplay(rec, 8, seed);
    ASSERT_EQ(r.result.kind, ReplayResult::Kind::kFinished) << r.result.report;
    EXPECT_EQ(r.result.instructions, rec.end.at().instructions());
    EXPECT_EQ(r.output, rec.output);
    EXPECT_NE(r.result.message.find("where the recording stopped (timeout)"), std::string::npos);
  }
}

TEST(RecordReplay, ThroughATraceFile) {
  Recording rec = Record(21);
  std::string path = ::testing::TempDir() + "/fake.vmrr";
  {
    proto::TraceHeader header;
    header.set_arch("fake");
    TraceWriter writer(path, header);
    for (const proto::Event& e : rec.events) writer.Append(e);
    writer.Finish(rec.end);
  }
  TraceReader reader(path);
  FakeGuest guest(TestProgram(400), 32, 9);
  ReplayConfig config;
  config.skid_margin = 32;
  Replayer replayer(guest, reader, config);
  ReplayResult result = replayer.Run();
  EXPECT_EQ(result.kind, ReplayResult::Kind::kFinished) << result.report;
  EXPECT_EQ(guest.acc(), rec.final_acc);
}

}  // namespace
}  // namespace vmrr
