// An execution point: where a vCPU is in the guest's one deterministic
// instruction stream.  The retired-instruction count alone names the point
// (counts are exact); PC and a digest of the general registers check it.
#pragma once

#include <cstdint>
#include <string>

namespace vmrr {

struct ExecutionPoint {
  uint64_t instructions = 0;  // guest instructions retired since the vCPU started
  uint64_t pc = 0;
  uint64_t regs_digest = 0;  // RegsDigest() of the general registers

  bool operator==(const ExecutionPoint&) const = default;
};

// FNV-1a over the registers' bytes: cheap, stable across hosts.
uint64_t RegsDigest(const uint64_t* regs, size_t count);

std::string ToString(const ExecutionPoint& point);

}  // namespace vmrr
