// virtio-blk over a real file (FileBlockBackend), and the whole path a
// guest takes through the virtio-mmio registers.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <string>
#include <vector>

#include "base/unique_fd.h"
#include "devices/block_backend.h"
#include "devices/mmio_access.h"
#include "devices/virtio_blk.h"
#include "devices/virtio_mmio.h"
#include "devices/virtq_test_driver.h"
#include "devices/virtqueue.h"
#include "memory/guest_memory.h"

namespace vmrr {
namespace {

constexpr uint64_t kRam = 0x40000000;
constexpr uint64_t kRamSize = 1 << 20;
constexpr uint64_t kHeader = kRam + 0x10000;
constexpr uint64_t kData = kRam + 0x20000;
constexpr uint64_t kStatus = kRam + 0x40000;

uint8_t Pattern(uint64_t i) { return static_cast<uint8_t>(i * 7 + (i >> 9)); }

// Temporary files in the test's own directory.
std::string TempPath(const std::string& name) {
  const char* dir = std::getenv("TEST_TMPDIR");
  return std::string(dir ? dir : "/tmp") + "/" + name;
}

void WriteFile(const std::string& path, const std::vector<uint8_t>& bytes) {
  UniqueFd fd(::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644));
  ASSERT_TRUE(fd.valid());
  ASSERT_EQ(::write(fd.get(), bytes.data(), bytes.size()), static_cast<ssize_t>(bytes.size()));
}

std::vector<uint8_t> ReadFile(const std::string& path) {
  UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  std::vector<uint8_t> bytes(1 << 16);
  ssize_t n = ::read(fd.get(), bytes.data(), bytes.size());
  bytes.resize(n > 0 ? n : 0);
  return bytes;
}

std::vector<uint8_t> PatternImage(size_t sectors) {
  std::vector<uint8_t> image(sectors * 512);
  for (size_t i = 0; i < image.size(); ++i) image[i] = Pattern(i);
  return image;
}

class FileVirtioBlkTest : public ::testing::Test {
 protected:
  void SetUp() override { WriteFile(path_, PatternImage(8)); }
  void TearDown() override { ::unlink(path_.c_str()); }
  std::string path_ = TempPath("virtio_blk_test.img");
};

TEST_F(FileVirtioBlkTest, ReadsWritesAndFlushesTheFile) {
  GuestMemory mem(kRam, kRamSize);
  VirtqTestDriver driver(mem, kRam, 16);
  Virtqueue queue(mem, driver.layout(), false);
  VirtioBlk blk(std::make_unique<FileBlockBackend>(path_, false));
  uint8_t cfg[8];
  blk.ReadConfig(0, cfg, 8);
  EXPECT_EQ(LoadLe(cfg, 8), 8u);

  mem.Store<uint32_t>(kHeader, VirtioBlk::kTypeIn);
  mem.Store<uint64_t>(kHeader + 8, 2);
  driver.WriteAndMakeAvailable({{kHeader, 16, false}, {kData, 1024, true}, {kStatus, 1, true}});
  blk.ProcessQueue(0, queue);
  EXPECT_EQ(mem.Load<uint8_t>(kStatus), VirtioBlk::kStatusOk);
  std::vector<uint8_t> image = PatternImage(8);
  std::vector<uint8_t> got(1024);
  mem.Read(kData, got.data(), got.size());
  EXPECT_EQ(got, std::vector<uint8_t>(image.begin() + 1024, image.begin() + 2048));

  std::vector<uint8_t> ones(512, 0x01);
  mem.Write(kData, ones.data(), ones.size());
  mem.Store<uint32_t>(kHeader, VirtioBlk::kTypeOut);
  mem.Store<uint64_t>(kHeader + 8, 7);
  driver.WriteAndMakeAvailable({{kHeader, 16, false}, {kData, 512, false}, {kStatus, 1, true}});
  mem.Store<uint32_t>(kHeader + 32, VirtioBlk::kTypeFlush);
  driver.WriteAndMakeAvailable({{kHeader + 32, 16, false}, {kStatus + 1, 1, true}});
  blk.ProcessQueue(0, queue);
  EXPECT_EQ(mem.Load<uint8_t>(kStatus), VirtioBlk::kStatusOk);
  EXPECT_EQ(mem.Load<uint8_t>(kStatus + 1), VirtioBlk::kStatusOk);
  std::copy(ones.begin(), ones.end(), image.begin() + 7 * 512);
  EXPECT_EQ(ReadFile(path_), image);
}

TEST_F(FileVirtioBlkTest, ReadOnlyFileRefusesWrites) {
  GuestMemory mem(kRam, kRamSize);
  VirtqTestDriver driver(mem, kRam, 16);
  Virtqueue queue(mem, driver.layout(), false);
  VirtioBlk blk(std::make_unique<FileBlockBackend>(path_, true));
  EXPECT_TRUE(blk.device_features() & VirtioBlk::kFeatureRo);
  mem.Store<uint32_t>(kHeader, VirtioBlk::kTypeOut);
  driver.WriteAndMakeAvailable({{kHeader, 16, false}, {kData, 512, false}, {kStatus, 1, true}});
  blk.ProcessQueue(0, queue);
  EXPECT_EQ(mem.Load<uint8_t>(kStatus), VirtioBlk::kStatusIoErr);
  EXPECT_EQ(ReadFile(path_), PatternImage(8));
}

// The whole path a guest takes: virtio-mmio registers, then a read request.
TEST_F(FileVirtioBlkTest, ThroughTheMmioTransport) {
  GuestMemory mem(kRam, kRamSize);
  std::vector<bool> irq;
  VirtioMmio mmio(mem,
                  std::make_unique<VirtioBlk>(std::make_unique<FileBlockBackend>(path_, false)),
                  [&irq](bool level) { irq.push_back(level); });
  auto w = [&mmio](uint64_t offset, uint32_t value) {
    uint8_t data[4];
    StoreLe(data, 4, value);
    mmio.Write(offset, data, 4);
  };
  auto r = [&mmio](uint64_t offset) {
    uint8_t data[4];
    mmio.Read(offset, data, 4);
    return static_cast<uint32_t>(LoadLe(data, 4));
  };
  EXPECT_EQ(r(0x008), 2u);
  EXPECT_EQ(r(0x100), 8u);  // capacity, low word
  w(0x070, 1);
  w(0x070, 3);
  w(0x024, 1);
  w(0x020, 1);  // VIRTIO_F_VERSION_1
  w(0x070, 11);
  ASSERT_EQ(r(0x070), 11u);
  VirtqTestDriver driver(mem, kRam, 128);
  w(0x030, 0);
  EXPECT_EQ(r(0x034), VirtioBlk::kQueueSize);
  w(0x038, 128);
  w(0x080, static_cast<uint32_t>(driver.layout().desc_gpa));
  w(0x090, static_cast<uint32_t>(driver.layout().avail_gpa));
  w(0x0a0, static_cast<uint32_t>(driver.layout().used_gpa));
  w(0x044, 1);
  w(0x070, 15);
  ASSERT_EQ(r(0x070), 15u);

  mem.Store<uint32_t>(kHeader, VirtioBlk::kTypeIn);
  mem.Store<uint64_t>(kHeader + 8, 0);
  driver.WriteAndMakeAvailable({{kHeader, 16, false}, {kData, 512, true}, {kStatus, 1, true}});
  w(0x050, 0);
  EXPECT_EQ(driver.UsedIdx(), 1);
  EXPECT_EQ(mem.Load<uint8_t>(kStatus), VirtioBlk::kStatusOk);
  EXPECT_EQ(r(0x060), 1u);
  EXPECT_EQ(irq, std::vector<bool>({true}));
  w(0x064, 1);
  EXPECT_EQ(irq, std::vector<bool>({true, false}));
  std::vector<uint8_t> got(512);
  mem.Read(kData, got.data(), got.size());
  std::vector<uint8_t> image = PatternImage(1);
  EXPECT_EQ(got, image);
}

}  // namespace
}  // namespace vmrr
