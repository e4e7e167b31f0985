#include "vmm/arm64/stage1_walk.h"

namespace vmrr::arm64 {

namespace {

constexpr uint64_t kOutputMask = 0x0000fffffffff000ull;  // descriptor bits [47:12]

}  // namespace

std::optional<uint64_t> TranslateVirtual(uint64_t va, const Stage1Registers& regs,
                                         const ReadPhysical64& read) {
  bool upper = (va >> 63) != 0;
  uint64_t txsz = upper ? (regs.tcr >> 16) & 0x3f : regs.tcr & 0x3f;
  // TG1 4 KB is 0b10; TG0 4 KB is 0b00.
  bool granule_4k = upper ? ((regs.tcr >> 30) & 3) == 2 : ((regs.tcr >> 14) & 3) == 0;
  if (!granule_4k || txsz < 16 || txsz > 39) return std::nullopt;
  uint64_t bits = 64 - txsz;
  // The address must be all ones (upper) or all zeros above the input size.
  uint64_t top = va >> bits;
  if (top != (upper ? (~uint64_t{0} >> bits) : 0)) return std::nullopt;
  // 9 bits a level above the 12-bit page offset: 48 bits start at level 0.
  int level = 4 - static_cast<int>((bits - 12 + 8) / 9);
  uint64_t table = (upper ? regs.ttbr1 : regs.ttbr0) & kOutputMask;
  uint64_t input = va & ((uint64_t{1} << bits) - 1);
  for (; level <= 3; ++level) {
    unsigned shift = 12 + 9 * static_cast<unsigned>(3 - level);
    uint64_t index = (input >> shift) & 0x1ff;
    std::optional<uint64_t> desc = read(table + index * 8);
    if (!desc || (*desc & 1) == 0) return std::nullopt;
    bool table_or_page = (*desc & 2) != 0;
    if (level == 3) {
      if (!table_or_page) return std::nullopt;
      return (*desc & kOutputMask) | (va & 0xfff);
    }
    if (!table_or_page) {  // a block: levels 1 and 2
      if (level == 0) return std::nullopt;
      uint64_t block_mask = (uint64_t{1} << shift) - 1;
      return (*desc & kOutputMask & ~block_mask) | (va & block_mask);
    }
    table = *desc & kOutputMask;
  }
  return std::nullopt;
}

namespace {

void WalkUpper(uint64_t table, int level, uint64_t va_base, uint64_t begin, uint64_t end,
               const ReadPhysical64& read,
               const std::function<bool(uint64_t, uint64_t, uint64_t)>& callback, bool* go_on) {
  unsigned shift = 12 + 9 * static_cast<unsigned>(3 - level);
  uint64_t size = uint64_t{1} << shift;
  for (uint64_t i = 0; i < 512 && *go_on; ++i) {
    uint64_t va = va_base + i * size;
    if (va + (size - 1) < begin || va >= end) continue;
    std::optional<uint64_t> desc = read(table + i * 8);
    if (!desc || (*desc & 1) == 0) continue;
    bool table_or_page = (*desc & 2) != 0;
    if (level == 3 || !table_or_page) {
      if (level == 0 || (level == 3 && !table_or_page)) continue;
      *go_on = callback(va, *desc & kOutputMask & ~(size - 1), size);
    } else {
      WalkUpper(*desc & kOutputMask, level + 1, va, begin, end, read, callback, go_on);
    }
  }
}

}  // namespace

void ForEachUpperMapping(const Stage1Registers& regs, uint64_t va_begin, uint64_t va_end,
                         const ReadPhysical64& read,
                         const std::function<bool(uint64_t, uint64_t, uint64_t)>& callback) {
  uint64_t txsz = (regs.tcr >> 16) & 0x3f;
  if (((regs.tcr >> 30) & 3) != 2 || txsz < 16 || txsz > 39) return;  // 4 KB granule only
  uint64_t bits = 64 - txsz;
  int level = 4 - static_cast<int>((bits - 12 + 8) / 9);
  // The table at `level` covers 2^bits: the upper range starts at -2^bits.
  uint64_t base = ~uint64_t{0} << bits;
  bool go_on = true;
  WalkUpper(regs.ttbr1 & kOutputMask, level, base, va_begin, va_end, read, callback, &go_on);
}

}  // namespace vmrr::arm64
