// CRC-32C (Castagnoli), the checksum of every trace chunk.
#pragma once

#include <cstddef>
#include <cstdint>

namespace vmrr {

uint32_t Crc32c(const void* data, size_t len, uint32_t crc = 0);

}  // namespace vmrr
