// Guest virtual to guest physical addresses through the guest's own (stage
// 1) page tables, for the VMM's diagnostics: reading the instructions around
// a PC.  4 KB granule only (what arm64 Linux uses); other granules and
// unmapped addresses give nullopt.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>

namespace vmrr::arm64 {

struct Stage1Registers {
  uint64_t ttbr0 = 0;  // TTBR0_EL1
  uint64_t ttbr1 = 0;  // TTBR1_EL1
  uint64_t tcr = 0;    // TCR_EL1
};

// Reads one 64-bit descriptor at a guest physical address (nullopt: not RAM).
using ReadPhysical64 = std::function<std::optional<uint64_t>(uint64_t gpa)>;

std::optional<uint64_t> TranslateVirtual(uint64_t va, const Stage1Registers& regs,
                                         const ReadPhysical64& read);

// Every block or page mapping of the upper (TTBR1) range in [va_begin,
// va_end): callback(va, pa, size); stops early when it returns false.
void ForEachUpperMapping(
    const Stage1Registers& regs, uint64_t va_begin, uint64_t va_end, const ReadPhysical64& read,
    const std::function<bool(uint64_t va, uint64_t pa, uint64_t size)>& callback);

}  // namespace vmrr::arm64
