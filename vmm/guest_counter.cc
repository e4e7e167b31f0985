#include "vmm/guest_counter.h"

#include <fcntl.h>
#include <linux/perf_event.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstring>

#include "base/error.h"

namespace vmrr {

namespace {

// Far beyond any run: the counter samples, but never overflows unless armed.
constexpr uint64_t kIdlePeriod = uint64_t{1} << 62;

void Ioctl(int fd, unsigned long request, unsigned long arg, const char* what) {
  if (ioctl(fd, request, arg) < 0) ThrowErrno(what);
}

void NoteSignal(int) {}

}  // namespace

std::string CounterEventName(CounterEvent event) {
  switch (event) {
    case CounterEvent::kInstructions:
      return "instructions";
    case CounterEvent::kCpuCycles:
      return "cpu-cycles";
  }
  return "unknown";
}

GuestCounter GuestCounter::Open(CounterEvent event) {
  perf_event_attr attr{};
  attr.size = sizeof(attr);
  attr.type = PERF_TYPE_HARDWARE;
  attr.config =
      event == CounterEvent::kInstructions ? PERF_COUNT_HW_INSTRUCTIONS : PERF_COUNT_HW_CPU_CYCLES;
  attr.sample_period = kIdlePeriod;
  attr.wakeup_events = 1;
  attr.disabled = 1;
  attr.exclude_host = 1;
  long fd = syscall(SYS_perf_event_open, &attr, 0 /* this thread */, -1, -1, PERF_FLAG_FD_CLOEXEC);
  if (fd < 0) {
    int err = errno;
    std::string what = "perf event " + CounterEventName(event) + " (guest only): ";
    if (err == ENOENT || err == EOPNOTSUPP || err == EINVAL) {
      throw Error(ErrorKind::kUnsupported, what + std::strerror(err));
    }
    ThrowErrno(what + "perf_event_open", err);
  }
  GuestCounter counter;
  counter.fd_ = UniqueFd(static_cast<int>(fd));
  counter.event_ = event;
  return counter;
}

void GuestCounter::Reset() { Ioctl(fd_.get(), PERF_EVENT_IOC_RESET, 0, "PERF_EVENT_IOC_RESET"); }

void GuestCounter::Enable() { Ioctl(fd_.get(), PERF_EVENT_IOC_ENABLE, 0, "PERF_EVENT_IOC_ENABLE"); }

void GuestCounter::Disable() {
  Ioctl(fd_.get(), PERF_EVENT_IOC_DISABLE, 0, "PERF_EVENT_IOC_DISABLE");
}

uint64_t GuestCounter::Read() const {
  uint64_t value = 0;
  if (read(fd_.get(), &value, sizeof(value)) != sizeof(value)) ThrowErrno("read perf counter");
  return value;
}

void GuestCounter::RouteOverflowToThisThread(int signo) {
  f_owner_ex owner{F_OWNER_TID, static_cast<pid_t>(syscall(SYS_gettid))};
  if (fcntl(fd_.get(), F_SETOWN_EX, &owner) < 0) ThrowErrno("F_SETOWN_EX");
  if (fcntl(fd_.get(), F_SETSIG, signo) < 0) ThrowErrno("F_SETSIG");
  int flags = fcntl(fd_.get(), F_GETFL);
  if (flags < 0 || fcntl(fd_.get(), F_SETFL, flags | O_ASYNC) < 0) ThrowErrno("O_ASYNC");
}

void GuestCounter::ArmOverflow(uint64_t period) {
  uint64_t p = period;
  if (ioctl(fd_.get(), PERF_EVENT_IOC_PERIOD, &p) < 0) ThrowErrno("PERF_EVENT_IOC_PERIOD");
  // REFRESH enables the event for exactly one overflow.
  Ioctl(fd_.get(), PERF_EVENT_IOC_REFRESH, 1, "PERF_EVENT_IOC_REFRESH");
}

void InstallInterruptingSignalHandler(int signo) {
  struct sigaction action{};
  action.sa_handler = NoteSignal;
  sigemptyset(&action.sa_mask);
  action.sa_flags = 0;  // no SA_RESTART: KVM_RUN must come back with EINTR
  if (sigaction(signo, &action, nullptr) < 0) ThrowErrno("sigaction");
}

}  // namespace vmrr
