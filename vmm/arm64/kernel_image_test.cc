#include "vmm/arm64/kernel_image.h"

#include <gtest/gtest.h>

#include <vector>

#include "base/error.h"

namespace vmrr::arm64 {
namespace {

void Put64(std::vector<uint8_t>& b, size_t at, uint64_t v) {
  for (int i = 0; i < 8; ++i) b[at + i] = static_cast<uint8_t>(v >> (8 * i));
}

// A header as a 6.12 kernel has it: text_offset 0, 4K pages, anywhere.
std::vector<uint8_t> Header(uint64_t text_offset = 0, uint64_t size = 0x2000000,
                            uint64_t flags = 0b1010) {
  std::vector<uint8_t> b(4096, 0);
  Put64(b, 8, text_offset);
  Put64(b, 16, size);
  Put64(b, 24, flags);
  b[56] = 'A';
  b[57] = 'R';
  b[58] = 'M';
  b[59] = 0x64;
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

TEST(KernelImage, ParsesAModernHeader) {
  KernelImage image = ParseKernelImage(Header(), "Image");
  EXPECT_EQ(image.text_offset, 0u);
  EXPECT_EQ(image.image_size, 0x2000000u);
  EXPECT_EQ(image.page_size, 4096u);
  EXPECT_TRUE(image.any_placement);
}

TEST(KernelImage, LegacyHeaderUsesDefaultTextOffset) {
  KernelImage image = ParseKernelImage(Header(0, 0, 0), "Image");
  EXPECT_EQ(image.text_offset, 0x80000u);
  EXPECT_EQ(image.image_size, 4096u);
  EXPECT_EQ(image.page_size, 0u);
}

TEST(KernelImage, Truncated) {
  std::vector<uint8_t> b = Header();
  b.resize(40);
  EXPECT_NE(ErrorOf(b).find("too short"), std::string::npos);
}

TEST(KernelImage, BigEndian) {
  EXPECT_NE(ErrorOf(Header(0, 0x2000000, 1)).find("big-endian"), std::string::npos);
}

TEST(KernelImage, WrongMagic) {
  std::vector<uint8_t> b = Header();
  b[59] = 0x65;
  std::string e = ErrorOf(b);
  EXPECT_NE(e.find("Image is not an arm64 Linux Image"), std::string::npos) << e;
  EXPECT_NE(e.find("magic at offset 56 (for a plain binary, use --kernel-raw)"), std::string::npos)
      << e;
}

TEST(KernelImage, RecognisesGzipAndElf) {
  std::vector<uint8_t> gz(100, 0);
  gz[0] = 0x1f;
  gz[1] = 0x8b;
  EXPECT_NE(ErrorOf(gz).find("gzip"), std::string::npos);
  std::vector<uint8_t> elf(100, 0);
  elf[0] = 0x7f;
  elf[1] = 'E';
  elf[2] = 'L';
  elf[3] = 'F';
  EXPECT_NE(ErrorOf(elf).find("ELF"), std::string::npos);
}

// Issue 19 item 9: it used to say "no ARM\x64 magic".
TEST(KernelImage, ARiscv64ImageIsNamed) {
  std::vector<uint8_t> b = Header();
  b[56] = 'R';
  b[57] = 'S';
  b[58] = 'C';
  b[59] = 0x05;
  EXPECT_EQ(ErrorOf(b),
            "Image is not an arm64 Linux Image: it is a riscv64 Linux Image, for riscv64 hosts");
}

TEST(KernelImage, ImageSizeSmallerThanFile) {
  EXPECT_NE(ErrorOf(Header(0, 100)).find("smaller than the file"), std::string::npos);
}

TEST(KernelImage, UnalignedTextOffset) {
  EXPECT_NE(ErrorOf(Header(0x80001)).find("text_offset"), std::string::npos);
}

}  // namespace
}  // namespace vmrr::arm64
