#include "vmm/scripted_input.h"

#include <sys/stat.h>

#include <fstream>
#include <sstream>

#include "base/error.h"

namespace vmrr {

namespace {

constexpr char kWaitDirective[] = "@wait ";

}  // namespace

ScriptedInput::ScriptedInput(const std::string& text, uint64_t seed, Clock::time_point start)
    : random_(seed ^ 0x696e707574ull) {
  size_t begin = 0;
  while (begin < text.size()) {
    size_t end = text.find('\n', begin);
    // A last line without a newline is still typed as a line.
    std::string line =
        text.substr(begin, end == std::string::npos ? std::string::npos : end - begin);
    begin = end == std::string::npos ? text.size() : end + 1;
    if (line.rfind(kWaitDirective, 0) == 0 && line.size() > sizeof(kWaitDirective) - 1) {
      items_.push_back({true, line.substr(sizeof(kWaitDirective) - 1)});
    } else {
      items_.push_back({false, line + "\n"});
    }
  }
  Schedule(start);
}

ScriptedInput ScriptedInput::FromFile(const std::string& path, uint64_t seed,
                                      Clock::time_point start) {
  // A directory opens, and reads as nothing: it would type nothing.
  struct stat st{};
  if (stat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode)) {
    throw Error(ErrorKind::kInput, "--input " + path + " is a directory; want a file of lines");
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) throw Error(ErrorKind::kInput, "cannot read --input file " + path);
  std::ostringstream text;
  text << in.rdbuf();
  if (in.bad()) throw Error(ErrorKind::kInput, "cannot read --input file " + path);
  return ScriptedInput(text.str(), seed, start);
}

void ScriptedInput::Schedule(Clock::time_point now) {
  seen_.clear();
  due_.reset();
  if (next_ >= items_.size() || items_[next_].wait) return;
  std::uniform_int_distribution<int64_t> delay_ms(kMinDelay.count(), kMaxDelay.count());
  due_ = now + std::chrono::milliseconds(delay_ms(random_));
}

void ScriptedInput::SawOutput(uint8_t byte, Clock::time_point now) {
  if (next_ >= items_.size() || !items_[next_].wait) return;
  const std::string& want = items_[next_].text;
  seen_.push_back(static_cast<char>(byte));
  if (seen_.size() > want.size()) seen_.erase(0, seen_.size() - want.size());
  if (seen_ == want) {
    ++next_;
    Schedule(now);
  }
}

std::string ScriptedInput::TakeDue(Clock::time_point now) {
  std::string out;
  while (due_ && *due_ <= now) {
    out += items_[next_++].text;
    // The next delay counts from when this line was due, not from when
    // the recorder got round to typing it.
    Schedule(*due_);
  }
  return out;
}

size_t ScriptedInput::lines_left() const {
  size_t n = 0;
  for (size_t i = next_; i < items_.size(); ++i) n += items_[i].wait ? 0 : 1;
  return n;
}

const std::string& ScriptedInput::waiting_for() const {
  static const std::string kNone;
  return next_ < items_.size() && items_[next_].wait ? items_[next_].text : kNone;
}

}  // namespace vmrr
