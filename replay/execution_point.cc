#include "replay/execution_point.h"

#include <cstdio>

namespace vmrr {

uint64_t RegsDigest(const uint64_t* regs, size_t count) {
  uint64_t hash = 0xcbf29ce484222325ull;
  for (size_t i = 0; i < count; ++i) {
    for (int b = 0; b < 8; ++b) {
      hash ^= (regs[i] >> (8 * b)) & 0xff;
      hash *= 0x100000001b3ull;
    }
  }
  return hash;
}

std::string ToString(const ExecutionPoint& point) {
  char buf[96];
  std::snprintf(buf, sizeof(buf), "#%llu pc=%#llx regs=%016llx",
                static_cast<unsigned long long>(point.instructions),
                static_cast<unsigned long long>(point.pc),
                static_cast<unsigned long long>(point.regs_digest));
  return buf;
}

}  // namespace vmrr
