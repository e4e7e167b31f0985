#include "vmm/run_loop.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstring>
#include <deque>

#include "base/error.h"

namespace vmrr {
namespace {

// A vCPU that plays a script of exits: each KVM_RUN returns the next one
// (nullopt: interrupted by a signal).
class FakeVcpu : public RunnableVcpu {
 public:
  std::deque<std::optional<kvm_run>> script;
  int runs = 0;
  bool refuse = false;  // KVM_RUN fails, as for a vCPU KVM cannot run any more
  bool Run() override {
    ++runs;
    if (refuse) throw Error(ErrorKind::kInternal, "KVM_RUN: Operation not supported");
    // Keep what the loop answered in the last exit visible to the test.
    last_ = run_;
    if (script.empty()) {
      run_.exit_reason = KVM_EXIT_SYSTEM_EVENT;
      run_.system_event.type = KVM_SYSTEM_EVENT_SHUTDOWN;
      return true;
    }
    std::optional<kvm_run> next = script.front();
    script.pop_front();
    if (!next) return false;
    run_ = *next;
    return true;
  }
  kvm_run* run() const override { return &run_; }
  const kvm_run& last() const { return last_; }

 private:
  mutable kvm_run run_{};
  kvm_run last_{};
};

class FakeExits : public ArchExits {
 public:
  std::optional<VcpuStop> Decode(const kvm_run& run) const override {
    if (run.exit_reason != KVM_EXIT_HYPERCALL) return std::nullopt;
    VcpuStop stop;
    stop.kind = run.hypercall.nr == 1 ? VcpuStop::Kind::kClockRead : VcpuStop::Kind::kHypercall;
    stop.function = run.hypercall.nr;
    return stop;
  }
  void CompleteHypercall(kvm_run& run, const std::vector<uint64_t>& v) const override {
    run.hypercall.ret = v.empty() ? 0 : v[0];
  }
  void CompleteClockRead(kvm_run& run, uint64_t value) const override { run.hypercall.ret = value; }
  std::vector<uint64_t> AnswerHypercall(kvm_run& run) override {
    run.hypercall.ret = 7;
    return {7};
  }
  TimerAccess AccessTimer(kvm_run&, const std::function<uint64_t()>&) override { return {}; }
  uint32_t timer_count() const override { return 0; }
};

// A device that answers reads with 0x5a and keeps what is written.
class Register : public MmioDevice {
 public:
  uint64_t window_size() const override { return 8; }
  void Read(uint64_t, uint8_t* data, uint32_t len) override { std::memset(data, 0x5a, len); }
  void Write(uint64_t offset, const uint8_t* data, uint32_t) override {
    written.push_back({offset, data[0]});
  }
  std::vector<std::pair<uint64_t, uint8_t>> written;
};

kvm_run Mmio(uint64_t gpa, bool write, uint8_t byte = 0) {
  kvm_run run{};
  run.exit_reason = KVM_EXIT_MMIO;
  run.mmio.phys_addr = gpa;
  run.mmio.len = 1;
  run.mmio.is_write = write ? 1 : 0;
  run.mmio.data[0] = byte;
  return run;
}

kvm_run Call(uint64_t nr) {
  kvm_run run{};
  run.exit_reason = KVM_EXIT_HYPERCALL;
  run.hypercall.nr = nr;
  return run;
}

struct LoopRig {
  FakeVcpu vcpu;
  FakeExits exits;
  MmioBus bus;
  Register reg;
  int null_in = open("/dev/null", O_RDONLY);
  int null_out = open("/dev/null", O_WRONLY);
  Console console{null_in, null_out};
  LoopRig() { bus.Register(0x1000, reg); }
  ~LoopRig() {
    close(null_in);
    close(null_out);
  }
};

TEST(RunLoop, MmioGoesToTheBusAndAPowerOffEndsTheRun) {
  LoopRig rig;
  rig.vcpu.script = {Mmio(0x1003, true, 'x'), std::nullopt, Mmio(0x1000, false),
                     Mmio(0x9999, false)};
  RunLoop loop(rig.vcpu, rig.exits, rig.bus, rig.console, {});
  RunOutcome outcome = loop.Run();
  EXPECT_EQ(outcome.exit, GuestExit::kPowerOff);
  ASSERT_EQ(rig.reg.written.size(), 1u);
  EXPECT_EQ(rig.reg.written[0], (std::pair<uint64_t, uint8_t>{3, 'x'}));
  EXPECT_EQ(rig.vcpu.last().mmio.data[0], 0);  // unmapped: reads as zero
  EXPECT_EQ(loop.exits(), 4u);                 // the signal stop is no exit
}

TEST(RunLoop, StepsOneRunAtATime) {
  LoopRig rig;
  rig.vcpu.script = {Mmio(0x1000, true, 1), Mmio(0x1000, true, 2)};
  RunLoop loop(rig.vcpu, rig.exits, rig.bus, rig.console, {});
  EXPECT_FALSE(loop.Step().has_value());
  EXPECT_EQ(rig.reg.written.size(), 1u);
  EXPECT_FALSE(loop.Step().has_value());
  EXPECT_EQ(rig.reg.written.size(), 2u);
  std::optional<RunOutcome> end = loop.Step();
  ASSERT_TRUE(end.has_value());
  EXPECT_EQ(end->exit, GuestExit::kPowerOff);
}

TEST(RunLoop, ArchExitsGoToTheCallerAndUnhandledOnesCrash) {
  LoopRig rig;
  std::vector<VcpuStop::Kind> seen;
  RunLoopConfig config;
  config.arch_exit = [&](const VcpuStop& stop, kvm_run& run) {
    seen.push_back(stop.kind);
    if (stop.kind != VcpuStop::Kind::kClockRead) return false;
    rig.exits.CompleteClockRead(run, 1234);
    return true;
  };
  rig.vcpu.script = {Call(1), Call(2)};
  RunLoop loop(rig.vcpu, rig.exits, rig.bus, rig.console, config);
  RunOutcome outcome = loop.Run();
  EXPECT_EQ(seen,
            (std::vector<VcpuStop::Kind>{VcpuStop::Kind::kClockRead, VcpuStop::Kind::kHypercall}));
  EXPECT_EQ(rig.vcpu.last().hypercall.ret, 1234u);
  EXPECT_EQ(outcome.exit, GuestExit::kCrash);
  EXPECT_NE(outcome.detail.find("unexpected KVM exit"), std::string::npos) << outcome.detail;
}

TEST(RunLoop, AVcpuKvmWillNotRunCrashesTheGuestWithWhatTheCallerAdds) {
  LoopRig rig;
  rig.vcpu.refuse = true;
  RunLoop bare(rig.vcpu, rig.exits, rig.bus, rig.console, {});
  RunOutcome outcome = bare.Run();
  EXPECT_EQ(outcome.exit, GuestExit::kCrash);
  EXPECT_EQ(outcome.detail, "KVM_RUN: Operation not supported");
  RunLoopConfig config;
  config.explain_crash = [] { return "the vCPU's PC is 0x4"; };
  RunLoop explained(rig.vcpu, rig.exits, rig.bus, rig.console, config);
  EXPECT_EQ(explained.Run().detail, "KVM_RUN: Operation not supported (the vCPU's PC is 0x4)");
}

TEST(RunLoop, AnObserverSeesEveryStopAndCanEndTheRun) {
  struct Counting : RunObserver {
    int interrupted = 0, exits = 0, reads = 0, before_run = 0;
    void OnStop(bool i) override { (i ? interrupted : exits)++; }
    std::optional<RunOutcome> CheckLimits() override {
      if (interrupted < 2) return std::nullopt;
      return RunOutcome{GuestExit::kTimeout, "limit"};
    }
    void OnMmioRead(uint64_t, uint32_t, const uint8_t* data) override {
      EXPECT_EQ(data[0], 0x5a);
      ++reads;
    }
    void BeforeRun() override { ++before_run; }
  } observer;
  LoopRig rig;
  RunLoopConfig config;
  config.observer = &observer;
  rig.vcpu.script = {Mmio(0x1000, false), std::nullopt, Mmio(0x1000, false)};
  RunLoop loop(rig.vcpu, rig.exits, rig.bus, rig.console, config);
  RunOutcome outcome = loop.Run();
  EXPECT_EQ(outcome.exit, GuestExit::kTimeout);
  EXPECT_EQ(observer.interrupted, 2);  // the first stop, then the signal
  EXPECT_EQ(observer.exits, 1);
  EXPECT_EQ(observer.reads, 1);
  EXPECT_EQ(observer.before_run, 2);
}

TEST(RunLoop, ATimeoutEndsTheRunAtTheNextInterruptedStop) {
  LoopRig rig;
  RunLoopConfig config;
  config.timeout = std::chrono::seconds(0);
  rig.vcpu.script = {Mmio(0x1000, true, 1)};
  RunLoop loop(rig.vcpu, rig.exits, rig.bus, rig.console, config);
  RunOutcome outcome = loop.Run();
  EXPECT_EQ(outcome.exit, GuestExit::kTimeout);
  EXPECT_EQ(rig.vcpu.runs, 0);
}

// The outcomes' exit codes and messages that `vmrr run` prints.
TEST(RunOutcome, ExitCodesAreDistinctAndOnlyPowerOffIsZero) {
  EXPECT_EQ(ExitCodeFor(GuestExit::kPowerOff), 0);
  EXPECT_EQ(ExitCodeFor(GuestExit::kReset), 3);
  EXPECT_EQ(ExitCodeFor(GuestExit::kCrash), 4);
  EXPECT_EQ(ExitCodeFor(GuestExit::kTimeout), 5);
  EXPECT_EQ(ExitCodeFor(GuestExit::kInterrupted), 130);
}

TEST(RunOutcome, Describe) {
  EXPECT_EQ(Describe({GuestExit::kPowerOff, ""}), "the guest powered off");
  EXPECT_EQ(Describe({GuestExit::kTimeout, "after 5 s"}), "timed out: after 5 s");
  EXPECT_NE(Describe({GuestExit::kReset, ""}).find("panic"), std::string::npos);
}

TEST(NextKick, EarlierOfTheDeviceDeadlineAndThePeriod) {
  using namespace std::chrono_literals;
  auto now = std::chrono::steady_clock::time_point() + 100s;
  EXPECT_EQ(NextKick(now, std::nullopt, 50ms), now + 50ms);
  EXPECT_EQ(NextKick(now, now + 2ms, 50ms), now + 2ms);
  EXPECT_EQ(NextKick(now, now + 1s, 50ms), now + 50ms);
  // A deadline already past: kick at once (the timer fires immediately).
  EXPECT_EQ(NextKick(now, now - 1ms, 50ms), now - 1ms);
}

}  // namespace
}  // namespace vmrr
