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
  return "";
}

}  // namespace vmrr
