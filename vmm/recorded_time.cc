#include "vmm/recorded_time.h"

#include <algorithm>
#include <thread>

namespace vmrr {

namespace {

// 10 instructions a tick: a 100 MIPS guest on QEMU virt's 10 MHz timebase.
// Busy waits cost one exit per counter read, so fewer instructions per tick
// mean fewer exits per waited microsecond.
constexpr uint64_t kInstructionsPerTick = 10;
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
  config.instructions_per_tick = kInstructionsPerTick;
  config.timebase_hz = timebase_hz;
  return config;
}

RecordedTime::RecordedTime(GuestPlatform& platform, GuestCounter& counter, Recorder& recorder,
                           IrqLine timer, const GuestClockConfig& clock, uint64_t seed)
    : platform_(platform),
      counter_(counter),
      recorder_(recorder),
      timer_(std::move(timer)),
      clock_(clock),
      jitter_(SplitMix64(seed ^ 0x6a6974746572ull)),
      // Up to 50 us late, like a timer interrupt on a busy machine.
      max_jitter_ticks_(clock.timebase_hz / 20000 + 1) {}

bool RecordedTime::HandleExit(kvm_run& run) {
  if (std::optional<ClockCounter> counter = platform_.CounterRead(run)) {
    ++counts_.counter_reads;
    uint64_t now = counter_.Read();
    uint64_t value = *counter == ClockCounter::kTime     ? clock_.Ticks(now)
                     : *counter == ClockCounter::kCycles ? clock_.Cycles(now)
                                                         : now;
    platform_.CompleteCounterRead(run, value);
    // A resync point for replay (proto ClockRead); the value is not stored.
    recorder_.ClockRead(static_cast<uint32_t>(*counter));
    return true;
  }
  if (std::optional<uint64_t> deadline = platform_.TimerDeadline(run)) {
    ++counts_.timer_sets;
    // All ones stops the timer (Linux's shutdown): no deadline, so stops
    // need not read the counter for it.
    uint64_t jitter = jitter_() % max_jitter_ticks_;
    clock_.SetDeadline(*deadline > UINT64_MAX - jitter ? std::nullopt
                                                       : std::optional(*deadline + jitter));
    // Arming the timer clears its pending interrupt (SBI TIME).
    if (timer_high_) {
      timer_(false);
      timer_high_ = false;
    }
    uint64_t function = 0;
    platform_.IsHypercall(run, &function);
    platform_.CompleteHypercall(run, {0, 0});
    recorder_.Hypercall(function, {0, 0});
    return true;
  }
  if (platform_.IsIdle(run)) {
    ++counts_.idles;
    Idle();
    return true;
  }
  return false;
}

void RecordedTime::Idle() {
  uint64_t now = counter_.Read();
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
  if (timer_high_ || !clock_.deadline()) return;
  if (!clock_.Due(counter_.Read())) return;
  ++counts_.timer_interrupts;
  timer_(true);
  timer_high_ = true;
}

}  // namespace vmrr
