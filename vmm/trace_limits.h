// What this host can give a replay, for replay/trace_validation.h: the
// guest RAM it can back.  Read before any KVM call.
#pragma once

#include <string>

#include "replay/trace_validation.h"

namespace vmrr {

// Guest RAM up to this host's physical RAM (and vmrr's own maximum).
HostLimits ThisHostLimits();

// Throws Error(kInput) "<path> was recorded on riscv64; this host is
// arm64" (or names a host vmrr does not run on, from uname) unless this
// host replays `trace_arch`.
void CheckThisHostReplays(const std::string& path, const std::string& trace_arch);

}  // namespace vmrr
