#include "vmm/recorded_time.h"

#include <algorithm>
#include <thread>

namespace vmrr {

namespace {

// The guest CPU runs 100 M instructions per guest second (10 a tick on
// riscv64 QEMU virt's 10 MHz timebase), or one a tick on a faster counter
// (arm64: 62.5 MHz or 1 GHz).  Busy waits cost one exit per counter read,
// so more instructions per tick mean fewer exits per waited microsecond.
constexpr uint64_t kInstructionsPerGuestSecond = 100'000'000;
// Deadlines further than this are not jumped to: the guest waits in host
// time (it is waiting for input, not for its timer).
constexpr std::chrono::seconds kLongestJump{10};
constexpr std::chrono::milliseconds kIdleWait{1};

uint64_t SplitMix64(uint64_t x) {
  x += 0x9e3779b97f4a7c15ull;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
  return x ^ (x >> 31);
}

}  // namespace

GuestClockConfig RecordClockConfig(uint64_t seed, uint64_t timebase_hz) {
  GuestClockConfig config;
  // Up to ~2^40 ticks (a day and more at 10 MHz): the machine was up a while.
  config.base_ticks = SplitMix64(seed ^ 0x74696d65ull) >> 24;
  config.instructions_per_tick =
      timebase_hz == 0 ? 1 : std::max<uint64_t>(1, kInstructionsPerGuestSecond / timebase_hz);
  config.timebase_hz = timebase_hz;
  return config;
}

RecordedTime::RecordedTime(ArchExits& exits, std::function<uint64_t()> instructions,
                           Recorder& recorder, std::vector<IrqLine> timers,
                           const GuestClockConfig& clock, uint64_t seed)
    : exits_(exits),
      instructions_(std::move(instructions)),
      recorder_(recorder),
      clock_(clock),
      jitter_(SplitMix64(seed ^ 0x6a6974746572ull)),
      // Up to 50 us late, like a timer interrupt on a busy machine.
      max_jitter_ticks_(clock.timebase_hz / 20000 + 1) {
  for (IrqLine& line : timers) timers_.push_back(Timer{std::move(line), {}, {}, false});
}

bool RecordedTime::HandleExit(const VcpuStop& stop, kvm_run& run) {
  if (stop.kind == VcpuStop::Kind::kClockRead) {
    ++counts_.counter_reads;
    uint64_t now = Now();
    auto counter = static_cast<ClockCounter>(stop.function);
    uint64_t value = counter == ClockCounter::kTime     ? clock_.Ticks(now)
                     : counter == ClockCounter::kCycles ? clock_.Cycles(now)
                                                        : now;
    exits_.CompleteClockRead(run, value);
    // A resync point for replay (proto ClockRead); the value is not stored.
    recorder_.ClockRead(static_cast<uint32_t>(counter));
    return true;
  }
  if (stop.kind == VcpuStop::Kind::kIdle) {
    ++counts_.idles;
    Idle();
    return true;
  }
  if (stop.kind != VcpuStop::Kind::kTimer) return false;
  // The counter is read only for a timer access, not at every exit.
  std::optional<uint64_t> ticks;
  auto now = [&] {
    if (!ticks) ticks = clock_.Ticks(Now());
    return *ticks;
  };
  std::optional<ArchExits::TimerAccess> access = exits_.AccessTimer(run, now);
  ++counts_.timer_accesses;
  if (access->timer < timers_.size()) {
    Timer& timer = timers_[access->timer];
    if (access->deadline != timer.asked) {
      timer.asked = access->deadline;
      uint64_t jitter = jitter_() % max_jitter_ticks_;
      timer.deadline = access->deadline && *access->deadline <= UINT64_MAX - jitter
                           ? std::optional(*access->deadline + jitter)
                           : std::nullopt;
      UpdateClockDeadline();
    }
    // Moved past now, masked or stopped: its interrupt falls here.
    if (timer.high && !(timer.deadline && now() >= *timer.deadline)) {
      timer.line(false);
      timer.high = false;
    }
  }
  recorder_.Hypercall(access->function, access->values);
  return true;
}

void RecordedTime::UpdateClockDeadline() {
  std::optional<uint64_t> earliest;
  for (const Timer& timer : timers_) {
    if (timer.deadline && (!earliest || *timer.deadline < *earliest)) earliest = timer.deadline;
  }
  clock_.SetDeadline(earliest);
}

void RecordedTime::Idle() {
  uint64_t now = Now();
  std::optional<uint64_t> to_deadline = clock_.TicksToDeadline(now);
  uint64_t longest = clock_.config().timebase_hz * static_cast<uint64_t>(kLongestJump.count());
  uint64_t ticks = 0;
  bool input_coming = input_pending_ && input_pending_();
  if (to_deadline && *to_deadline <= longest && !input_coming) {
    ticks = *to_deadline;  // nothing else can wake it sooner in guest time
  } else {
    // Waiting for input: let host time pass, and count it.
    auto start = std::chrono::steady_clock::now();
    std::this_thread::sleep_for(kIdleWait);
    auto waited = std::chrono::steady_clock::now() - start;
    ticks = clock_.TicksForNanoseconds(static_cast<uint64_t>(
        std::chrono::duration_cast<std::chrono::nanoseconds>(waited).count()));
    // Not past the timer: it wakes the guest no later than it asked.
    if (to_deadline) ticks = std::min(ticks, *to_deadline);
  }
  clock_.Idle(ticks);
  recorder_.Idle(ticks);
}

void RecordedTime::BeforeRun() {
  if (!clock_.deadline()) return;
  uint64_t ticks = clock_.Ticks(Now());
  for (Timer& timer : timers_) {
    if (timer.high || !timer.deadline || ticks < *timer.deadline) continue;
    ++counts_.timer_interrupts;
    timer.line(true);
    timer.high = true;
  }
}

}  // namespace vmrr
