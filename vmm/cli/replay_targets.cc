#include "vmm/cli/replay_targets.h"

#include "base/error.h"

namespace vmrr {

ReplayTarget ParseReplayTarget(const std::string& text) {
  ReplayTarget target;
  target.text = text;
  std::string digits = text;
  if (!digits.empty() && digits[0] == '@') {
    target.is_count = true;
    digits = digits.substr(1);
  }
  bool ok = !digits.empty() && digits.size() <= 20 &&
            digits.find_first_not_of("0123456789") == std::string::npos;
  if (ok) {
    try {
      target.value = std::stoull(digits);
    } catch (const std::exception&) {
      ok = false;
    }
  }
  if (!ok) {
    throw Error(ErrorKind::kUsage,
                "--to needs an event index N or an instruction count @COUNT, not '" + text + "'");
  }
  return target;
}

std::vector<uint64_t> SpreadCheckpoints(uint64_t end, uint64_t count) {
  std::vector<uint64_t> at;
  for (uint64_t i = 1; i <= count; ++i) {
    uint64_t index = static_cast<uint64_t>(static_cast<unsigned __int128>(end) * i / (count + 1));
    if (index == 0 || (!at.empty() && index <= at.back())) continue;
    at.push_back(index);
  }
  return at;
}

}  // namespace vmrr
