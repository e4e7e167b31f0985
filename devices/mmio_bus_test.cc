#include "devices/mmio_bus.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <vector>

#include "base/error.h"

namespace vmrr {
namespace {

// Records accesses; reads return the offset plus a per-device tag.
class RecordingDevice : public MmioDevice {
 public:
  RecordingDevice(uint64_t size, uint8_t tag) : size_(size), tag_(tag) {}
  uint64_t window_size() const override { return size_; }
  void Read(uint64_t offset, uint8_t* data, uint32_t len) override {
    reads.push_back({offset, len});
    for (uint32_t i = 0; i < len; ++i) data[i] = static_cast<uint8_t>(tag_ + offset + i);
  }
  void Write(uint64_t offset, const uint8_t* data, uint32_t len) override {
    writes.push_back({offset, len});
    last_written.assign(data, data + len);
  }

  struct Access {
    uint64_t offset;
    uint32_t len;
  };
  std::vector<Access> reads;
  std::vector<Access> writes;
  std::vector<uint8_t> last_written;

 private:
  uint64_t size_;
  uint8_t tag_;
};

ErrorKind RegisterError(MmioBus& bus, uint64_t base, MmioDevice& device) {
  try {
    bus.Register(base, device);
  } catch (const Error& e) {
    return e.kind();
  }
  ADD_FAILURE() << "Register at " << std::hex << base << " did not throw";
  return ErrorKind::kUsage;
}

TEST(MmioBus, DispatchesWithOffsetInsideWindow) {
  MmioBus bus;
  RecordingDevice a(0x100, 0x10);
  RecordingDevice b(0x1000, 0x80);
  bus.Register(0x9000000, a);
  bus.Register(0x9001000, b);

  uint8_t data[4] = {};
  ASSERT_TRUE(bus.Read(0x9000004, data, 4));
  ASSERT_EQ(a.reads.size(), 1u);
  EXPECT_EQ(a.reads[0].offset, 4u);
  EXPECT_EQ(a.reads[0].len, 4u);
  EXPECT_EQ(data[0], 0x14);
  EXPECT_EQ(data[3], 0x17);

  const uint8_t value[2] = {0xab, 0xcd};
  ASSERT_TRUE(bus.Write(0x9001ffe, value, 2));
  ASSERT_EQ(b.writes.size(), 1u);
  EXPECT_EQ(b.writes[0].offset, 0xffeu);
  EXPECT_EQ(b.last_written, (std::vector<uint8_t>{0xab, 0xcd}));
  EXPECT_TRUE(a.writes.empty());
  EXPECT_TRUE(b.reads.empty());
}

TEST(MmioBus, UnmappedAccessesReturnFalseAndLeaveDataAlone) {
  MmioBus bus;
  RecordingDevice a(0x100, 0);
  bus.Register(0x1000, a);
  uint8_t data[8] = {1, 2, 3, 4, 5, 6, 7, 8};
  EXPECT_FALSE(bus.Read(0xfff, data, 1));
  EXPECT_FALSE(bus.Read(0x1100, data, 8));
  EXPECT_FALSE(bus.Write(0, data, 4));
  EXPECT_EQ(data[0], 1);
  EXPECT_EQ(data[7], 8);
  EXPECT_TRUE(a.reads.empty());
  EXPECT_TRUE(a.writes.empty());
}

TEST(MmioBus, AccessCrossingTheWindowEndIsNotDispatched) {
  MmioBus bus;
  RecordingDevice a(0x100, 0);
  RecordingDevice b(0x100, 0);
  bus.Register(0x1000, a);
  bus.Register(0x1100, b);  // adjacent: the access would straddle two devices
  uint8_t data[8] = {};
  EXPECT_FALSE(bus.Read(0x10fc, data, 8));
  EXPECT_FALSE(bus.Write(0x10fe, data, 4));
  EXPECT_TRUE(bus.Read(0x10f8, data, 8));  // the last 8 bytes are fine
  EXPECT_EQ(a.reads.size(), 1u);
  EXPECT_TRUE(b.reads.empty());
  EXPECT_TRUE(b.writes.empty());
}

TEST(MmioBus, OnlyLengthsOneTwoFourEight) {
  MmioBus bus;
  RecordingDevice a(0x100, 0);
  bus.Register(0x1000, a);
  uint8_t data[16] = {};
  for (uint32_t len : {0u, 3u, 5u, 16u}) {
    EXPECT_FALSE(bus.Read(0x1000, data, len)) << len;
    EXPECT_FALSE(bus.Write(0x1000, data, len)) << len;
  }
  for (uint32_t len : {1u, 2u, 4u, 8u}) EXPECT_TRUE(bus.Read(0x1000, data, len)) << len;
  EXPECT_EQ(a.reads.size(), 4u);
  EXPECT_TRUE(a.writes.empty());
}

TEST(MmioBus, OverlapsAreRejected) {
  MmioBus bus;
  RecordingDevice big(0x1000, 0);
  bus.Register(0x10000, big);  // [0x10000, 0x11000)
  RecordingDevice same(0x1000, 0);
  RecordingDevice inside(0x10, 0);
  RecordingDevice around(0x3000, 0);
  RecordingDevice tail(0x100, 0);
  EXPECT_EQ(RegisterError(bus, 0x10000, same), ErrorKind::kInternal);
  EXPECT_EQ(RegisterError(bus, 0x10800, inside), ErrorKind::kInternal);
  EXPECT_EQ(RegisterError(bus, 0xf000, around), ErrorKind::kInternal);
  EXPECT_EQ(RegisterError(bus, 0xff80, tail), ErrorKind::kInternal);   // runs into it
  EXPECT_EQ(RegisterError(bus, 0x10ff0, tail), ErrorKind::kInternal);  // starts in it
  EXPECT_EQ(bus.size(), 1u);
  // Adjacent on both sides is fine.
  bus.Register(0xff00, tail);
  bus.Register(0x11000, inside);
  EXPECT_EQ(bus.size(), 3u);
}

TEST(MmioBus, EmptyOrWrappingWindowsAreRejected) {
  MmioBus bus;
  RecordingDevice empty(0, 0);
  RecordingDevice page(0x1000, 0);
  EXPECT_EQ(RegisterError(bus, 0x1000, empty), ErrorKind::kInternal);
  EXPECT_EQ(RegisterError(bus, 0xfffffffffffff800, page), ErrorKind::kInternal);
  EXPECT_EQ(bus.size(), 0u);
}

TEST(MmioBus, FindNamesTheWindowForDiagnostics) {
  MmioBus bus;
  RecordingDevice a(0x200, 0);
  bus.Register(0xa000000, a);
  const MmioBus::Window* w = bus.Find(0xa0001ff);
  ASSERT_NE(w, nullptr);
  EXPECT_EQ(w->base, 0xa000000u);
  EXPECT_EQ(w->size, 0x200u);
  EXPECT_EQ(w->device, &a);
  EXPECT_EQ(bus.Find(0xa000200), nullptr);
  EXPECT_EQ(bus.Find(0x9ffffff), nullptr);
  EXPECT_EQ(bus.Find(0), nullptr);
}

}  // namespace
}  // namespace vmrr
