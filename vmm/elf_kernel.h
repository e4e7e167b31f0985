// Bare-metal programs as --kernel: an ELF64 executable (issue 19 item 10)
// is loaded by its PT_LOAD segments at their physical addresses, and starts
// at its entry point.  vmrr loads it as one flat piece from its lowest
// segment (gaps and BSS zeroed), so record and replay treat it like an
// Image: one boot region, with the entry inside it.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

namespace vmrr {

inline constexpr uint16_t kElfMachineAarch64 = 183;  // EM_AARCH64
inline constexpr uint16_t kElfMachineRiscv = 243;    // EM_RISCV

bool IsElf(std::span<const uint8_t> file);

struct ElfKernel {
  uint64_t load_address = 0;   // the lowest PT_LOAD physical address
  uint64_t entry = 0;          // e_entry, inside `image`
  std::vector<uint8_t> image;  // the segments, flat from load_address
};

// The loadable image of `file`, an ELF64 little-endian executable for
// `machine` whose segments lie in [ram_base, ram_base + ram_limit) (the
// caller keeps room for the device tree above).  Throws Error(kInput)
// "<name> is not a loadable <arch> ELF file: <why>".
ElfKernel FlattenElfKernel(std::span<const uint8_t> file, uint16_t machine, const std::string& arch,
                           uint64_t ram_base, uint64_t ram_limit, const std::string& name);

}  // namespace vmrr
