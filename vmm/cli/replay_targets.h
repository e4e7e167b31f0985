// What `vmrr replay --to` and --verify-checkpoints mean, as data: targets
// parsed from the command line, and where the self-check's checkpoints go.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "replay/replayer.h"

namespace vmrr {

struct ReplayTarget {
  bool is_count = false;  // @COUNT: an instruction count; else an event index
  uint64_t value = 0;
  std::string text;  // as given, for messages
  StepConstraints Constraints() const {
    return is_count ? StepConstraints::ToInstructions(value) : StepConstraints::ToEvent(value);
  }
};

// "N" (an event index) or "@COUNT" (an instruction count).  Throws
// Error(kUsage) naming the flag for anything else.
ReplayTarget ParseReplayTarget(const std::string& text);

// `count` points spread evenly over [0, end) (none at 0, where checkpoint 0
// is, and none twice): where the self-check takes its checkpoints.
std::vector<uint64_t> SpreadCheckpoints(uint64_t end, uint64_t count);

}  // namespace vmrr
