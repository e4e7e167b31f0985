#include "vmm/riscv64/sv_walk.h"

namespace vmrr::riscv64 {

namespace {

constexpr uint64_t kValid = 1, kRead = 2, kWrite = 4, kExecute = 8;

int Levels(uint64_t satp) {
  switch (satp >> 60) {
    case 8:
      return 3;  // Sv39
    case 9:
      return 4;  // Sv48
    case 10:
      return 5;  // Sv57
    default:
      return 0;
  }
}

uint64_t RootTable(uint64_t satp) { return (satp & ((uint64_t{1} << 44) - 1)) << 12; }

uint64_t PteAddress(uint64_t pte) { return ((pte >> 10) & ((uint64_t{1} << 44) - 1)) << 12; }

// Sign-extends a `bits`-wide virtual address.
uint64_t Canonical(uint64_t va, unsigned bits) {
  uint64_t sign = uint64_t{1} << (bits - 1);
  uint64_t low = va & ((uint64_t{1} << bits) - 1);
  return (low ^ sign) - sign;
}

void Walk(uint64_t table, int level, uint64_t va_base, unsigned va_bits, uint64_t begin,
          uint64_t end, const ReadPhysical64& read,
          const std::function<bool(uint64_t, uint64_t, uint64_t)>& callback, bool* go_on) {
  unsigned shift = 12 + 9 * static_cast<unsigned>(level);
  uint64_t size = uint64_t{1} << shift;
  for (uint64_t i = 0; i < 512 && *go_on; ++i) {
    uint64_t va = Canonical(va_base + i * size, va_bits);
    if (va + size - 1 < begin || va >= end) continue;
    std::optional<uint64_t> pte = read(table + i * 8);
    if (!pte || (*pte & kValid) == 0) continue;
    if ((*pte & (kRead | kWrite | kExecute)) != 0) {
      *go_on = callback(va, PteAddress(*pte), size);
    } else if (level > 0) {
      Walk(PteAddress(*pte), level - 1, va_base + i * size, va_bits, begin, end, read, callback,
           go_on);
    }
  }
}

}  // namespace

std::optional<uint64_t> TranslateVirtual(uint64_t va, uint64_t satp, const ReadPhysical64& read) {
  int levels = Levels(satp);
  if (satp >> 60 == 0) return va;  // bare: no translation
  if (levels == 0) return std::nullopt;
  unsigned bits = 12 + 9 * static_cast<unsigned>(levels);
  if (Canonical(va, bits) != va) return std::nullopt;
  uint64_t table = RootTable(satp);
  for (int level = levels - 1; level >= 0; --level) {
    unsigned shift = 12 + 9 * static_cast<unsigned>(level);
    std::optional<uint64_t> pte = read(table + ((va >> shift) & 0x1ff) * 8);
    if (!pte || (*pte & kValid) == 0) return std::nullopt;
    if ((*pte & (kRead | kWrite | kExecute)) != 0) {
      uint64_t offset = va & ((uint64_t{1} << shift) - 1);
      return PteAddress(*pte) + offset;  // a leaf (superpages: PPN's low bits are zero)
    }
    table = PteAddress(*pte);
  }
  return std::nullopt;
}

void ForEachMapping(uint64_t satp, uint64_t va_begin, uint64_t va_end, const ReadPhysical64& read,
                    const std::function<bool(uint64_t, uint64_t, uint64_t)>& callback) {
  int levels = Levels(satp);
  if (levels == 0) return;
  unsigned bits = 12 + 9 * static_cast<unsigned>(levels);
  bool go_on = true;
  Walk(RootTable(satp), levels - 1, 0, bits, va_begin, va_end, read, callback, &go_on);
}

}  // namespace vmrr::riscv64
