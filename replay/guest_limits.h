// The guest machines vmrr builds, as numbers record's flags and replay's
// trace validation (replay/trace_validation.h) both hold to.
#pragma once

#include <cstdint>

namespace vmrr {

inline constexpr uint32_t kMaxGuestCpus = 1;  // SMP will raise it
inline constexpr uint64_t kMinGuestMemBytes = 64ull << 20;
inline constexpr uint64_t kMaxGuestMemBytes = 64ull << 30;
inline constexpr uint64_t kGuestMemGranule = 2ull << 20;  // any host page size divides it
inline constexpr uint64_t kGuestPageBytes = 4096;         // memory digests' pages
// Interrupt line numbers at the VM boundary (GuestMachine::Line): below it
// the platform's device lines, from it timer n of each vCPU.
inline constexpr uint32_t kTimerLineBase = 0x10000;

}  // namespace vmrr
