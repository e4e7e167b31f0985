#include "vmm/arm64/exclusive_sequence.h"

#include <cstdio>

namespace vmrr::arm64 {

namespace {

constexpr int kWindow = 16;  // instructions either side of the PC

std::string Hex(uint64_t value) {
  char text[24];
  std::snprintf(text, sizeof(text), "%#llx", static_cast<unsigned long long>(value));
  return text;
}

}  // namespace

// Load/store exclusive: bits 29:24 = 0b001000 and o2 (bit 23) = 0; L (bit
// 22) tells loads from stores.  CAS and the LSE atomics have other encodings.
bool IsLoadExclusive(uint32_t insn) { return (insn & 0x3fc00000u) == 0x08400000u; }
bool IsStoreExclusive(uint32_t insn) { return (insn & 0x3fc00000u) == 0x08000000u; }

std::string ExclusiveSequenceNote(uint64_t pc, const ReadInstruction& read) {
  std::optional<uint64_t> load, store;
  for (int i = -kWindow; i <= kWindow; ++i) {
    uint64_t va = pc + static_cast<uint64_t>(static_cast<int64_t>(i) * 4);
    std::optional<uint32_t> insn = read(va);
    if (!insn) continue;
    if (IsLoadExclusive(*insn) && (!load || i <= 0)) load = va;
    if (IsStoreExclusive(*insn) && !(store && *store > pc)) store = va;
  }
  if (!load || !store) return "";
  return "the PC " + Hex(pc) + " is in a load/store-exclusive sequence (load-exclusive at " +
         Hex(*load) + ", store-exclusive at " + Hex(*store) +
         "): a store-exclusive that failed in one run only (the host interrupted the guest "
         "between the two) retried the loop and changed the instruction count";
}

}  // namespace vmrr::arm64
