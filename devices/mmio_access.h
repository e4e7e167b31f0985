// Little-endian conversion between an MMIO access's data bytes and a register
// value (guest and host are little-endian, but spelling it out keeps devices
// independent of that).
#pragma once

#include <cstdint>

namespace vmrr {

// The value of data[0..len), len <= 8.
inline uint64_t LoadLe(const uint8_t* data, uint32_t len) {
  uint64_t v = 0;
  for (uint32_t i = 0; i < len && i < 8; ++i) v |= uint64_t{data[i]} << (8 * i);
  return v;
}

// data[0..len) = the low len bytes of v, len <= 8.
inline void StoreLe(uint8_t* data, uint32_t len, uint64_t v) {
  for (uint32_t i = 0; i < len && i < 8; ++i) data[i] = static_cast<uint8_t>(v >> (8 * i));
}

// Devices with 32-bit registers (RTCs, PLIC, virtio-mmio below its config
// space) act only on aligned 4-byte accesses; others read 0 and are ignored.
inline bool IsRegisterAccess(uint64_t offset, uint32_t len) { return len == 4 && offset % 4 == 0; }

}  // namespace vmrr
