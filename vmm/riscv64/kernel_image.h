// The riscv64 Linux `Image` header (Documentation/arch/riscv/boot-image-header.rst).
#pragma once

#include <cstdint>
#include <span>
#include <string>

namespace vmrr::riscv64 {

struct KernelImage {
  uint64_t text_offset = 0;  // load address = 2 MiB aligned RAM base + text_offset
  uint64_t image_size = 0;   // bytes from the load address the kernel needs
};

// Throws Error(kInput) naming `name` when it is not a little-endian riscv64 Image.
KernelImage ParseKernelImage(std::span<const uint8_t> file, const std::string& name);

}  // namespace vmrr::riscv64
