// Guest time owned by the VMM: a simulated guest reads the clock and waits
// for its timer (WFI); the recorder answers clock reads from a GuestClock,
// records each read as a point without its value, the idle jumps and the
// timer line, and replay recomputes every clock value -- from the
// recording's counts, so a count skew (a retried store-conditional) changes
// nothing the guest sees.
#include <gtest/gtest.h>

#include <random>

#include "replay/fake_guest.h"
#include "replay/guest_clock.h"
#include "replay/recorder.h"
#include "replay/replayer.h"

namespace vmrr {
namespace {

using testing::FakeGuest;
using testing::Op;
using testing::OpKind;

constexpr GuestClockConfig kClock{
    .base_ticks = 5000, .instructions_per_tick = 3, .timebase_hz = 1000};
constexpr uint64_t kLoops = 300;

// main: loop { add; read clock; add; wfi; add } then off; the timer
// handler re-arms nothing: it reads the ack register and returns.
std::vector<Op> ClockProgram() {
  std::vector<Op> p(testing::kHandlerPc + 4, Op{OpKind::kOff});
  p[0] = {OpKind::kAdd, kLoops};
  p[1] = {OpKind::kReadClock};
  p[2] = {OpKind::kAdd, 5};
  p[3] = {OpKind::kWfi};
  p[4] = {OpKind::kAdd, 9};
  p[5] = {OpKind::kDecJnz, 1};
  p[6] = {OpKind::kOff};
  p[testing::kHandlerPc] = {OpKind::kRead, testing::kAckReg};
  p[testing::kHandlerPc + 1] = {OpKind::kAdd, 11};
  p[testing::kHandlerPc + 2] = {OpKind::kIret};
  return p;
}

struct ClockRecording {
  std::vector<proto::Event> events;
  proto::TraceEnd end;
  uint64_t final_acc = 0;
  uint64_t clock_reads = 0;
  uint64_t idles = 0;
};

// `kicks`: the recorder also interrupts the guest at random points
// (asynchronous timer raises).
ClockRecording Record(uint32_t seed, bool kicks = true) {
  ClockRecording rec;
  FakeGuest guest(ClockProgram(), 0, seed);
  Recorder recorder(
      [&guest] {
        return ExecutionPoint{guest.Instructions(), guest.Pc(), guest.RegistersDigest()};
      },
      [&rec](const proto::Event& e) { rec.events.push_back(e); });
  GuestClock clock(kClock);
  std::mt19937 rng(seed);
  auto raise_if_due = [&] {
    if (clock.Due(guest.Instructions()) && !guest.line_high()) {
      guest.SetInterruptLine(testing::kTimerLine, true);
      recorder.InterruptLine(testing::kTimerLine, true);
      clock.SetDeadline(std::nullopt);
    }
  };
  clock.SetDeadline(clock.Ticks(0) + 20);
  for (;;) {
    guest.set_kick_after(kicks ? rng() % 150 : UINT64_MAX);
    VcpuStop stop = guest.Run();
    recorder.BeginStop(stop.kind == VcpuStop::Kind::kInterrupted);
    uint64_t count = guest.Instructions();
    switch (stop.kind) {
      case VcpuStop::Kind::kPowerOff:
        rec.end.set_reason("poweroff");
        ToProto(recorder.Point(), rec.end.mutable_at());
        rec.final_acc = guest.acc();
        return rec;
      case VcpuStop::Kind::kClockRead:
        ++rec.clock_reads;
        guest.CompleteClockRead(clock.Ticks(count));
        recorder.ClockRead(static_cast<uint32_t>(ClockCounter::kTime));
        break;
      case VcpuStop::Kind::kIdle: {
        ++rec.idles;
        // Jump to the deadline, or a random wait when none is armed.
        uint64_t ticks = clock.TicksToDeadline(count).value_or(rng() % 50);
        clock.Idle(ticks);
        recorder.Idle(ticks);
        break;
      }
      case VcpuStop::Kind::kMmio:  // the ack: lower the line, arm the next tick
        guest.SetInterruptLine(testing::kTimerLine, false);
        recorder.InterruptLine(testing::kTimerLine, false);
        recorder.MmioRead(stop.gpa, stop.len, 0);
        guest.CompleteMmioRead(0);
        if (rng() % 4 != 0) clock.SetDeadline(clock.Ticks(count) + 10 + rng() % 40);
        break;
      default:
        break;
    }
    raise_if_due();
    recorder.EndStop();
  }
}

struct ClockReplay {
  ReplayResult result;
  uint64_t final_acc = 0;
};

// The ADD before the WFI retries (count skew) one time in `noise_one_in`.
ClockReplay Replay(const ClockRecording& rec, GuestClockConfig config, uint32_t seed,
                   uint32_t noise_one_in = 0, uint64_t noise_extra = 0) {
  ClockReplay out;
  FakeGuest guest(ClockProgram(), 0, seed);
  guest.set_retry_noise(5, noise_one_in, noise_extra);
  GuestClock clock(config);
  ReplayConfig rc;
  rc.clock_read = [&clock](ClockCounter counter, uint64_t instructions) {
    EXPECT_EQ(counter, ClockCounter::kTime);
    return clock.Ticks(instructions);
  };
  rc.idle = [&clock](uint64_t ticks) { clock.Idle(ticks); };
  VectorEventSource source(rec.events, &rec.end);
  Replayer replayer(guest, source, rc);
  out.result = replayer.Run();
  out.final_acc = guest.acc();
  return out;
}

TEST(ClockReplayTest, ClockReadsAreRecomputedFromTheirRecordedPoints) {
  for (uint32_t seed = 1; seed <= 20; ++seed) {
    ClockRecording rec = Record(seed);
    ASSERT_GT(rec.clock_reads, 0u);
    ASSERT_EQ(rec.idles, kLoops);
    size_t idle_events = 0;
    size_t clock_events = 0;
    for (const proto::Event& e : rec.events) {
      EXPECT_FALSE(e.has_mmio_read() && e.mmio_read().gpa() != testing::kAckReg);
      idle_events += e.has_idle() ? 1 : 0;
      clock_events += e.has_clock_read() ? 1 : 0;
      EXPECT_FALSE(e.has_clock_read() && e.asynchronous());
    }
    EXPECT_EQ(idle_events, kLoops);
    EXPECT_EQ(clock_events, rec.clock_reads);
    ClockReplay replay = Replay(rec, kClock, seed + 100);
    EXPECT_EQ(replay.result.kind, ReplayResult::Kind::kFinished) << replay.result.report;
    EXPECT_EQ(replay.final_acc, rec.final_acc) << "seed " << seed;
  }
}

TEST(ClockReplayTest, RecordsDifferWithTheSeed) {
  EXPECT_NE(Record(1).final_acc, Record(2).final_acc);
}

TEST(ClockReplayTest, AnotherTimeBaseDiverges) {
  ClockRecording rec = Record(7);
  GuestClockConfig other = kClock;
  other.base_ticks += 1;
  ClockReplay replay = Replay(rec, other, 7);
  EXPECT_EQ(replay.result.kind, ReplayResult::Kind::kDiverged);
  EXPECT_NE(replay.result.report.find("not where the recording was"), std::string::npos)
      << replay.result.report;
}

TEST(ClockReplayTest, WithoutAClockTheReadIsReported) {
  ClockRecording rec = Record(3);
  FakeGuest guest(ClockProgram(), 0, 3);
  VectorEventSource source(rec.events, &rec.end);
  Replayer replayer(guest, source, ReplayConfig{});
  ReplayResult result = replayer.Run();
  EXPECT_EQ(result.kind, ReplayResult::Kind::kDiverged);
  EXPECT_NE(result.report.find("counter only a VMM that owns time"), std::string::npos)
      << result.report;
}

TEST(ClockReplayTest, ACountSkewAtExitsIsAbsorbedAndTheGuestSeesTheRecordedTime) {
  for (uint32_t seed = 1; seed <= 10; ++seed) {
    ClockRecording rec = Record(seed, /*kicks=*/false);
    // The retried sequence adds 4 instructions now and then: the replay
    // runs ahead of the recording's counts by more and more.
    ClockReplay replay = Replay(rec, kClock, seed, 7, 4);
    EXPECT_EQ(replay.result.kind, ReplayResult::Kind::kFinished) << replay.result.report;
    EXPECT_GT(replay.result.skews, 0u);
    EXPECT_GT(replay.result.max_skew, 4u);  // skews add up, each within the window
    EXPECT_EQ(replay.final_acc, rec.final_acc) << "seed " << seed;
  }
}

TEST(ClockReplayTest, ASkewBeyondTheWindowDiverges) {
  ClockRecording rec = Record(4, /*kicks=*/false);
  ClockReplay replay = Replay(rec, kClock, 4, 7, Replayer::kMaxSkew + 1);
  EXPECT_EQ(replay.result.kind, ReplayResult::Kind::kDiverged);
  EXPECT_EQ(replay.result.skews, 0u);
}

TEST(ClockReplayTest, WithoutRetriesThereIsNoSkew) {
  ClockRecording rec = Record(5);
  ClockReplay replay = Replay(rec, kClock, 5);
  EXPECT_EQ(replay.result.kind, ReplayResult::Kind::kFinished) << replay.result.report;
  EXPECT_EQ(replay.result.skews, 0u);
}

}  // namespace
}  // namespace vmrr
