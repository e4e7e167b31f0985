#include "devices/virtio_blk.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "base/error.h"
#include "devices/block_backend.h"
#include "devices/mmio_access.h"
#include "devices/virtq_test_driver.h"
#include "devices/virtqueue.h"
#include "memory/guest_memory.h"

namespace vmrr {
namespace {

constexpr uint64_t kRam = 0x40000000;
constexpr uint64_t kRamSize = 1 << 20;
constexpr uint64_t kRamEnd = kRam + kRamSize;
constexpr uint64_t kHeader = kRam + 0x10000;
constexpr uint64_t kData = kRam + 0x20000;
constexpr uint64_t kStatus = kRam + 0x40000;
constexpr uint64_t kSectors = 64;

using Buf = VirtqTestDriver::Buf;

uint8_t Pattern(uint64_t i) { return static_cast<uint8_t>(i * 7 + (i >> 9)); }

// An in-memory disk that counts what it is asked to do.
class MemDisk : public BlockBackend {
 public:
  MemDisk(uint64_t sectors, bool read_only) : data(sectors * 512), read_only_(read_only) {
    for (size_t i = 0; i < data.size(); ++i) data[i] = Pattern(i);
  }
  uint64_t size_bytes() const override { return data.size(); }
  bool read_only() const override { return read_only_; }
  bool ReadAt(uint64_t offset, void* dst, size_t len) override {
    ++reads;
    if (fail || offset > data.size() || len > data.size() - offset) return false;
    std::memcpy(dst, data.data() + offset, len);
    return true;
  }
  bool WriteAt(uint64_t offset, const void* src, size_t len) override {
    ++writes;
    if (fail || read_only_ || offset > data.size() || len > data.size() - offset) return false;
    std::memcpy(data.data() + offset, src, len);
    return true;
  }
  bool Flush() override {
    ++flushes;
    return !fail;
  }

  std::vector<uint8_t> data;
  int reads = 0;
  int writes = 0;
  int flushes = 0;
  bool fail = false;

 private:
  bool read_only_;
};

struct Result {
  uint8_t status;
  uint32_t used_len;
};

class VirtioBlkTest : public ::testing::Test {
 protected:
  explicit VirtioBlkTest(std::unique_ptr<BlockBackend> disk = nullptr)
      : mem_(kRam, kRamSize),
        driver_(mem_, kRam, VirtioBlk::kQueueSize),
        queue_(mem_, driver_.layout(), true),
        blk_(disk ? std::move(disk) : std::make_unique<MemDisk>(kSectors, false)) {}

  MemDisk& disk() { return static_cast<MemDisk&>(blk_.disk()); }

  void Header(uint32_t type, uint64_t sector, uint64_t gpa = kHeader) {
    ASSERT_TRUE(mem_.Store<uint32_t>(gpa, type));
    ASSERT_TRUE(mem_.Store<uint32_t>(gpa + 4, 0));
    ASSERT_TRUE(mem_.Store<uint64_t>(gpa + 8, sector));
  }
  // Submits one chain; returns the status byte at status_gpa and the used
  // length.  The status byte is preset to 0xee to see whether it was written.
  Result Submit(const std::vector<Buf>& bufs, uint64_t status_gpa = kStatus) {
    mem_.Store<uint8_t>(status_gpa, 0xee);
    uint16_t head = driver_.WriteAndMakeAvailable(bufs);
    uint16_t used_before = driver_.UsedIdx();
    blk_.ProcessQueue(0, queue_);
    EXPECT_EQ(driver_.UsedIdx(), static_cast<uint16_t>(used_before + 1));
    EXPECT_EQ(driver_.UsedId(used_before), head);
    return {mem_.Load<uint8_t>(status_gpa).value_or(0xdd), driver_.UsedLen(used_before)};
  }
  std::vector<uint8_t> Guest(uint64_t gpa, size_t len) {
    std::vector<uint8_t> v(len);
    EXPECT_TRUE(mem_.Read(gpa, v.data(), len));
    return v;
  }
  std::vector<uint8_t> DiskBytes(uint64_t offset, size_t len) {
    return std::vector<uint8_t>(disk().data.begin() + offset, disk().data.begin() + offset + len);
  }
  void Fill(uint64_t gpa, size_t len, uint8_t value) {
    std::vector<uint8_t> v(len, value);
    ASSERT_TRUE(mem_.Write(gpa, v.data(), len));
  }

  GuestMemory mem_;
  VirtqTestDriver driver_;
  Virtqueue queue_;
  VirtioBlk blk_;
};

TEST_F(VirtioBlkTest, FeaturesAndConfig) {
  EXPECT_EQ(blk_.device_id(), 2u);
  EXPECT_EQ(blk_.num_queues(), 1);
  EXPECT_EQ(blk_.queue_max_size(0), 256u);
  uint64_t f = blk_.device_features();
  EXPECT_TRUE(f & VirtioBlk::kFeatureFlush);
  EXPECT_TRUE(f & VirtioBlk::kFeatureSegMax);
  EXPECT_TRUE(f & VirtioBlk::kFeatureSizeMax);
  EXPECT_TRUE(f & Virtqueue::kFeatureIndirectDesc);
  EXPECT_FALSE(f & VirtioBlk::kFeatureRo);
  uint8_t cfg[8];
  blk_.ReadConfig(0, cfg, 8);
  EXPECT_EQ(LoadLe(cfg, 8), kSectors);
  blk_.ReadConfig(8, cfg, 4);
  EXPECT_EQ(LoadLe(cfg, 4), VirtioBlk::kSizeMax);
  blk_.ReadConfig(12, cfg, 4);
  EXPECT_EQ(LoadLe(cfg, 4), VirtioBlk::kSegMax);
  blk_.ReadConfig(20, cfg, 4);
  EXPECT_EQ(LoadLe(cfg, 4), 512u);
  blk_.ReadConfig(0xf0, cfg, 8);
  EXPECT_EQ(LoadLe(cfg, 8), 0u);
  blk_.ReadConfig(0xffffffffffffffff, cfg, 2);
  EXPECT_EQ(LoadLe(cfg, 2), 0u);
  // The largest request the limits allow fits a chain.
  EXPECT_LE(uint64_t{VirtioBlk::kSegMax} * VirtioBlk::kSizeMax + 17, Virtqueue::kMaxChainBytes);
}

TEST_F(VirtioBlkTest, ReadSectors) {
  Header(VirtioBlk::kTypeIn, 3);
  Result r = Submit({{kHeader, 16, false}, {kData, 1024, true}, {kStatus, 1, true}});
  EXPECT_EQ(r.status, VirtioBlk::kStatusOk);
  EXPECT_EQ(r.used_len, 1025u);
  EXPECT_EQ(Guest(kData, 1024), DiskBytes(3 * 512, 1024));
}

TEST_F(VirtioBlkTest, WriteSectors) {
  Header(VirtioBlk::kTypeOut, kSectors - 2);
  Fill(kData, 1024, 0x42);
  Result r = Submit({{kHeader, 16, false}, {kData, 1024, false}, {kStatus, 1, true}});
  EXPECT_EQ(r.status, VirtioBlk::kStatusOk);
  EXPECT_EQ(r.used_len, 1u);
  EXPECT_EQ(DiskBytes((kSectors - 2) * 512, 1024), std::vector<uint8_t>(1024, 0x42));
  EXPECT_EQ(disk().data[(kSectors - 2) * 512 - 1], Pattern((kSectors - 2) * 512 - 1));
}

TEST_F(VirtioBlkTest, AnyDescriptorLayout) {
  // Header and data in one readable buffer; data split over two.
  Header(VirtioBlk::kTypeOut, 1, kData);
  Fill(kData + 16, 512, 0x11);
  Fill(kData + 0x1000, 512, 0x22);
  Result w = Submit({{kData, 16 + 512, false}, {kData + 0x1000, 512, false}, {kStatus, 1, true}});
  EXPECT_EQ(w.status, VirtioBlk::kStatusOk);
  EXPECT_EQ(DiskBytes(512, 512), std::vector<uint8_t>(512, 0x11));
  EXPECT_EQ(DiskBytes(1024, 512), std::vector<uint8_t>(512, 0x22));

  // Read: the header split in two; the data tail and the status share a buffer.
  Header(VirtioBlk::kTypeIn, 1);
  Result r = Submit({{kHeader, 10, false},
                     {kHeader + 10, 6, false},
                     {kData + 0x4000, 700, true},
                     {kData + 0x8000, 325, true}},
                    kData + 0x8000 + 324);
  EXPECT_EQ(r.status, VirtioBlk::kStatusOk);
  EXPECT_EQ(r.used_len, 1025u);
  std::vector<uint8_t> got = Guest(kData + 0x4000, 700);
  std::vector<uint8_t> tail = Guest(kData + 0x8000, 324);
  got.insert(got.end(), tail.begin(), tail.end());
  EXPECT_EQ(got, DiskBytes(512, 1024));
}

TEST_F(VirtioBlkTest, IndirectRequest) {
  Header(VirtioBlk::kTypeIn, 0);
  driver_.MakeAvailable(driver_.WriteIndirectChain(
      kRam + 0x80000, {{kHeader, 16, false}, {kData, 512, true}, {kStatus, 1, true}}));
  mem_.Store<uint8_t>(kStatus, 0xee);
  blk_.ProcessQueue(0, queue_);
  EXPECT_EQ(mem_.Load<uint8_t>(kStatus), VirtioBlk::kStatusOk);
  EXPECT_EQ(Guest(kData, 512), DiskBytes(0, 512));
}

TEST_F(VirtioBlkTest, SeveralRequestsInOneNotify) {
  Header(VirtioBlk::kTypeIn, 5, kHeader);
  Header(VirtioBlk::kTypeFlush, 0, kHeader + 16);
  driver_.WriteAndMakeAvailable({{kHeader, 16, false}, {kData, 512, true}, {kStatus, 1, true}});
  driver_.WriteAndMakeAvailable({{kHeader + 16, 16, false}, {kStatus + 1, 1, true}});
  blk_.ProcessQueue(0, queue_);
  EXPECT_EQ(driver_.UsedIdx(), 2);
  EXPECT_EQ(mem_.Load<uint8_t>(kStatus), VirtioBlk::kStatusOk);
  EXPECT_EQ(mem_.Load<uint8_t>(kStatus + 1), VirtioBlk::kStatusOk);
  EXPECT_EQ(disk().flushes, 1);
}

TEST_F(VirtioBlkTest, Flush) {
  Header(VirtioBlk::kTypeFlush, 0);
  Result r = Submit({{kHeader, 16, false}, {kStatus, 1, true}});
  EXPECT_EQ(r.status, VirtioBlk::kStatusOk);
  EXPECT_EQ(disk().flushes, 1);
  disk().fail = true;
  EXPECT_EQ(Submit({{kHeader, 16, false}, {kStatus, 1, true}}).status, VirtioBlk::kStatusIoErr);
  // Data buffers make no sense for a flush.
  disk().fail = false;
  EXPECT_EQ(Submit({{kHeader, 16, false}, {kData, 512, true}, {kStatus, 1, true}}).status,
            VirtioBlk::kStatusIoErr);
}

TEST_F(VirtioBlkTest, GetId) {
  Header(VirtioBlk::kTypeGetId, 0);
  Fill(kData, 20, 0xff);
  Result r = Submit({{kHeader, 16, false}, {kData, 20, true}, {kStatus, 1, true}});
  EXPECT_EQ(r.status, VirtioBlk::kStatusOk);
  EXPECT_EQ(r.used_len, 21u);
  std::vector<uint8_t> want(20, 0);
  std::memcpy(want.data(), "vmrr-disk", 9);
  EXPECT_EQ(Guest(kData, 20), want);
}

TEST(VirtioBlkId, TwentyBytesWithoutNulAndLongerRefused) {
  GuestMemory mem(kRam, kRamSize);
  VirtqTestDriver driver(mem, kRam, 16);
  Virtqueue queue(mem, driver.layout(), false);
  VirtioBlk blk(std::make_unique<MemDisk>(8, false), "01234567890123456789");
  mem.Store<uint32_t>(kHeader, VirtioBlk::kTypeGetId);
  driver.WriteAndMakeAvailable({{kHeader, 16, false}, {kData, 32, true}, {kStatus, 1, true}});
  mem.Store<uint8_t>(kData + 20, 0x77);
  blk.ProcessQueue(0, queue);
  std::string id(20, '\0');
  mem.Read(kData, id.data(), 20);
  EXPECT_EQ(id, "01234567890123456789");
  EXPECT_EQ(mem.Load<uint8_t>(kData + 20), 0x77);  // nothing past the 20 bytes
  try {
    VirtioBlk bad(std::make_unique<MemDisk>(8, false), "012345678901234567890");
    FAIL() << "expected an Error";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::kInput);
  }
}

TEST_F(VirtioBlkTest, UnknownTypeIsUnsupported) {
  for (uint32_t type : {2u, 11u, 13u, 99u, 0xffffffffu}) {
    Header(type, 0);
    Result r = Submit({{kHeader, 16, false}, {kStatus, 1, true}});
    EXPECT_EQ(r.status, VirtioBlk::kStatusUnsupported) << type;
  }
  EXPECT_EQ(disk().reads + disk().writes + disk().flushes, 0);
}

class ReadOnlyVirtioBlkTest : public VirtioBlkTest {
 protected:
  ReadOnlyVirtioBlkTest() : VirtioBlkTest(std::make_unique<MemDisk>(kSectors, true)) {}
};

TEST_F(ReadOnlyVirtioBlkTest, RefusesWritesButReads) {
  EXPECT_TRUE(blk_.device_features() & VirtioBlk::kFeatureRo);
  Header(VirtioBlk::kTypeOut, 0);
  Fill(kData, 512, 0x42);
  std::vector<uint8_t> before = disk().data;
  Result r = Submit({{kHeader, 16, false}, {kData, 512, false}, {kStatus, 1, true}});
  EXPECT_EQ(r.status, VirtioBlk::kStatusIoErr);
  EXPECT_EQ(disk().writes, 0);
  EXPECT_EQ(disk().data, before);
  Header(VirtioBlk::kTypeIn, 0);
  EXPECT_EQ(Submit({{kHeader, 16, false}, {kData, 512, true}, {kStatus, 1, true}}).status,
            VirtioBlk::kStatusOk);
}

TEST_F(VirtioBlkTest, SectorsOutsideTheDiskFail) {
  struct Case {
    uint64_t sector;
    uint32_t len;
  };
  const Case cases[] = {
      {kSectors, 512},           {kSectors - 1, 1024},
      {0xffffffffffffffff, 512}, {0xffffffffffffffff / 512 + 1, 512},  // sector * 512 would wrap
      {1ull << 55, 512},
  };
  for (const Case& c : cases) {
    Header(VirtioBlk::kTypeIn, c.sector);
    EXPECT_EQ(Submit({{kHeader, 16, false}, {kData, c.len, true}, {kStatus, 1, true}}).status,
              VirtioBlk::kStatusIoErr)
        << c.sector;
    Header(VirtioBlk::kTypeOut, c.sector);
    EXPECT_EQ(Submit({{kHeader, 16, false}, {kData, c.len, false}, {kStatus, 1, true}}).status,
              VirtioBlk::kStatusIoErr)
        << c.sector;
  }
  EXPECT_EQ(disk().reads + disk().writes, 0);
  // The last sector itself is fine.
  Header(VirtioBlk::kTypeIn, kSectors - 1);
  EXPECT_EQ(Submit({{kHeader, 16, false}, {kData, 512, true}, {kStatus, 1, true}}).status,
            VirtioBlk::kStatusOk);
}

TEST_F(VirtioBlkTest, LengthNotAMultipleOf512Fails) {
  Header(VirtioBlk::kTypeIn, 0);
  EXPECT_EQ(Submit({{kHeader, 16, false}, {kData, 511, true}, {kStatus, 1, true}}).status,
            VirtioBlk::kStatusIoErr);
  Header(VirtioBlk::kTypeOut, 0);
  EXPECT_EQ(Submit({{kHeader, 16, false}, {kData, 513, false}, {kStatus, 1, true}}).status,
            VirtioBlk::kStatusIoErr);
  EXPECT_EQ(disk().reads + disk().writes, 0);
}

TEST_F(VirtioBlkTest, WrongBufferDirectionsFail) {
  // A read whose data buffer the device may not write.
  Header(VirtioBlk::kTypeIn, 0);
  Fill(kData, 512, 0x33);
  Result in = Submit({{kHeader, 16, false}, {kData, 512, false}, {kStatus, 1, true}});
  EXPECT_EQ(in.status, VirtioBlk::kStatusIoErr);
  EXPECT_EQ(Guest(kData, 512), std::vector<uint8_t>(512, 0x33));
  // A write whose data buffer is device-writable.
  Header(VirtioBlk::kTypeOut, 0);
  Result out = Submit({{kHeader, 16, false}, {kData, 512, true}, {kStatus, 1, true}});
  EXPECT_EQ(out.status, VirtioBlk::kStatusIoErr);
  EXPECT_EQ(disk().reads + disk().writes, 0);
  // A header the device may only write: no readable header at all.
  Header(VirtioBlk::kTypeIn, 0);
  EXPECT_EQ(Submit({{kHeader, 16, true}, {kData, 512, true}, {kStatus, 1, true}}).status,
            VirtioBlk::kStatusIoErr);
}

TEST_F(VirtioBlkTest, ShortHeaderFails) {
  Header(VirtioBlk::kTypeIn, 0);
  EXPECT_EQ(Submit({{kHeader, 8, false}, {kStatus, 1, true}}).status, VirtioBlk::kStatusIoErr);
}

TEST_F(VirtioBlkTest, NoStatusByteGoesBackEmpty) {
  Header(VirtioBlk::kTypeOut, 0);
  Result r = Submit({{kHeader, 16, false}, {kData, 512, false}});
  EXPECT_EQ(r.used_len, 0u);
  EXPECT_EQ(r.status, 0xee);
  EXPECT_EQ(disk().writes, 0);
}

TEST_F(VirtioBlkTest, DiskErrorsBecomeIoErr) {
  disk().fail = true;
  Header(VirtioBlk::kTypeIn, 0);
  EXPECT_EQ(Submit({{kHeader, 16, false}, {kData, 512, true}, {kStatus, 1, true}}).status,
            VirtioBlk::kStatusIoErr);
  Header(VirtioBlk::kTypeOut, 0);
  EXPECT_EQ(Submit({{kHeader, 16, false}, {kData, 512, false}, {kStatus, 1, true}}).status,
            VirtioBlk::kStatusIoErr);
}

TEST_F(VirtioBlkTest, HostileBuffersOutsideRamTouchNothing) {
  // The last 8 KiB of RAM hold a canary; data buffers run past RAM's end,
  // lie below it, or wrap the address space.
  const uint64_t canary = kRamEnd - 0x2000;
  Fill(canary, 0x2000, 0x5a);
  const Buf hostile[] = {
      {kRamEnd - 256, 512, true},
      {kRamEnd, 512, true},
      {0x1000, 512, true},
      {0xfffffffffffff000, 0x2000, true},
  };
  for (const Buf& data : hostile) {
    Header(VirtioBlk::kTypeIn, 0);
    Result r = Submit({{kHeader, 16, false}, data, {kStatus, 1, true}});
    EXPECT_EQ(r.status, VirtioBlk::kStatusIoErr) << std::hex << data.gpa;
    EXPECT_EQ(r.used_len, 1u);
  }
  EXPECT_EQ(disk().reads, 0);  // nothing was transferred anywhere
  EXPECT_EQ(Guest(canary, 0x2000), std::vector<uint8_t>(0x2000, 0x5a));

  // Writes from outside RAM: the disk is not touched either.
  std::vector<uint8_t> before = disk().data;
  Header(VirtioBlk::kTypeOut, 0);
  Result w = Submit({{kHeader, 16, false}, {kRamEnd - 256, 512, false}, {kStatus, 1, true}});
  EXPECT_EQ(w.status, VirtioBlk::kStatusIoErr);
  EXPECT_EQ(disk().writes, 0);
  EXPECT_EQ(disk().data, before);
}

TEST_F(VirtioBlkTest, StatusOutsideRamGoesBackEmpty) {
  const uint64_t canary = kRamEnd - 0x1000;
  Fill(canary, 0x1000, 0x5a);
  Header(VirtioBlk::kTypeIn, 0);
  uint16_t head = driver_.WriteAndMakeAvailable(
      {{kHeader, 16, false}, {kData, 512, true}, {kRamEnd - 1, 2, true}});
  blk_.ProcessQueue(0, queue_);
  EXPECT_EQ(driver_.UsedIdx(), 1);
  EXPECT_EQ(driver_.UsedId(0), head);
  EXPECT_EQ(driver_.UsedLen(0), 0u);
  EXPECT_EQ(disk().reads, 0);
  EXPECT_EQ(Guest(canary, 0x1000), std::vector<uint8_t>(0x1000, 0x5a));
}

TEST_F(VirtioBlkTest, LoopingChainGoesBackEmpty) {
  driver_.SetDesc(0, kHeader, 16, VirtqTestDriver::kNext, 1);
  driver_.SetDesc(1, kStatus, 1, VirtqTestDriver::kNext | VirtqTestDriver::kWrite, 0);
  driver_.MakeAvailable(0);
  mem_.Store<uint8_t>(kStatus, 0xee);
  blk_.ProcessQueue(0, queue_);
  EXPECT_EQ(driver_.UsedIdx(), 1);
  EXPECT_EQ(driver_.UsedLen(0), 0u);
  EXPECT_EQ(mem_.Load<uint8_t>(kStatus), 0xee);
  EXPECT_FALSE(queue_.broken());
}

}  // namespace
}  // namespace vmrr
