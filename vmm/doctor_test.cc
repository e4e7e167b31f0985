#include "vmm/doctor.h"

#include <gtest/gtest.h>

#include <map>

#include "base/error.h"
#include "vmm/probe_loop.h"

namespace vmrr {
namespace {

// A scripted host: each event is exact or noisy, overflows with a given skid
// (or never), and stepping works or not.
struct FakeEvent {
  bool available = true;
  bool exact = true;
  bool overflows = true;
  int64_t skid = 0;
  bool registers_agree = true;
  bool miss_first_overflow = false;
};

class FakeProbe : public HostProbe {
 public:
  bool kvm = true;
  std::map<CounterEvent, FakeEvent> events = {{CounterEvent::kInstructions, {}},
                                              {CounterEvent::kCpuCycles, {}}};
  StepResult single_step{true, 10, 10, ""};
  StepResult overflow_step{true, 10, 10, ""};
  bool time_control = false;
  int overflow_calls = 0;

  std::string Arch() override { return "arm64"; }
  std::string KernelRelease() override { return "6.12.0-test"; }
  int OpenKvm() override {
    if (!kvm) throw Error(ErrorKind::kUnsupported, "cannot open /dev/kvm");
    return 12;
  }
  std::vector<std::pair<std::string, int>> Capabilities() override {
    return {{"ONE_REG", 1}, {"SET_GUEST_DEBUG", 1}};
  }
  std::vector<uint64_t> CountPasses(CounterEvent event, uint64_t n, int passes) override {
    const FakeEvent& e = events.at(event);
    if (!e.available) throw Error(ErrorKind::kUnsupported, "perf_event_open: ENOENT");
    std::vector<uint64_t> counts;
    for (int i = 0; i < passes; ++i) {
      counts.push_back(RepeatPassLength(n) + (e.exact ? 0 : static_cast<uint64_t>(i * 37 % 5)));
    }
    return counts;
  }
  std::optional<OverflowStop> StopByOverflow(CounterEvent event, uint64_t,
                                             uint64_t period) override {
    const FakeEvent& e = events.at(event);
    if (!e.overflows || (e.miss_first_overflow && overflow_calls++ == 0)) return std::nullopt;
    uint64_t count = period + static_cast<uint64_t>(e.skid);
    return OverflowStop{count, static_cast<int64_t>(count) + (e.registers_agree ? 0 : 3)};
  }
  StepResult SingleStep(CounterEvent, int) override { return single_step; }
  StepResult OverflowStep(CounterEvent, int) override { return overflow_step; }
  bool run_to_point_exact = true;
  proto::RunToPointProbe RunToPoints(CounterEvent, bool single_step, uint64_t margin,
                                     const std::vector<uint64_t>& targets) override {
    proto::RunToPointProbe probe;
    probe.set_margin(margin);
    probe.set_method(single_step ? "single-step" : "period-1 overflow");
    probe.set_stops(targets.size());
    probe.set_exact(run_to_point_exact ? targets.size() : targets.size() - 1);
    for (size_t i = 0; i < targets.size(); ++i) probe.add_steps(static_cast<uint32_t>(margin));
    return probe;
  }
  bool HostTimeControl(std::string* note) override {
    *note = time_control ? "patched" : "stock KVM";
    return time_control;
  }
};

TEST(Doctor, NoKvmIsImpossible) {
  FakeProbe probe;
  probe.kvm = false;
  proto::HostReport r = RunDoctor(probe);
  EXPECT_EQ(r.verdict(), proto::IMPOSSIBLE);
  EXPECT_EQ(r.exit_code(), 2);
  EXPECT_FALSE(r.kvm_present());
  EXPECT_NE(r.reasons(0).find("no KVM"), std::string::npos);
}

TEST(Doctor, ExactCounterOnStockKvmIsBestEffort) {
  FakeProbe probe;
  proto::HostReport r = RunDoctor(probe);
  EXPECT_EQ(r.verdict(), proto::BEST_EFFORT);
  EXPECT_EQ(r.exit_code(), 1);
  EXPECT_EQ(r.chosen_event(), "instructions");  // ties go to instructions
  ASSERT_EQ(r.counters_size(), 2);
  EXPECT_EQ(r.counters(0).counts_size(), 20);
  EXPECT_TRUE(r.counters(0).exact());
}

TEST(Doctor, HostTimeControlMakesItDeterministic) {
  FakeProbe probe;
  probe.time_control = true;
  proto::HostReport r = RunDoctor(probe);
  EXPECT_EQ(r.verdict(), proto::DETERMINISTIC);
  EXPECT_EQ(r.exit_code(), 0);
}

TEST(Doctor, LateOverflowLosesToZeroSkid) {
  // The rig's arm64 host: INST_RETIRED overflows ~3.7M late, cycles exactly.
  FakeProbe probe;
  probe.events[CounterEvent::kInstructions].skid = 3'700'000;
  proto::HostReport r = RunDoctor(probe);
  EXPECT_EQ(r.chosen_event(), "cpu-cycles");
  EXPECT_EQ(r.counters(0).max_skid(), 3'700'000);
  EXPECT_EQ(r.exit_code(), 1);
}

TEST(Doctor, SmallerSkidWins) {
  FakeProbe probe;
  probe.events[CounterEvent::kInstructions].skid = 40;
  probe.events[CounterEvent::kCpuCycles].skid = 3;
  EXPECT_EQ(RunDoctor(probe).chosen_event(), "cpu-cycles");
}

TEST(Doctor, NoExactCounterIsImpossible) {
  FakeProbe probe;
  probe.events[CounterEvent::kInstructions].exact = false;
  probe.events[CounterEvent::kCpuCycles].available = false;
  proto::HostReport r = RunDoctor(probe);
  EXPECT_EQ(r.verdict(), proto::IMPOSSIBLE);
  EXPECT_FALSE(r.counters(0).exact());
  EXPECT_FALSE(r.counters(1).available());
  EXPECT_NE(r.reasons(0).find("no exact"), std::string::npos);
}

TEST(Doctor, ExactButNeverOverflowingIsImpossible) {
  // QEMU 10's riscv64: exact counts, no overflow interrupt.
  FakeProbe probe;
  for (auto& [event, e] : probe.events) e.overflows = false;
  proto::HostReport r = RunDoctor(probe);
  EXPECT_EQ(r.verdict(), proto::IMPOSSIBLE);
  EXPECT_NE(r.reasons(0).find("overflow"), std::string::npos);
}

TEST(Doctor, RegistersDisagreeingWithCountRejectsEvent) {
  FakeProbe probe;
  probe.events[CounterEvent::kInstructions].registers_agree = false;
  proto::HostReport r = RunDoctor(probe);
  EXPECT_FALSE(r.counters(0).counter_matches_registers());
  EXPECT_EQ(r.chosen_event(), "cpu-cycles");
}

TEST(Doctor, MissedWarmupOverflowIsReportedButHarmless) {
  // QEMU 11 riscv64 misses the first overflow after counting mode.
  FakeProbe probe;
  probe.events[CounterEvent::kInstructions].miss_first_overflow = true;
  proto::HostReport r = RunDoctor(probe);
  EXPECT_TRUE(r.counters(0).warmup_overflow_missed());
  EXPECT_TRUE(r.counters(0).overflow_stops());
  EXPECT_EQ(r.chosen_event(), "instructions");
}

TEST(Doctor, RiscvStyleOverflowSteppingSuffices) {
  FakeProbe probe;
  probe.single_step = {false, 1, 0, "flag ignored"};
  EXPECT_EQ(RunDoctor(probe).exit_code(), 1);
}

TEST(Doctor, NoWayToFinishAStopIsImpossible) {
  FakeProbe probe;
  probe.single_step = {false, 1, 0, "flag ignored"};
  probe.overflow_step = {false, 10, 3, "inexact"};
  proto::HostReport r = RunDoctor(probe);
  EXPECT_EQ(r.verdict(), proto::IMPOSSIBLE);
  EXPECT_NE(r.reasons(0).find("finish a stop"), std::string::npos);
}

TEST(Doctor, RunToPointUsesTheStepMethodThatWorks) {
  FakeProbe probe;
  proto::HostReport r = RunDoctor(probe);
  EXPECT_EQ(r.run_to_point().method(), "single-step");
  EXPECT_EQ(r.run_to_point().margin(), 10000u);
  FakeProbe riscv;
  riscv.single_step = {false, 1, 0, "EINVAL"};
  proto::HostReport rr = RunDoctor(riscv);
  EXPECT_EQ(rr.run_to_point().method(), "period-1 overflow");
  EXPECT_EQ(rr.run_to_point().margin(), 100u);
  EXPECT_EQ(rr.exit_code(), 1);
}

TEST(Doctor, MissedRunToPointIsImpossible) {
  FakeProbe probe;
  probe.run_to_point_exact = false;
  proto::HostReport r = RunDoctor(probe);
  EXPECT_EQ(r.verdict(), proto::IMPOSSIBLE);
  EXPECT_NE(r.reasons(0).find("run-to-point"), std::string::npos);
}

TEST(Doctor, HumanAndJsonRendering) {
  FakeProbe probe;
  proto::HostReport r = RunDoctor(probe);
  std::string human = RenderHuman(r);
  EXPECT_NE(human.find("counter instructions: exact (20/20 passes = 2002)"), std::string::npos)
      << human;
  EXPECT_NE(human.find("verdict: best-effort"), std::string::npos) << human;
  EXPECT_NE(human.find("run-to-point        3/3 stops exact with single-step, margin 10000"),
            std::string::npos)
      << human;
  std::string json = RenderJson(r);
  EXPECT_NE(json.find("\"verdict\": \"BEST_EFFORT\""), std::string::npos) << json;
  EXPECT_NE(json.find("\"chosen_event\": \"instructions\""), std::string::npos) << json;
  EXPECT_NE(json.find("\"exit_code\": 1"), std::string::npos) << json;
}

}  // namespace
}  // namespace vmrr
