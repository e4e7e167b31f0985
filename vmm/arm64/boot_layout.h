// Where the arm64 boot protocol's pieces go in guest RAM: the kernel at the
// 2 MiB aligned RAM base + text_offset, the device tree in the last 2 MiB,
// the initrd just below it.
#pragma once

#include <cstdint>

#include "vmm/arm64/kernel_image.h"

namespace vmrr::arm64 {

struct BootLayout {
  uint64_t kernel = 0;  // load address (entry point)
  uint64_t kernel_end = 0;
  uint64_t dtb = 0;
  uint64_t initrd = 0;  // 0 when there is none
  uint64_t initrd_end = 0;
};

// Throws Error(kInput) naming the sizes when RAM is too small for them.
BootLayout PlanBoot(const KernelImage& image, uint64_t ram_base, uint64_t ram_size,
                    uint64_t initrd_size);

}  // namespace vmrr::arm64
