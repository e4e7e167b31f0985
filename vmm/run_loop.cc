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

// A one-shot POSIX timer on CLOCK_MONOTONIC (steady_clock's clock) that
// sends kKickSignal to this thread at an absolute time.
class Kick {
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

// Publishes the vCPU's kvm_run to the signal handlers for the loop's lifetime.
class RunningVcpu {
 public:
  explicit RunningVcpu(kvm_run* run) { g_running = run; }
  ~RunningVcpu() { g_running = nullptr; }
  RunningVcpu(const RunningVcpu&) = delete;
  RunningVcpu& operator=(const RunningVcpu&) = delete;
};

}  // namespace

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

RunLoop::RunLoop(KvmVcpu& vcpu, MmioBus& bus, Console& console, RunLoopConfig config)
    : vcpu_(vcpu), bus_(bus), console_(console), config_(std::move(config)) {}

bool RunLoop::HandleMmio(kvm_run& run) {
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
  return true;
}

std::optional<std::chrono::steady_clock::time_point> RunLoop::DeviceDeadline() const {
  return config_.next_deadline ? config_.next_deadline() : std::nullopt;
}

RunOutcome RunLoop::Run() {
  g_stop_signal = 0;
  Install(kKickSignal, OnKick);
  Install(SIGINT, OnStop);
  Install(SIGTERM, OnStop);
  Kick kick;
  RunningVcpu running(vcpu_.run());
  auto deadline = config_.timeout
                      ? std::optional(std::chrono::steady_clock::now() + *config_.timeout)
                      : std::nullopt;
  // Signals, the deadline, console input and devices' host timers are looked
  // at when KVM_RUN was interrupted (the kick, Ctrl-C), not at every exit:
  // the exit path stays free of system calls the guest did not cause.
  bool interrupted = true;
  for (;;) {
    if (interrupted) {
      vcpu_.run()->immediate_exit = 0;
      if (config_.observer) config_.observer->OnStop(true);
      if (int sig = g_stop_signal.load()) {
        return {GuestExit::kInterrupted,
                sig == SIGINT ? "interrupted (SIGINT)" : "terminated (SIGTERM)"};
      }
      auto now = std::chrono::steady_clock::now();
      if (deadline && now >= *deadline) {
        return {GuestExit::kTimeout, "after " + std::to_string(config_.timeout->count()) + " s"};
      }
      if (config_.observer) {
        if (std::optional<RunOutcome> limit = config_.observer->CheckLimits()) return *limit;
      }
      if (!console_.PollInput(config_.console_input)) {
        return {GuestExit::kInterrupted, "Ctrl-A x on the console"};
      }
      if (config_.poll_devices) config_.poll_devices();
      kick.ArmAt(NextKick(now, DeviceDeadline(), kKickPeriod));
    }
    if (config_.observer) config_.observer->BeforeRun();
    try {
      interrupted = !vcpu_.Run();
    } catch (const Error& e) {
      // KVM refused to run the guest any further (seen on riscv64 when the
      // guest executes an illegal instruction): the guest crashed.
      return {GuestExit::kCrash, e.what()};
    }
    if (interrupted) continue;
    ++exits_;
    if (config_.observer) config_.observer->OnStop(false);
    kvm_run& run = *vcpu_.run();
    switch (run.exit_reason) {
      case KVM_EXIT_MMIO:
        HandleMmio(run);
        // The guest may have armed a device timer due before the kick.
        if (auto due = DeviceDeadline(); due && *due < kick.armed_for()) kick.ArmAt(*due);
        break;
      case KVM_EXIT_SYSTEM_EVENT:
        switch (run.system_event.type) {
          case KVM_SYSTEM_EVENT_SHUTDOWN:
            return {GuestExit::kPowerOff, ""};
          case KVM_SYSTEM_EVENT_RESET:
            return {GuestExit::kReset, ""};
          case KVM_SYSTEM_EVENT_CRASH:
            return {GuestExit::kCrash, "the guest reported a crash"};
          default:
            return {GuestExit::kCrash,
                    "unhandled system event " + std::to_string(run.system_event.type)};
        }
      case KVM_EXIT_INTR:
        break;
      case KVM_EXIT_FAIL_ENTRY:
        return {GuestExit::kCrash,
                "KVM could not enter the guest (hardware reason " +
                    std::to_string(run.fail_entry.hardware_entry_failure_reason) + ")"};
      case KVM_EXIT_INTERNAL_ERROR:
        return {GuestExit::kCrash,
                "KVM internal error, suberror " + std::to_string(run.internal.suberror)};
      default:
        if (config_.arch_exit && config_.arch_exit(run)) break;
        return {GuestExit::kCrash, "unexpected KVM exit " + ExitReasonName(run.exit_reason)};
    }
  }
}

}  // namespace vmrr
