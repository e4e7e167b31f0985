// `vmrr record --input FILE`: console input typed by a script instead of a
// person.  Each line of FILE (with its newline) reaches the guest's UART
// after a random host delay from the previous one, like a user typing at
// unpredictable moments.  A line `@wait TEXT` types nothing: the lines after
// it wait until the guest's console has printed TEXT (a prompt), since a
// guest still booting would drop what it is sent.  The recording captures
// where each byte landed, so replay needs neither the file nor the timing.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <random>
#include <string>
#include <vector>

namespace vmrr {

class ScriptedInput {
 public:
  using Clock = std::chrono::steady_clock;
  // Host delay before each line, drawn uniformly from [min, max].
  static constexpr std::chrono::milliseconds kMinDelay{20};
  static constexpr std::chrono::milliseconds kMaxDelay{400};

  // The script `text`; the first line is due a random delay after `start`.
  ScriptedInput(const std::string& text, uint64_t seed, Clock::time_point start);
  // Reads FILE (Error kInput when it cannot be read).
  static ScriptedInput FromFile(const std::string& path, uint64_t seed, Clock::time_point start);

  // A byte the guest printed, at host time `now` (ends an @wait).
  void SawOutput(uint8_t byte, Clock::time_point now);
  // The lines due at `now`, concatenated (empty when none), in order.
  std::string TakeDue(Clock::time_point now);
  // When the next line is due; nullopt while waiting for output or done.
  std::optional<Clock::time_point> next_due() const { return due_; }
  // Lines not typed yet, and what the script waits for ("" when not waiting).
  size_t lines_left() const;
  const std::string& waiting_for() const;

 private:
  struct Item {
    bool wait = false;
    std::string text;  // a line with its newline, or the text waited for
  };
  // Moves on from item `next_` reached at `now`: schedules a line, or waits.
  void Schedule(Clock::time_point now);

  std::vector<Item> items_;
  size_t next_ = 0;
  std::optional<Clock::time_point> due_;
  std::string seen_;  // the end of the console output, while waiting
  std::mt19937_64 random_;
};

}  // namespace vmrr
