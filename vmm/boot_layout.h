// Where a Linux kernel's boot pieces go in guest RAM, the same on arm64 and
// riscv64: the kernel at the 2 MiB aligned RAM base + the Image header's
// text_offset, the device tree in the last 2 MiB, the initrd just below it.
#pragma once

#include <cstdint>

namespace vmrr {

struct BootLayout {
  uint64_t kernel = 0;  // load address
  uint64_t kernel_end = 0;
  uint64_t dtb = 0;
  uint64_t initrd = 0;  // 0 when there is none
  uint64_t initrd_end = 0;
  uint64_t entry = 0;  // where the vCPU starts: `kernel`, or an ELF file's entry
};

// Throws Error(kInput) naming the sizes when RAM is too small for them.
BootLayout PlanBoot(uint64_t text_offset, uint64_t image_size, uint64_t ram_base, uint64_t ram_size,
                    uint64_t initrd_size);

// The device tree's room at the top of RAM (the arm64 boot protocol's limit).
constexpr uint64_t kDtbMaxSize = 2 << 20;

}  // namespace vmrr
