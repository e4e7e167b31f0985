// The arm64 Linux `Image` header (Documentation/arch/arm64/booting.rst) and
// where the boot protocol lets us place the kernel.
#pragma once

#include <cstdint>
#include <span>
#include <string>

namespace vmrr::arm64 {

struct KernelImage {
  uint64_t text_offset = 0;    // load address = 2 MiB aligned base + text_offset
  uint64_t image_size = 0;     // bytes the kernel needs from its load address (with bss)
  bool any_placement = false;  // flags bit 3: may sit anywhere in RAM
  uint32_t page_size = 0;      // 0 unknown, else 4096, 16384 or 65536
};

// Parses and checks the 64-byte header; throws Error(kInput) with a one-line
// reason naming `name` (the file) when it is not a little-endian arm64 Image.
KernelImage ParseKernelImage(std::span<const uint8_t> file, const std::string& name);

}  // namespace vmrr::arm64
