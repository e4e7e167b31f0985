#include "vmm/kernel_file_format.h"

#include <cstring>

namespace vmrr {

std::string DescribeNonImage(std::span<const uint8_t> file, const std::string& arch_dir) {
  static constexpr uint8_t kGzip[] = {0x1f, 0x8b};
  static constexpr uint8_t kElf[] = {0x7f, 'E', 'L', 'F'};
  if (file.size() >= sizeof(kGzip) && std::memcmp(file.data(), kGzip, sizeof(kGzip)) == 0) {
    return "it is gzip-compressed (gunzip it first)";
  }
  if (file.size() >= sizeof(kElf) && std::memcmp(file.data(), kElf, sizeof(kElf)) == 0) {
    return "it is an ELF file (use arch/" + arch_dir + "/boot/Image)";
  }
  // The other architecture's Image (its magic at offset 56; riscv64's
  // older one at 48).
  static constexpr uint8_t kArm64[] = {'A', 'R', 'M', 0x64};
  static constexpr uint8_t kRiscv64[] = {'R', 'S', 'C', 0x05};
  static constexpr uint8_t kRiscv64Old[] = {'R', 'I', 'S', 'C', 'V', 0, 0, 0};
  if (file.size() >= 64) {
    if (std::memcmp(file.data() + 56, kArm64, sizeof(kArm64)) == 0) {
      return "it is an arm64 Linux Image, for arm64 hosts";
    }
    if (std::memcmp(file.data() + 56, kRiscv64, sizeof(kRiscv64)) == 0 ||
        std::memcmp(file.data() + 48, kRiscv64Old, sizeof(kRiscv64Old)) == 0) {
      return "it is a riscv64 Linux Image, for riscv64 hosts";
    }
  }
  return "";
}

}  // namespace vmrr
