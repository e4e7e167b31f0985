// `vmrr replay`: rebuilds the VM from a trace alone (its header and boot
// regions), then drives it with replay/'s Replayer over the real vCPU,
// printing the guest's console output from its UART writes.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "replay/replayer.h"

namespace vmrr {

struct ReplayOptions {
  std::string trace;
  std::optional<uint64_t> skid_margin;  // default: the platform's
  bool status_line = false;
};

ReplayResult ReplayTrace(const ReplayOptions& options);

}  // namespace vmrr
