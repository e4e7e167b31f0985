#include "vmm/riscv64/kernel_image.h"

#include <cstring>

#include "base/error.h"
#include "base/le_bytes.h"
#include "vmm/kernel_file_format.h"

namespace vmrr::riscv64 {

namespace {

constexpr size_t kHeaderSize = 64;
constexpr uint32_t kMagic2 = 0x05435352;                        // "RSC\x05" at offset 56
constexpr char kMagic[8] = {'R', 'I', 'S', 'C', 'V', 0, 0, 0};  // deprecated, offset 48

}  // namespace

KernelImage ParseKernelImage(std::span<const uint8_t> file, const std::string& name) {
  auto bad = [&](const std::string& why) {
    return Error(ErrorKind::kInput, name + " is not a riscv64 Linux Image: " + why);
  };
  if (file.size() < kHeaderSize) throw bad("too short for the 64-byte header");
  const uint8_t* h = file.data();
  if (LoadLe32(h + 56) != kMagic2 && std::memcmp(h + 48, kMagic, sizeof(kMagic)) != 0) {
    if (std::string known = DescribeNonImage(file, "riscv"); !known.empty()) throw bad(known);
    throw bad("no RSC\\x05 magic at offset 56 (for a plain binary, use --kernel-raw)");
  }
  KernelImage image;
  image.text_offset = LoadLe64(h + 8);
  image.image_size = LoadLe64(h + 16);
  uint64_t flags = LoadLe64(h + 24);
  if (flags & 1) throw bad("it is a big-endian kernel");
  if (image.image_size == 0) throw bad("image_size is 0");
  if (image.image_size < file.size()) throw bad("image_size is smaller than the file");
  if (image.text_offset % 4096 != 0 || image.text_offset > (uint64_t{64} << 20)) {
    throw bad("text_offset " + std::to_string(image.text_offset) + " is not a 4 KiB multiple");
  }
  return image;
}

}  // namespace vmrr::riscv64
