#include "vmm/boot_layout.h"

#include "base/error.h"

namespace vmrr {

namespace {

constexpr uint64_t kAlign2M = 2 << 20;

uint64_t AlignUp(uint64_t v, uint64_t a) { return (v + a - 1) / a * a; }
uint64_t AlignDown(uint64_t v, uint64_t a) { return v / a * a; }
std::string MiB(uint64_t bytes) { return std::to_string((bytes + (1 << 20) - 1) >> 20) + " MiB"; }

}  // namespace

BootLayout PlanBoot(uint64_t text_offset, uint64_t image_size, uint64_t ram_base, uint64_t ram_size,
                    uint64_t initrd_size) {
  if (ram_base % kAlign2M != 0 || ram_size % kAlign2M != 0) {
    throw Error(ErrorKind::kInternal, "guest RAM must be 2 MiB aligned");
  }
  BootLayout layout;
  layout.kernel = ram_base + text_offset;
  layout.entry = layout.kernel;
  layout.kernel_end = layout.kernel + image_size;
  layout.dtb = ram_base + ram_size - kDtbMaxSize;
  uint64_t free_start = AlignUp(layout.kernel_end, kAlign2M);
  uint64_t need = free_start - ram_base + AlignUp(initrd_size, 4096) + kDtbMaxSize;
  if (need > ram_size) {
    throw Error(ErrorKind::kInput,
                "guest memory " + MiB(ram_size) + " is too small for the kernel (" +
                    MiB(image_size) + "), initrd (" + MiB(initrd_size) +
                    ") and device tree (2 MiB): use --mem " +
                    std::to_string(AlignUp(need + (64 << 20), kAlign2M) >> 20) + "M or more");
  }
  if (initrd_size > 0) {
    layout.initrd = AlignDown(layout.dtb - initrd_size, 4096);
    layout.initrd_end = layout.initrd + initrd_size;
  }
  return layout;
}

}  // namespace vmrr
