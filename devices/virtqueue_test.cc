#include "devices/virtqueue.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <string>

#include "base/error.h"
#include "devices/virtq_test_driver.h"
#include "memory/guest_memory.h"

namespace vmrr {
namespace {

constexpr uint64_t kRam = 0x40000000;
constexpr uint64_t kRamSize = 1 << 20;
constexpr uint64_t kData = kRam + 0x10000;    // buffers
constexpr uint64_t kTables = kRam + 0x80000;  // indirect tables
constexpr uint32_t kQueueSize = 16;
constexpr uint16_t kNext = VirtqTestDriver::kNext;
constexpr uint16_t kIndirect = VirtqTestDriver::kIndirect;

using Buf = VirtqTestDriver::Buf;

class VirtqueueTest : public ::testing::Test {
 protected:
  explicit VirtqueueTest(uint64_t ram_size = kRamSize, bool indirect = true)
      : mem_(kRam, ram_size),
        driver_(mem_, kRam, kQueueSize),
        queue_(mem_, driver_.layout(), indirect) {}

  DescriptorChain PopOne() {
    std::optional<DescriptorChain> chain = queue_.PopChain();
    EXPECT_TRUE(chain.has_value());
    return chain.value_or(DescriptorChain{});
  }
  std::string ErrorOf(const DescriptorChain& chain) { return chain.error ? chain.error : "(none)"; }

  GuestMemory mem_;
  VirtqTestDriver driver_;
  Virtqueue queue_;
};

TEST(VirtqueueLayout, CheckLayoutAcceptsAValidQueue) {
  GuestMemory mem(kRam, kRamSize);
  VirtqTestDriver driver(mem, kRam, 1024);
  EXPECT_EQ(Virtqueue::CheckLayout(mem, driver.layout()), nullptr);
  VirtqTestDriver one(mem, kRam, 1);
  EXPECT_EQ(Virtqueue::CheckLayout(mem, one.layout()), nullptr);
}

TEST(VirtqueueLayout, CheckLayoutRejectsBadSizes) {
  GuestMemory mem(kRam, kRamSize);
  VirtqTestDriver driver(mem, kRam, 16);
  for (uint32_t size : {0u, 3u, 24u, 1023u, 2048u, 32768u}) {
    VirtqueueLayout l = driver.layout();
    l.size = size;
    EXPECT_NE(Virtqueue::CheckLayout(mem, l), nullptr) << size;
  }
}

TEST(VirtqueueLayout, CheckLayoutRejectsMisalignedOrOutsideRam) {
  GuestMemory mem(kRam, kRamSize);
  VirtqTestDriver driver(mem, kRam, 16);
  VirtqueueLayout l = driver.layout();
  l.desc_gpa += 8;
  EXPECT_NE(Virtqueue::CheckLayout(mem, l), nullptr);
  l = driver.layout();
  l.avail_gpa += 1;
  EXPECT_NE(Virtqueue::CheckLayout(mem, l), nullptr);
  l = driver.layout();
  l.used_gpa += 2;
  EXPECT_NE(Virtqueue::CheckLayout(mem, l), nullptr);
  l = driver.layout();
  l.desc_gpa = kRam + kRamSize - 16 * 8;  // half the table beyond RAM
  EXPECT_NE(Virtqueue::CheckLayout(mem, l), nullptr);
  l = driver.layout();
  l.used_gpa = kRam + kRamSize - 64;
  EXPECT_NE(Virtqueue::CheckLayout(mem, l), nullptr);
  l = driver.layout();
  l.avail_gpa = 0xfffffffffffffff0;  // wraps
  EXPECT_NE(Virtqueue::CheckLayout(mem, l), nullptr);
  l = driver.layout();
  l.desc_gpa = 0;
  EXPECT_NE(Virtqueue::CheckLayout(mem, l), nullptr);
}

TEST(VirtqueueLayout, ConstructorInsistsOnACheckedLayout) {
  GuestMemory mem(kRam, kRamSize);
  VirtqueueLayout l{12, kRam, kRam + 0x1000, kRam + 0x2000};
  try {
    Virtqueue q(mem, l, false);
    FAIL() << "expected an Error";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::kInternal);
  }
}

TEST_F(VirtqueueTest, EmptyQueuePopsNothing) {
  EXPECT_FALSE(queue_.PopChain().has_value());
  EXPECT_FALSE(queue_.broken());
}

TEST_F(VirtqueueTest, NormalChainInOrderAndUsedRing) {
  uint16_t head = driver_.WriteAndMakeAvailable(
      {{kData, 16, false}, {kData + 0x1000, 512, true}, {kData + 0x2000, 1, true}});
  DescriptorChain chain = PopOne();
  EXPECT_EQ(chain.error, nullptr);
  EXPECT_EQ(chain.head, head);
  ASSERT_EQ(chain.buffers.size(), 3u);
  EXPECT_EQ(chain.buffers[0].gpa, kData);
  EXPECT_EQ(chain.buffers[0].len, 16u);
  EXPECT_FALSE(chain.buffers[0].device_writable);
  EXPECT_EQ(chain.buffers[1].gpa, kData + 0x1000);
  EXPECT_EQ(chain.buffers[1].len, 512u);
  EXPECT_TRUE(chain.buffers[1].device_writable);
  EXPECT_TRUE(chain.buffers[2].device_writable);
  EXPECT_FALSE(queue_.PopChain().has_value());
  EXPECT_EQ(queue_.in_flight(), 1u);

  ASSERT_TRUE(queue_.PushUsed(chain.head, 513));
  EXPECT_EQ(driver_.UsedIdx(), 1);
  EXPECT_EQ(driver_.UsedId(0), head);
  EXPECT_EQ(driver_.UsedLen(0), 513u);
  EXPECT_EQ(queue_.in_flight(), 0u);
  EXPECT_EQ(queue_.used_idx(), 1);
  EXPECT_EQ(queue_.last_avail_idx(), 1);
}

TEST_F(VirtqueueTest, SeveralChainsComeOutInAvailOrder) {
  uint16_t a = driver_.WriteAndMakeAvailable({{kData, 8, false}});
  uint16_t b = driver_.WriteAndMakeAvailable({{kData + 8, 8, true}, {kData + 16, 8, true}});
  uint16_t c = driver_.WriteAndMakeAvailable({{kData + 32, 4, false}});
  EXPECT_EQ(PopOne().head, a);
  DescriptorChain second = PopOne();
  EXPECT_EQ(second.head, b);
  EXPECT_EQ(second.buffers.size(), 2u);
  EXPECT_EQ(PopOne().head, c);
  EXPECT_FALSE(queue_.PopChain().has_value());
  // Completion order is the device's choice.
  EXPECT_TRUE(queue_.PushUsed(c, 0));
  EXPECT_TRUE(queue_.PushUsed(a, 0));
  EXPECT_EQ(driver_.UsedId(0), c);
  EXPECT_EQ(driver_.UsedId(1), a);
}

TEST_F(VirtqueueTest, IndexesWrapAt16Bits) {
  for (uint32_t i = 0; i < 70000; ++i) {
    uint16_t head = driver_.WriteAndMakeAvailable({{kData, 4, false}});
    std::optional<DescriptorChain> chain = queue_.PopChain();
    if (!chain) FAIL() << "nothing available at " << i;
    ASSERT_EQ(chain->head, head);
    ASSERT_TRUE(queue_.PushUsed(chain->head, 0));
  }
  EXPECT_EQ(queue_.used_idx(), static_cast<uint16_t>(70000));
  EXPECT_EQ(driver_.UsedIdx(), static_cast<uint16_t>(70000));
  EXPECT_FALSE(queue_.broken());
}

TEST_F(VirtqueueTest, IndirectChain) {
  uint16_t head = driver_.WriteIndirectChain(
      kTables, {{kData, 16, false}, {kData + 0x100, 4096, true}, {kData + 0x2000, 1, true}});
  driver_.MakeAvailable(head);
  DescriptorChain chain = PopOne();
  EXPECT_EQ(chain.error, nullptr) << ErrorOf(chain);
  EXPECT_EQ(chain.head, head);
  ASSERT_EQ(chain.buffers.size(), 3u);
  EXPECT_EQ(chain.buffers[1].gpa, kData + 0x100);
  EXPECT_EQ(chain.buffers[1].len, 4096u);
  EXPECT_TRUE(chain.buffers[2].device_writable);
}

TEST_F(VirtqueueTest, IndirectAfterDirectDescriptors) {
  driver_.SetDesc(0, kData, 16, 0, 0, kTables);
  driver_.SetDesc(1, kTables, 16, kIndirect, 0);
  driver_.SetDesc(0, kData + 0x200, 8, kNext, 1);
  driver_.MakeAvailable(0);
  DescriptorChain chain = PopOne();
  ASSERT_EQ(chain.error, nullptr) << ErrorOf(chain);
  ASSERT_EQ(chain.buffers.size(), 2u);
  EXPECT_EQ(chain.buffers[0].gpa, kData + 0x200);
  EXPECT_EQ(chain.buffers[1].gpa, kData);
}

TEST(VirtqueueIndirect, RefusedWhenNotNegotiated) {
  GuestMemory mem(kRam, kRamSize);
  VirtqTestDriver driver(mem, kRam, kQueueSize);
  Virtqueue queue(mem, driver.layout(), /*indirect=*/false);
  driver.MakeAvailable(driver.WriteIndirectChain(kTables, {{kData, 16, false}}));
  std::optional<DescriptorChain> chain = queue.PopChain();
  if (!chain) FAIL() << "nothing available";
  EXPECT_NE(chain->error, nullptr);
  EXPECT_TRUE(chain->buffers.empty());
  EXPECT_TRUE(queue.PushUsed(chain->head, 0));  // it still goes back to the driver
  EXPECT_FALSE(queue.broken());
}

TEST_F(VirtqueueTest, MalformedIndirectTablesAreRejected) {
  struct Case {
    const char* what;
    uint64_t addr;
    uint32_t len;
    uint16_t flags;
  };
  const Case cases[] = {
      {"table outside RAM", kRam + kRamSize - 16, 32, kIndirect},
      {"table wrapping", 0xfffffffffffffff0, 32, kIndirect},
      {"length not a multiple of 16", kTables, 24, kIndirect},
      {"empty table", kTables, 0, kIndirect},
      {"longer than the queue", kTables, 16 * (kQueueSize + 1), kIndirect},
      {"indirect with NEXT", kTables, 16, kIndirect | kNext},
  };
  driver_.SetDesc(0, kData, 16, 0, 0, kTables);  // a valid entry for each table
  for (const Case& c : cases) {
    driver_.SetDesc(0, c.addr, c.len, c.flags, 1);
    driver_.SetDesc(1, kData, 16, 0, 0);
    driver_.MakeAvailable(0);
    DescriptorChain chain = PopOne();
    EXPECT_NE(chain.error, nullptr) << c.what;
    EXPECT_TRUE(chain.buffers.empty()) << c.what;
    EXPECT_TRUE(queue_.PushUsed(chain.head, 0));
  }
  EXPECT_FALSE(queue_.broken());
}

TEST_F(VirtqueueTest, NestedIndirectIsRejected) {
  driver_.SetDesc(0, kTables + 0x100, 16, kIndirect, 0, kTables);
  driver_.SetDesc(0, kData, 16, 0, 0, kTables + 0x100);
  driver_.SetDesc(0, kTables, 16, kIndirect, 0);
  driver_.MakeAvailable(0);
  DescriptorChain chain = PopOne();
  EXPECT_STREQ(chain.error, "indirect descriptor inside an indirect table");
}

TEST_F(VirtqueueTest, BufferOutsideRamRejectsTheChainButKeepsItsShape) {
  driver_.WriteAndMakeAvailable(
      {{kData, 16, false}, {kRam + kRamSize - 0x100, 0x200, true}, {kData + 0x100, 1, true}});
  DescriptorChain chain = PopOne();
  EXPECT_STREQ(chain.error, "buffer not in RAM");
  ASSERT_EQ(chain.buffers.size(), 3u);
  EXPECT_EQ(chain.buffers[2].gpa, kData + 0x100);
  // Entirely below RAM.
  driver_.WriteAndMakeAvailable({{0x1000, 16, false}});
  EXPECT_STREQ(PopOne().error, "buffer not in RAM");
}

TEST_F(VirtqueueTest, AddressPlusLengthOverflowIsRejected) {
  driver_.WriteAndMakeAvailable({{0xfffffffffffff000, 0x2000, true}});
  DescriptorChain chain = PopOne();
  EXPECT_STREQ(chain.error, "buffer not in RAM");
  driver_.WriteAndMakeAvailable({{kData, 0xffffffff, false}});
  EXPECT_NE(PopOne().error, nullptr);
}

TEST_F(VirtqueueTest, LoopsAreRejected) {
  driver_.SetDesc(3, kData, 8, kNext, 3);  // points at itself
  driver_.MakeAvailable(3);
  DescriptorChain self = PopOne();
  EXPECT_STREQ(self.error, "descriptor chain loops");
  EXPECT_TRUE(self.buffers.empty());

  driver_.SetDesc(4, kData, 8, kNext, 5);
  driver_.SetDesc(5, kData, 8, kNext, 6);
  driver_.SetDesc(6, kData, 8, kNext, 4);
  driver_.MakeAvailable(4);
  EXPECT_STREQ(PopOne().error, "descriptor chain loops");

  // A loop inside an indirect table.
  driver_.SetDesc(0, kData, 8, kNext, 1, kTables);
  driver_.SetDesc(1, kData, 8, kNext, 0, kTables);
  driver_.SetDesc(7, kTables, 32, kIndirect, 0);
  driver_.MakeAvailable(7);
  EXPECT_STREQ(PopOne().error, "descriptor chain loops");
}

TEST_F(VirtqueueTest, NextBeyondTheTableIsRejected) {
  driver_.SetDesc(0, kData, 8, kNext, kQueueSize);
  driver_.MakeAvailable(0);
  EXPECT_STREQ(PopOne().error, "descriptor index beyond its table");
  // In an indirect table of two entries, "next = 2" is beyond it.
  driver_.SetDesc(0, kData, 8, kNext, 1, kTables);
  driver_.SetDesc(1, kData, 8, kNext, 2, kTables);
  driver_.SetDesc(1, kTables, 32, kIndirect, 0);
  driver_.MakeAvailable(1);
  EXPECT_STREQ(PopOne().error, "descriptor index beyond its table");
}

TEST_F(VirtqueueTest, ChainLongerThanTheQueueIsRejected) {
  // Direct descriptors 0..14, then an indirect table of 16: 31 buffers > 16.
  for (uint16_t i = 0; i < kQueueSize - 1; ++i) driver_.SetDesc(i, kData, 8, kNext, i + 1);
  driver_.SetDesc(kQueueSize - 1, kTables, 16 * kQueueSize, kIndirect, 0);
  for (uint16_t i = 0; i < kQueueSize; ++i) {
    bool last = i + 1 == kQueueSize;
    driver_.SetDesc(i, kData, 8, last ? 0 : kNext, last ? 0 : i + 1, kTables);
  }
  driver_.MakeAvailable(0);
  EXPECT_STREQ(PopOne().error, "descriptor chain longer than the queue");
  // A full-size indirect table alone is fine.
  driver_.MakeAvailable(kQueueSize - 1);
  DescriptorChain ok = PopOne();
  EXPECT_EQ(ok.error, nullptr) << ErrorOf(ok);
  EXPECT_EQ(ok.buffers.size(), kQueueSize);
}

TEST_F(VirtqueueTest, ReadableAfterWritableIsRejected) {
  driver_.WriteAndMakeAvailable({{kData, 8, true}, {kData + 8, 8, false}});
  DescriptorChain chain = PopOne();
  EXPECT_STREQ(chain.error, "device-readable buffer after a device-writable one");
  EXPECT_EQ(chain.buffers.size(), 2u);
}

class BigRamVirtqueueTest : public VirtqueueTest {
 protected:
  BigRamVirtqueueTest() : VirtqueueTest(64 << 20) {}
};

TEST_F(BigRamVirtqueueTest, OversizedChainIsRejected) {
  const uint32_t half = Virtqueue::kMaxChainBytes / 2;
  driver_.WriteAndMakeAvailable({{kData, half, false}, {kData + half, half, true}});
  EXPECT_EQ(PopOne().error, nullptr);  // exactly the limit
  driver_.WriteAndMakeAvailable({{kData, half, false}, {kData + half, half + 1, true}});
  DescriptorChain chain = PopOne();
  EXPECT_STREQ(chain.error, "descriptor chain too large");
  EXPECT_EQ(chain.buffers.size(), 2u);
}

TEST_F(VirtqueueTest, AvailIndexRunningTooFarAheadBreaksTheQueue) {
  driver_.WriteChain({{kData, 8, false}});
  driver_.SetAvailIdx(kQueueSize);  // exactly a full ring: fine
  EXPECT_TRUE(queue_.PopChain().has_value());
  driver_.SetAvailIdx(kQueueSize + 2);  // 17 ahead of last_avail_idx 1
  EXPECT_FALSE(queue_.PopChain().has_value());
  EXPECT_TRUE(queue_.broken());
  EXPECT_STREQ(queue_.broken_reason(), "available index moved ahead by more than the queue size");
  // Broken stays broken.
  driver_.SetAvailIdx(2);
  EXPECT_FALSE(queue_.PopChain().has_value());
  EXPECT_FALSE(queue_.PushUsed(0, 0));
}

TEST_F(VirtqueueTest, AvailIndexGoingBackwardsBreaksTheQueue) {
  driver_.WriteAndMakeAvailable({{kData, 8, false}});
  EXPECT_TRUE(queue_.PopChain().has_value());
  driver_.SetAvailIdx(0);  // 0xffff ahead of 1
  EXPECT_FALSE(queue_.PopChain().has_value());
  EXPECT_TRUE(queue_.broken());
}

TEST_F(VirtqueueTest, HeadBeyondTheQueueBreaksIt) {
  driver_.MakeAvailable(kQueueSize);
  EXPECT_FALSE(queue_.PopChain().has_value());
  EXPECT_TRUE(queue_.broken());
}

TEST_F(VirtqueueTest, MoreUsedThanPoppedBreaksTheQueue) {
  EXPECT_FALSE(queue_.PushUsed(0, 0));
  EXPECT_TRUE(queue_.broken());
  EXPECT_EQ(driver_.UsedIdx(), 0);
}

TEST_F(VirtqueueTest, DescriptorIsReadOnce) {
  // What PopChain returns is a copy: later rewrites by the guest do not change it.
  driver_.WriteAndMakeAvailable({{kData, 16, false}});
  DescriptorChain chain = PopOne();
  driver_.SetDesc(chain.head, 0xdead0000, 0x1000, 0, 0);
  EXPECT_EQ(chain.buffers[0].gpa, kData);
  EXPECT_EQ(chain.buffers[0].len, 16u);
}

}  // namespace
}  // namespace vmrr
