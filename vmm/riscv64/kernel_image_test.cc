#include "vmm/riscv64/kernel_image.h"

#include <gtest/gtest.h>

#include <cstring>
#include <vector>

#include "base/error.h"

namespace vmrr::riscv64 {
namespace {

void Put64(std::vector<uint8_t>& b, size_t at, uint64_t v) {
  for (int i = 0; i < 8; ++i) b[at + i] = static_cast<uint8_t>(v >> (8 * i));
}

// The header of Debian's 6.12 riscv64 Image.
std::vector<uint8_t> Header(uint64_t size = 0x1e6b000, uint64_t flags = 0) {
  std::vector<uint8_t> b(4096, 0);
  Put64(b, 8, 0x200000);
  Put64(b, 16, size);
  Put64(b, 24, flags);
  std::memcpy(&b[48], "RISCV\0\0\0", 8);
  std::memcpy(&b[56], "RSC\x05", 4);
  return b;
}

std::string ErrorOf(const std::vector<uint8_t>& file) {
  try {
    ParseKernelImage(file, "Image");
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::kInput);
    return e.what();
  }
  return "";
}

TEST(Riscv64KernelImage, ParsesDebianHeader) {
  KernelImage image = ParseKernelImage(Header(), "Image");
  EXPECT_EQ(image.text_offset, 0x200000u);
  EXPECT_EQ(image.image_size, 0x1e6b000u);
}

TEST(Riscv64KernelImage, DeprecatedMagicAloneIsAccepted) {
  std::vector<uint8_t> b = Header();
  std::memset(&b[56], 0, 4);
  EXPECT_EQ(ParseKernelImage(b, "Image").text_offset, 0x200000u);
}

TEST(Riscv64KernelImage, Rejections) {
  std::vector<uint8_t> shortfile = Header();
  shortfile.resize(63);
  EXPECT_NE(ErrorOf(shortfile).find("too short"), std::string::npos);
  std::vector<uint8_t> nomagic = Header();
  std::memset(&nomagic[48], 0, 16);
  EXPECT_NE(ErrorOf(nomagic).find("not a riscv64 Linux Image"), std::string::npos);
  EXPECT_NE(ErrorOf(nomagic).find("(for a plain binary, use --kernel-raw)"), std::string::npos);
  EXPECT_NE(ErrorOf(Header(0x1e6b000, 1)).find("big-endian"), std::string::npos);
  EXPECT_NE(ErrorOf(Header(0)).find("image_size is 0"), std::string::npos);
  EXPECT_NE(ErrorOf(Header(100)).find("smaller"), std::string::npos);
  std::vector<uint8_t> gz(64, 0);
  gz[0] = 0x1f;
  gz[1] = 0x8b;
  EXPECT_NE(ErrorOf(gz).find("gzip"), std::string::npos);
  std::vector<uint8_t> arm64 = nomagic;
  std::memcpy(&arm64[56], "ARM\x64", 4);
  EXPECT_EQ(ErrorOf(arm64),
            "Image is not a riscv64 Linux Image: it is an arm64 Linux Image, for arm64 hosts");
}

}  // namespace
}  // namespace vmrr::riscv64
