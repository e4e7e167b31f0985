// Whether the code around a PC is a load-exclusive/store-exclusive
// sequence (LDXR ... STXR): a store-exclusive can fail in one run and not in
// another (the host interrupted the guest between the two), and the retry
// changes the instruction count, so a divergence there is named as such.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>

namespace vmrr::arm64 {

bool IsLoadExclusive(uint32_t insn);   // LDXR, LDAXR, LDXP, LDAXP (all sizes)
bool IsStoreExclusive(uint32_t insn);  // STXR, STLXR, STXP, STLXP

// Reads the instruction at a guest virtual address (nullopt: unmapped).
using ReadInstruction = std::function<std::optional<uint32_t>(uint64_t va)>;

// One line naming the exclusive pair within 16 instructions of `pc`, or "".
std::string ExclusiveSequenceNote(uint64_t pc, const ReadInstruction& read);

}  // namespace vmrr::arm64
