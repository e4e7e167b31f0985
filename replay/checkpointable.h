// State a replay checkpoint saves and restores: the vCPU (registers, RAM,
// interrupt lines, its instruction count), the console, the guest clock.
// The state is opaque to whoever keeps it (a std::any holding what the
// implementation needs, ideally a shared_ptr so that copies are cheap).
#pragma once

#include <any>

namespace vmrr {

class Checkpointable {
 public:
  virtual ~Checkpointable() = default;
  // The state now, complete enough for Restore() to put it back exactly.
  virtual std::any SaveState() = 0;
  virtual void RestoreState(const std::any& state) = 0;
};

}  // namespace vmrr
