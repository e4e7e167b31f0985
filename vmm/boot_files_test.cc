#include "vmm/boot_files.h"

#include <gtest/gtest.h>

#include "base/error.h"

namespace vmrr {
namespace {

TEST(BootFiles, RoundTrip) {
  std::string path = ::testing::TempDir() + "/boot_files_test.bin";
  std::vector<uint8_t> bytes(100000);
  for (size_t i = 0; i < bytes.size(); ++i) bytes[i] = static_cast<uint8_t>(i * 7);
  WriteFile(path, bytes);
  EXPECT_EQ(ReadBootFile("kernel", path), bytes);
}

TEST(BootFiles, MissingAndDirectoryAreInputErrors) {
  try {
    ReadBootFile("initrd", "/nonexistent/initrd.img");
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::kInput);
    EXPECT_EQ(std::string(e.what()), "initrd /nonexistent/initrd.img: No such file or directory");
  }
  EXPECT_THROW(ReadBootFile("kernel", ::testing::TempDir()), Error);
}

}  // namespace
}  // namespace vmrr
