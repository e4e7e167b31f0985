#include "vmm/kernel_file_format.h"

#include <gtest/gtest.h>

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

}  // namespace
}  // namespace vmrr
