#include "vmm/run_loop.h"

#include <signal.h>
#include <spdlog/spdlog.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include <atomic>
#include <cstring>

#include "vmm/base/error.h"

namespace vmrr {

namespace {

constexpr int kKickSignal = SIGUSR1;
constexpr std::chrono::milliseconds kKickPeriod{50};

std::atomic<int> g_stop_signal{0};

void OnKick(int) {}
void OnStop(int signo) { g_stop_signal = signo; }

void Install(int signo, void (*handler)(int)) {
  struct sigaction action{};
  action.sa_handler = handler;
  sigemptyset(&action.sa_mask);
  action.sa_flags = 0;  // no SA_RESTART: KVM_RUN returns EINTR
  if (sigaction(signo, &action, nullptr) < 0) ThrowErrno("sigaction");
}

// A POSIX timer that interrupts this thread's KVM_RUN every period.
class PeriodicKick {
 public:
  PeriodicKick() {
    sigevent ev{};
    ev.sigev_notify = SIGEV_THREAD_ID;
    ev.sigev_signo = kKickSignal;
    ev._sigev_un._tid = static_cast<pid_t>(syscall(SYS_gettid));
    if (timer_create(CLOCK_MONOTONIC, &ev, &timer_) < 0) ThrowErrno("timer_create");
    itimerspec spec{};
    auto ns = std::chrono::nanoseconds(kKickPeriod).count();
    spec.it_interval.tv_nsec = ns;
    spec.it_value.tv_nsec = ns;
    if (timer_settime(timer_, 0, &spec, nullptr) < 0) ThrowErrno("timer_settime");
  }
  ~PeriodicKick() { timer_delete(timer_); }
  PeriodicKick(const PeriodicKick&) = delete;
  PeriodicKick& operator=(const PeriodicKick&) = delete;

 private:
  timer_t timer_{};
};

}  // namespace

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
  if (!handled) {
    // Nothing there: reads as zero, writes vanish (as on a bus with no device).
    if (!run.mmio.is_write) std::memset(run.mmio.data, 0, sizeof(run.mmio.data));
    if (unmapped_accesses_++ < 10) {
      spdlog::warn("guest {} {} bytes at unmapped address {:#x}",
                   run.mmio.is_write ? "wrote" : "read", len, gpa);
    }
  }
  return true;
}

RunOutcome RunLoop::Run() {
  g_stop_signal = 0;
  Install(kKickSignal, OnKick);
  Install(SIGINT, OnStop);
  Install(SIGTERM, OnStop);
  PeriodicKick kick;
  auto deadline = config_.timeout
                      ? std::optional(std::chrono::steady_clock::now() + *config_.timeout)
                      : std::nullopt;
  // Signals, the deadline and console input are looked at when KVM_RUN was
  // interrupted (the periodic kick, Ctrl-C), not at every exit: the exit
  // path stays free of system calls the guest did not cause.
  bool interrupted = true;
  for (;;) {
    if (interrupted) {
      if (int sig = g_stop_signal.load()) {
        return {GuestExit::kInterrupted,
                sig == SIGINT ? "interrupted (SIGINT)" : "terminated (SIGTERM)"};
      }
      if (deadline && std::chrono::steady_clock::now() >= *deadline) {
        return {GuestExit::kTimeout, "after " + std::to_string(config_.timeout->count()) + " s"};
      }
      if (!console_.PollInput(config_.console_input)) {
        return {GuestExit::kInterrupted, "Ctrl-A x on the console"};
      }
    }
    interrupted = !vcpu_.Run();
    if (interrupted) continue;
    ++exits_;
    kvm_run& run = *vcpu_.run();
    switch (run.exit_reason) {
      case KVM_EXIT_MMIO:
        HandleMmio(run);
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
