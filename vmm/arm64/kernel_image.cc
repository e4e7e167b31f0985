#include "vmm/arm64/kernel_image.h"

#include <cstring>

#include "base/error.h"
#include "base/le_bytes.h"
#include "vmm/kernel_file_format.h"

namespace vmrr::arm64 {

namespace {

constexpr size_t kHeaderSize = 64;
constexpr uint32_t kMagic = 0x644d5241;  // "ARM\x64"
constexpr uint64_t kLegacyTextOffset = 0x80000;

}  // namespace

KernelImage ParseKernelImage(std::span<const uint8_t> file, const std::string& name) {
  auto bad = [&](const std::string& why) {
    return Error(ErrorKind::kInput, name + " is not an arm64 Linux Image: " + why);
  };
  if (file.size() < kHeaderSize) throw bad("too short for the 64-byte header");
  const uint8_t* h = file.data();
  if (LoadLe32(h + 56) != kMagic) {
    if (std::string known = DescribeNonImage(file, "arm64"); !known.empty()) throw bad(known);
    throw bad("no ARM\\x64 magic at offset 56 (for a plain binary, use --kernel-raw)");
  }
  KernelImage image;
  image.text_offset = LoadLe64(h + 8);
  image.image_size = LoadLe64(h + 16);
  uint64_t flags = LoadLe64(h + 24);
  if (image.image_size == 0) {
    // Kernels before 3.17: text_offset is 0x80000 and the size is unknown.
    image.text_offset = kLegacyTextOffset;
    image.image_size = file.size();
  } else if (flags & 1) {
    throw bad("it is a big-endian kernel");
  }
  if (image.image_size < file.size()) throw bad("image_size is smaller than the file");
  if (image.text_offset % 4096 != 0 || image.text_offset >= (uint64_t{2} << 20)) {
    throw bad("text_offset " + std::to_string(image.text_offset) +
              " is not a 4 KiB multiple below 2 MiB");
  }
  static constexpr uint32_t kPageSizes[] = {0, 4096, 16384, 65536};
  image.page_size = kPageSizes[(flags >> 1) & 3];
  image.any_placement = (flags >> 3) & 1;
  return image;
}

}  // namespace vmrr::arm64
