// `vmrr run`: boots the guest described by RunOptions on this host's KVM and
// runs it to an outcome.  Implemented per architecture (vmm/<arch>/).
#pragma once

#include "vmm/run_loop.h"
#include "vmm/run_options.h"

namespace vmrr {

RunOutcome RunGuest(const RunOptions& options);

}  // namespace vmrr
