#include "vmm/run_loop.h"

#include <signal.h>
#include <spdlog/spdlog.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include <atomic>
#include <cstring>

#include "base/error.h"

namespace vmrr {

namespace {

constexpr int kKickSignal = SIGUSR1;
constexpr std::chrono::milliseconds kKickPeriod{50};

std::atomic<int> g_stop_signal{0};
// The kvm_run of the vCPU in the loop.  A kick or stop signal that arrives
// outside KVM_RUN (while an exit is handled) sets its immediate_exit, so the
// next KVM_RUN returns EINTR at once: a one-shot kick is never lost.
std::atomic<kvm_run*> g_running{nullptr};
static_assert(std::atomic<kvm_run*>::is_always_lock_free);

void RequestStop() {
  if (kvm_run* run = g_running.load()) run->immediate_exit = 1;
}
void OnKick(int) { RequestStop(); }
void OnStop(int signo) {
  g_stop_signal = signo;
  RequestStop();
}

void Install(int signo, void (*handler)(int)) {
  struct sigaction action{};
  action.sa_handler = handler;
  sigemptyset(&action.sa_mask);
  action.sa_flags = 0;  // no SA_RESTART: KVM_RUN returns EINTR
  if (sigaction(signo, &action, nullptr) < 0) ThrowErrno("sigaction");
}

}  // namespace

// A one-shot POSIX timer on CLOCK_MONOTONIC (steady_clock's clock) that
// sends kKickSignal to this thread at an absolute time.
class RunLoop::Kick {
 public:
  Kick() {
    sigevent ev{};
    ev.sigev_notify = SIGEV_THREAD_ID;
    ev.sigev_signo = kKickSignal;
    ev._sigev_un._tid = static_cast<pid_t>(syscall(SYS_gettid));
    if (timer_create(CLOCK_MONOTONIC, &ev, &timer_) < 0) ThrowErrno("timer_create");
  }
  ~Kick() { timer_delete(timer_); }
  Kick(const Kick&) = delete;
  Kick& operator=(const Kick&) = delete;

  // A time already past fires at once.
  void ArmAt(std::chrono::steady_clock::time_point when) {
    auto ns = std::chrono::duration_cast<std::chrono::nanoseconds>(when.time_since_epoch()).count();
    if (ns <= 0) ns = 1;  // 0 would disarm
    itimerspec spec{};
    spec.it_value.tv_sec = ns / 1000000000;
    spec.it_value.tv_nsec = ns % 1000000000;
    if (timer_settime(timer_, TIMER_ABSTIME, &spec, nullptr) < 0) ThrowErrno("timer_settime");
    armed_for_ = when;
  }
  std::chrono::steady_clock::time_point armed_for() const { return armed_for_; }

 private:
  timer_t timer_{};
  std::chrono::steady_clock::time_point armed_for_{};
};

std::chrono::steady_clock::time_point NextKick(
    std::chrono::steady_clock::time_point now,
    std::optional<std::chrono::steady_clock::time_point> device_deadline,
    std::chrono::steady_clock::duration period) {
  auto periodic = now + period;
  return device_deadline && *device_deadline < periodic ? *device_deadline : periodic;
}

int ExitCodeFor(GuestExit exit) {
  switch (exit) {
    case GuestExit::kPowerOff:
      return 0;
    case GuestExit::kReset:
      return 3;
    case GuestExit::kCrash:
      return 4;
    case GuestExit::kTimeout:
      return 5;
    case GuestExit::kInterrupted:
      return 130;
  }
  return 1;
}

std::string Describe(const RunOutcome& outcome) {
  const char* what = "";
  switch (outcome.exit) {
    case GuestExit::kPowerOff:
      what = "the guest powered off";
      break;
    case GuestExit::kReset:
      what = "the guest reset (reboot or kernel panic)";
      break;
    case GuestExit::kCrash:
      what = "the guest crashed";
      break;
    case GuestExit::kTimeout:
      what = "timed out";
      break;
    case GuestExit::kInterrupted:
      what = "stopped";
      break;
  }
  return outcome.detail.empty() ? what : std::string(what) + ": " + outcome.detail;
}

RunLoop::RunLoop(RunnableVcpu& vcpu, const ArchExits& exits, MmioBus& bus, Console& console,
                 RunLoopConfig config)
    : vcpu_(vcpu), arch_exits_(exits), bus_(bus), console_(console), config_(std::move(config)) {
  g_stop_signal = 0;
  Install(kKickSignal, OnKick);
  Install(SIGINT, OnStop);
  Install(SIGTERM, OnStop);
  kick_ = std::make_unique<Kick>();
  // The signal handlers reach the vCPU's kvm_run while the loop exists.
  g_running = vcpu_.run();
  if (config_.timeout) deadline_ = std::chrono::steady_clock::now() + *config_.timeout;
}

RunLoop::~RunLoop() { g_running = nullptr; }

void RunLoop::HandleMmio(kvm_run& run) {
  uint64_t gpa = run.mmio.phys_addr;
  uint32_t len = run.mmio.len;
  bool handled =
      run.mmio.is_write ? bus_.Write(gpa, run.mmio.data, len) : bus_.Read(gpa, run.mmio.data, len);
  if (!handled && !run.mmio.is_write) std::memset(run.mmio.data, 0, sizeof(run.mmio.data));
  if (!run.mmio.is_write && config_.observer) config_.observer->OnMmioRead(gpa, len, run.mmio.data);
  if (!handled) {
    // Nothing there: reads as zero, writes vanish (as on a bus with no device).
    if (unmapped_accesses_++ < 10) {
      spdlog::warn("guest {} {} bytes at unmapped address {:#x}",
                   run.mmio.is_write ? "wrote" : "read", len, gpa);
    }
  }
}

std::optional<std::chrono::steady_clock::time_point> RunLoop::DeviceDeadline() const {
  return config_.next_deadline ? config_.next_deadline() : std::nullopt;
}

std::optional<RunOutcome> RunLoop::OnInterruptedStop() {
  vcpu_.run()->immediate_exit = 0;
  if (config_.observer) config_.observer->OnStop(true);
  if (int sig = g_stop_signal.load()) {
    return RunOutcome{GuestExit::kInterrupted,
                      sig == SIGINT ? "interrupted (SIGINT)" : "terminated (SIGTERM)"};
  }
  auto now = std::chrono::steady_clock::now();
  if (deadline_ && now >= *deadline_) {
    return RunOutcome{GuestExit::kTimeout,
                      "after " + std::to_string(config_.timeout->count()) + " s"};
  }
  if (config_.observer) {
    if (std::optional<RunOutcome> limit = config_.observer->CheckLimits()) return limit;
  }
  if (!console_.PollInput(config_.console_input)) {
    return RunOutcome{GuestExit::kInterrupted, "Ctrl-A x on the console"};
  }
  if (config_.poll_devices) config_.poll_devices();
  kick_->ArmAt(NextKick(now, DeviceDeadline(), kKickPeriod));
  return std::nullopt;
}

// Signals, the deadline, console input and devices' host timers are looked
// at when KVM_RUN was interrupted (the kick, Ctrl-C), not at every exit: the
// exit path stays free of system calls the guest did not cause.
std::optional<RunOutcome> RunLoop::Step() {
  if (interrupted_) {
    if (std::optional<RunOutcome> outcome = OnInterruptedStop()) return outcome;
  }
  if (config_.observer) config_.observer->BeforeRun();
  try {
    interrupted_ = !vcpu_.Run();
  } catch (const Error& e) {
    // KVM refused to run the guest any further (seen on riscv64 when the
    // guest executes an illegal instruction): the guest crashed.
    std::string detail = e.what();
    if (config_.explain_crash) {
      if (std::string more = config_.explain_crash(); !more.empty()) detail += " (" + more + ")";
    }
    return RunOutcome{GuestExit::kCrash, detail};
  }
  if (interrupted_) return std::nullopt;
  ++exits_;
  if (config_.observer) config_.observer->OnStop(false);
  kvm_run& run = *vcpu_.run();
  VcpuStop stop = DecodeExit(arch_exits_, run);
  switch (stop.kind) {
    case VcpuStop::Kind::kMmio:
      HandleMmio(run);
      // The guest may have armed a device timer due before the kick.
      if (auto due = DeviceDeadline(); due && *due < kick_->armed_for()) kick_->ArmAt(*due);
      return std::nullopt;
    case VcpuStop::Kind::kPowerOff:
      return RunOutcome{GuestExit::kPowerOff, ""};
    case VcpuStop::Kind::kReset:
      return RunOutcome{GuestExit::kReset, ""};
    case VcpuStop::Kind::kCrash:
      return RunOutcome{GuestExit::kCrash, stop.detail};
    case VcpuStop::Kind::kInterrupted:
    case VcpuStop::Kind::kDebug:
      return std::nullopt;
    case VcpuStop::Kind::kHypercall:
    case VcpuStop::Kind::kTimer:
    case VcpuStop::Kind::kClockRead:
    case VcpuStop::Kind::kIdle:
      break;
  }
  if (config_.arch_exit && config_.arch_exit(stop, run)) return std::nullopt;
  return RunOutcome{GuestExit::kCrash, "unexpected KVM exit " + ExitReasonName(run.exit_reason)};
}

RunOutcome RunLoop::Run() {
  for (;;) {
    if (std::optional<RunOutcome> outcome = Step()) return *outcome;
  }
}

}  // namespace vmrr
