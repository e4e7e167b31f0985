// Guest time under record with fakes: counter reads answered from the clock
// and recorded without their value, timer accesses recorded as hypercalls,
// the timer's line raised once the deadline has passed and lowered when the
// guest moves it, idling jumping to the deadline.
#include "vmm/recorded_time.h"

#include <gtest/gtest.h>

namespace vmrr {
namespace {

// The guest's timer: whatever the test sets, answered like set_timer.
class TimerExits : public ArchExits {
 public:
  std::optional<uint64_t> deadline;
  uint64_t answered_clock = 0;
  std::optional<VcpuStop> Decode(const kvm_run&) const override { return std::nullopt; }
  void CompleteHypercall(kvm_run&, const std::vector<uint64_t>&) const override {}
  void CompleteClockRead(kvm_run&, uint64_t value) const override {
    const_cast<TimerExits*>(this)->answered_clock = value;
  }
  std::vector<uint64_t> AnswerHypercall(kvm_run&) override { return {}; }
  TimerAccess AccessTimer(kvm_run&, const std::function<uint64_t()>&) override {
    TimerAccess access;
    access.function = 0x54494D4500000000;
    access.values = {0, 0};
    access.deadline = deadline;
    return access;
  }
  uint32_t timer_count() const override { return 1; }
};

struct TimeRig {
  TimerExits exits;
  uint64_t instructions = 0;
  std::vector<proto::Event> events;
  Recorder recorder{[this] { return ExecutionPoint{instructions, 0x1000, 0}; },
                    [this](const proto::Event& e) { events.push_back(e); }};
  std::vector<bool> line;
  GuestClockConfig clock{1000, 10, 10'000'000};  // 10 instructions a tick
  RecordedTime time{exits,    [this] { return instructions; },
                    recorder, std::vector<IrqLine>{[this](bool level) { line.push_back(level); }},
                    clock,    42};
  kvm_run run{};

  bool Exit(VcpuStop::Kind kind, uint64_t function = 0) {
    recorder.BeginStop(false);
    VcpuStop stop;
    stop.kind = kind;
    stop.function = function;
    bool handled = time.HandleExit(stop, run);
    recorder.EndStop();
    return handled;
  }
};

TEST(RecordedTime, CounterReadsComeFromTheClockAndAreRecordedWithoutAValue) {
  TimeRig rig;
  rig.instructions = 12345;
  ASSERT_TRUE(rig.Exit(VcpuStop::Kind::kClockRead, static_cast<uint64_t>(ClockCounter::kTime)));
  EXPECT_EQ(rig.exits.answered_clock, 1000u + 1234u);
  ASSERT_EQ(rig.events.size(), 1u);
  EXPECT_TRUE(rig.events[0].has_clock_read());
  EXPECT_EQ(rig.events[0].at().instructions(), 12345u);
  EXPECT_EQ(rig.time.counts().counter_reads, 1u);
  EXPECT_FALSE(rig.Exit(VcpuStop::Kind::kHypercall));  // not guest time's
}

TEST(RecordedTime, TheTimerFiresOnceItsDeadlinePassedAndFallsWhenMoved) {
  TimeRig rig;
  rig.exits.deadline = 1000 + 500;  // 500 ticks from instruction 0
  ASSERT_TRUE(rig.Exit(VcpuStop::Kind::kTimer));
  ASSERT_EQ(rig.events.size(), 1u);
  EXPECT_TRUE(rig.events[0].has_hypercall());
  rig.instructions = 4000;  // 400 ticks: not yet
  rig.time.BeforeRun();
  EXPECT_TRUE(rig.line.empty());
  rig.instructions = 5000 + 10 * 1000;  // past the deadline and any jitter (< 500 ticks)
  rig.time.BeforeRun();
  EXPECT_EQ(rig.line, (std::vector<bool>{true}));
  rig.time.BeforeRun();  // raised once
  EXPECT_EQ(rig.line.size(), 1u);
  EXPECT_EQ(rig.time.counts().timer_interrupts, 1u);
  rig.exits.deadline = std::nullopt;  // stopped: its interrupt falls
  ASSERT_TRUE(rig.Exit(VcpuStop::Kind::kTimer));
  EXPECT_EQ(rig.line, (std::vector<bool>{true, false}));
}

TEST(RecordedTime, IdleJumpsToTheDeadlineAndRecordsTheJump) {
  TimeRig rig;
  rig.exits.deadline = 1000 + 2000;
  ASSERT_TRUE(rig.Exit(VcpuStop::Kind::kTimer));
  rig.instructions = 100;  // 10 ticks
  ASSERT_TRUE(rig.Exit(VcpuStop::Kind::kIdle));
  ASSERT_EQ(rig.events.size(), 2u);
  ASSERT_TRUE(rig.events[1].has_idle());
  uint64_t jumped = rig.events[1].idle().ticks();
  // To the deadline plus this run's jitter (at most 50 us: 500 ticks).
  EXPECT_GE(jumped, 1990u);
  EXPECT_LE(jumped, 1990u + 500u);
  EXPECT_EQ(rig.time.clock().idle_ticks(), jumped);
  rig.time.BeforeRun();  // now due
  EXPECT_EQ(rig.line, (std::vector<bool>{true}));
}

}  // namespace
}  // namespace vmrr
