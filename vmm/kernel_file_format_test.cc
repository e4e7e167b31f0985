#include "vmm/kernel_file_format.h"

#include <gtest/gtest.h>

#include <cstring>
#include <vector>

namespace vmrr {
namespace {

TEST(KernelFileFormat, GzipElfAndOther) {
  std::vector<uint8_t> gz = {0x1f, 0x8b, 8, 0};
  std::vector<uint8_t> elf = {0x7f, 'E', 'L', 'F', 2};
  std::vector<uint8_t> other = {'M', 'Z', 0, 0};
  EXPECT_EQ(DescribeNonImage(gz, "arm64"), "it is gzip-compressed (gunzip it first)");
  EXPECT_EQ(DescribeNonImage(elf, "riscv"), "it is an ELF file (use arch/riscv/boot/Image)");
  EXPECT_EQ(DescribeNonImage(other, "arm64"), "");
  EXPECT_EQ(DescribeNonImage({}, "arm64"), "");
}

// Issue 19 item 9: a riscv64 Image given on arm64 was "no ARM\x64 magic".
TEST(KernelFileFormat, TheOtherArchitecturesImage) {
  std::vector<uint8_t> riscv(64, 0);
  std::memcpy(&riscv[56], "RSC\x05", 4);
  EXPECT_EQ(DescribeNonImage(riscv, "arm64"), "it is a riscv64 Linux Image, for riscv64 hosts");
  std::vector<uint8_t> old_riscv(64, 0);
  std::memcpy(&old_riscv[48], "RISCV\0\0\0", 8);
  EXPECT_EQ(DescribeNonImage(old_riscv, "arm64"), "it is a riscv64 Linux Image, for riscv64 hosts");
  std::vector<uint8_t> arm64(64, 0);
  std::memcpy(&arm64[56], "ARM\x64", 4);
  EXPECT_EQ(DescribeNonImage(arm64, "riscv"), "it is an arm64 Linux Image, for arm64 hosts");
  // Shorter than a header: nothing to say.
  arm64.resize(63);
  EXPECT_EQ(DescribeNonImage(arm64, "riscv"), "");
}

}  // namespace
}  // namespace vmrr
