#include "devices/overlay_block_backend.h"

#include <gtest/gtest.h>

#include <cstring>
#include <fstream>
#include <vector>

namespace vmrr {
namespace {

// An in-memory base disk that counts its writes.
class MemoryDisk : public BlockBackend {
 public:
  explicit MemoryDisk(size_t bytes) : data_(bytes) {
    for (size_t i = 0; i < bytes; ++i) data_[i] = static_cast<uint8_t>(i * 31 + 7);
  }
  uint64_t size_bytes() const override { return data_.size(); }
  bool read_only() const override { return false; }
  bool ReadAt(uint64_t offset, void* dst, size_t len) override {
    ++reads;
    std::memcpy(dst, data_.data() + offset, len);
    return true;
  }
  bool WriteAt(uint64_t, const void*, size_t) override {
    ++writes;
    return true;
  }
  bool Flush() override { return true; }
  std::vector<uint8_t> data_;
  int reads = 0;
  int writes = 0;
};

TEST(OverlayBlockBackend, WritesStayInTheOverlay) {
  auto base = std::make_unique<MemoryDisk>(8192);
  MemoryDisk* disk = base.get();
  std::vector<uint8_t> original = disk->data_;
  OverlayBlockBackend overlay(std::move(base), false);
  std::vector<uint8_t> block(1024, 0xab);
  ASSERT_TRUE(overlay.WriteAt(1024, block.data(), block.size()));
  EXPECT_EQ(disk->writes, 0);
  EXPECT_EQ(disk->data_, original);
  EXPECT_EQ(overlay.dirty_sectors(), 2u);

  std::vector<uint8_t> all(8192);
  ASSERT_TRUE(overlay.ReadAt(0, all.data(), all.size()));
  for (size_t i = 0; i < all.size(); ++i) {
    uint8_t want = (i >= 1024 && i < 2048) ? 0xab : original[i];
    ASSERT_EQ(all[i], want) << i;
  }
}

TEST(OverlayBlockBackend, PartialSectorWritesKeepTheRest) {
  auto base = std::make_unique<MemoryDisk>(2048);
  std::vector<uint8_t> original = base->data_;
  OverlayBlockBackend overlay(std::move(base), false);
  uint8_t bytes[3] = {1, 2, 3};
  ASSERT_TRUE(overlay.WriteAt(510, bytes, 3));  // straddles sectors 0 and 1
  std::vector<uint8_t> got(1024);
  ASSERT_TRUE(overlay.ReadAt(0, got.data(), got.size()));
  for (size_t i = 0; i < got.size(); ++i) {
    uint8_t want = (i >= 510 && i < 513) ? static_cast<uint8_t>(i - 509) : original[i];
    ASSERT_EQ(got[i], want) << i;
  }
  EXPECT_EQ(overlay.dirty_sectors(), 2u);
}

TEST(OverlayBlockBackend, BoundsAndReadOnly) {
  OverlayBlockBackend overlay(std::make_unique<MemoryDisk>(1024), false);
  uint8_t b[512] = {};
  EXPECT_FALSE(overlay.ReadAt(1024, b, 1));
  EXPECT_FALSE(overlay.WriteAt(600, b, 512));
  EXPECT_FALSE(overlay.ReadAt(~0ull - 10, b, 20));
  OverlayBlockBackend ro(std::make_unique<MemoryDisk>(1024), true);
  EXPECT_TRUE(ro.read_only());
  EXPECT_FALSE(ro.WriteAt(0, b, 512));
  EXPECT_TRUE(ro.ReadAt(0, b, 512));
}

TEST(OverlayBlockBackend, TheFileIsNeverWritten) {
  std::string path = ::testing::TempDir() + "/overlay_base.img";
  std::ofstream(path) << std::string(4096, 'o');
  {
    OverlayBlockBackend overlay(std::make_unique<FileBlockBackend>(path, true), false);
    std::vector<uint8_t> x(4096, 'x');
    ASSERT_TRUE(overlay.WriteAt(0, x.data(), x.size()));
    ASSERT_TRUE(overlay.Flush());
    std::vector<uint8_t> back(4096);
    ASSERT_TRUE(overlay.ReadAt(0, back.data(), back.size()));
    EXPECT_EQ(back, x);
  }
  std::ifstream in(path);
  std::string content((std::istreambuf_iterator<char>(in)), {});
  EXPECT_EQ(content, std::string(4096, 'o'));
}

}  // namespace
}  // namespace vmrr
