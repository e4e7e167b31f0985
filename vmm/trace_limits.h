// What this host can give a replay, for replay/trace_validation.h: the
// guest RAM it can back.  Read before any KVM call.
#pragma once

#include "replay/trace_validation.h"

namespace vmrr {

// Guest RAM up to this host's physical RAM (and vmrr's own maximum).
HostLimits ThisHostLimits();

}  // namespace vmrr
