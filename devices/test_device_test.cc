#include "devices/test_device.h"

#include <gtest/gtest.h>

#include <chrono>
#include <cstdint>
#include <deque>
#include <vector>

#include "devices/mmio_access.h"

namespace vmrr {
namespace {

using std::chrono::microseconds;
using TimePoint = TestDevice::TimePoint;

class TestDeviceTest : public ::testing::Test {
 protected:
  TestDeviceTest()
      : dev_([this](bool level) { levels_.push_back(level); },
             [this] {
               ++random_reads_;
               if (randoms_.empty()) return uint32_t{0};
               uint32_t v = randoms_.front();
               randoms_.pop_front();
               return v;
             },
             [this] { return now_; }) {}

  uint32_t R(uint64_t offset) {
    uint8_t data[4];
    dev_.Read(offset, data, 4);
    return static_cast<uint32_t>(LoadLe(data, 4));
  }
  void W(uint64_t offset, uint32_t value) {
    uint8_t data[4];
    StoreLe(data, 4, value);
    dev_.Write(offset, data, 4);
  }
  void Advance(microseconds d) { now_ += d; }

  TimePoint now_ = TimePoint() + std::chrono::seconds(1000);
  std::deque<uint32_t> randoms_;
  int random_reads_ = 0;
  std::vector<bool> levels_;
  TestDevice dev_;
};

TEST_F(TestDeviceTest, IdAndWindow) {
  EXPECT_EQ(dev_.window_size(), 0x1000u);
  EXPECT_EQ(R(TestDevice::kRegId), 0x74726d76u);
  EXPECT_EQ(R(0x14), 0u);
  EXPECT_EQ(R(0xffc), 0u);
  EXPECT_EQ(random_reads_, 0);
}

TEST_F(TestDeviceTest, RandomReadsTheSourceEachTime) {
  randoms_ = {0xdeadbeef, 7};
  EXPECT_EQ(R(TestDevice::kRegRandom), 0xdeadbeefu);
  EXPECT_EQ(R(TestDevice::kRegRandom), 7u);
  EXPECT_EQ(random_reads_, 2);
  W(TestDevice::kRegRandom, 1);  // read-only, no effect
  EXPECT_EQ(random_reads_, 2);
}

TEST_F(TestDeviceTest, TimerFiresOnlyWhenPolledAfterItsDeadline) {
  EXPECT_FALSE(dev_.NextDeadline());
  randoms_ = {0};  // the shortest delay: N/2
  W(TestDevice::kRegTimer, 1000);
  ASSERT_TRUE(dev_.NextDeadline());
  EXPECT_EQ(*dev_.NextDeadline(), now_ + microseconds(500));
  EXPECT_EQ(R(TestDevice::kRegTimer), 1u);

  Advance(microseconds(499));
  dev_.PollHostTime();
  EXPECT_FALSE(dev_.irq_level());
  EXPECT_EQ(R(TestDevice::kRegFired), 0u);

  Advance(microseconds(5000));  // late: nothing happens until polled
  EXPECT_FALSE(dev_.irq_level());
  EXPECT_EQ(R(TestDevice::kRegStatus), 0u);
  dev_.PollHostTime();
  EXPECT_TRUE(dev_.irq_level());
  EXPECT_EQ(R(TestDevice::kRegStatus), 1u);
  EXPECT_EQ(R(TestDevice::kRegFired), 1u);
  EXPECT_EQ(R(TestDevice::kRegTimer), 0u);  // one-shot
  EXPECT_FALSE(dev_.NextDeadline());

  W(TestDevice::kRegStatus, 0);  // any value acknowledges
  EXPECT_FALSE(dev_.irq_level());
  EXPECT_EQ(R(TestDevice::kRegStatus), 0u);
  dev_.PollHostTime();  // no repeat
  EXPECT_FALSE(dev_.irq_level());
  EXPECT_EQ(levels_, std::vector<bool>({true, false}));
}

TEST_F(TestDeviceTest, DelayIsUniformInHalfToFull) {
  randoms_ = {0xffffffff};  // the longest: N
  W(TestDevice::kRegTimer, 1000);
  EXPECT_EQ(*dev_.NextDeadline(), now_ + microseconds(1000));
  randoms_ = {0x80000000};  // the middle of [500, 1000]'s 501 values
  W(TestDevice::kRegTimer, 1000);
  EXPECT_EQ(*dev_.NextDeadline(), now_ + microseconds(750));
  randoms_ = {0xffffffff};
  W(TestDevice::kRegTimer, 0xffffffff);  // no overflow at the largest N
  EXPECT_EQ(*dev_.NextDeadline(), now_ + microseconds(0xffffffffu));
  randoms_ = {0, 0xffffffff};
  W(TestDevice::kRegTimer, 1);
  EXPECT_EQ(*dev_.NextDeadline(), now_);
  W(TestDevice::kRegTimer, 1);
  EXPECT_EQ(*dev_.NextDeadline(), now_ + microseconds(1));
}

TEST_F(TestDeviceTest, ZeroDisarmsAndRearmingReplaces) {
  randoms_ = {0, 0};
  W(TestDevice::kRegTimer, 100);
  W(TestDevice::kRegTimer, 0);
  EXPECT_FALSE(dev_.NextDeadline());
  EXPECT_EQ(R(TestDevice::kRegTimer), 0u);
  Advance(microseconds(1000));
  dev_.PollHostTime();
  EXPECT_FALSE(dev_.irq_level());

  W(TestDevice::kRegTimer, 100);
  W(TestDevice::kRegTimer, 10000);  // the later deadline wins
  Advance(microseconds(100));
  dev_.PollHostTime();
  EXPECT_FALSE(dev_.irq_level());
  Advance(microseconds(5000));
  dev_.PollHostTime();
  EXPECT_TRUE(dev_.irq_level());
  EXPECT_EQ(dev_.fired(), 1u);
}

TEST_F(TestDeviceTest, FiringWhileAssertedCountsButKeepsTheLine) {
  W(TestDevice::kRegTimer, 2);
  Advance(microseconds(2));
  dev_.PollHostTime();
  W(TestDevice::kRegTimer, 2);
  Advance(microseconds(2));
  dev_.PollHostTime();
  EXPECT_EQ(R(TestDevice::kRegFired), 2u);
  EXPECT_EQ(levels_, std::vector<bool>({true}));
  W(TestDevice::kRegStatus, 1);
  W(TestDevice::kRegStatus, 1);
  EXPECT_EQ(levels_, std::vector<bool>({true, false}));
}

TEST_F(TestDeviceTest, OnlyAligned32BitAccesses) {
  uint8_t b[8] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
  dev_.Read(TestDevice::kRegId, b, 8);
  EXPECT_EQ(LoadLe(b, 8), 0u);
  dev_.Read(TestDevice::kRegId, b, 2);
  EXPECT_EQ(LoadLe(b, 2), 0u);
  dev_.Read(TestDevice::kRegId + 1, b, 4);
  EXPECT_EQ(LoadLe(b, 4), 0u);
  dev_.Read(TestDevice::kRegRandom, b, 1);  // consumes no randomness
  EXPECT_EQ(random_reads_, 0);

  uint8_t n[8] = {0x10, 0, 0, 0, 0, 0, 0, 0};
  dev_.Write(TestDevice::kRegTimer, n, 8);
  dev_.Write(TestDevice::kRegTimer, n, 1);
  dev_.Write(TestDevice::kRegTimer + 2, n, 4);
  EXPECT_FALSE(dev_.NextDeadline());
  EXPECT_EQ(random_reads_, 0);

  W(TestDevice::kRegTimer, 1);
  Advance(microseconds(1));
  dev_.PollHostTime();
  ASSERT_TRUE(dev_.irq_level());
  dev_.Write(TestDevice::kRegStatus, n, 2);  // not an acknowledgement
  dev_.Write(TestDevice::kRegStatus + 1, n, 4);
  EXPECT_TRUE(dev_.irq_level());
  W(TestDevice::kRegFired, 0);  // read-only
  W(TestDevice::kRegId, 0);
  EXPECT_EQ(R(TestDevice::kRegFired), 1u);
  EXPECT_EQ(R(TestDevice::kRegId), TestDevice::kId);
}

TEST_F(TestDeviceTest, NoTimeOrRandomnessWithoutTheTimer) {
  // Host time is read only to arm the timer and while it is armed.
  int clock_reads = 0;
  TestDevice dev(
      {}, [] { return uint32_t{0}; },
      [&clock_reads] {
        ++clock_reads;
        return TimePoint();
      });
  uint8_t data[4];
  dev.Read(TestDevice::kRegStatus, data, 4);
  dev.Read(TestDevice::kRegFired, data, 4);
  dev.PollHostTime();
  EXPECT_EQ(clock_reads, 0);
  StoreLe(data, 4, 10);
  dev.Write(TestDevice::kRegTimer, data, 4);
  EXPECT_EQ(clock_reads, 1);
  dev.PollHostTime();  // due after 5..10 µs of a clock that stands still
  EXPECT_EQ(clock_reads, 2);
  EXPECT_FALSE(dev.irq_level());  // and no IrqLine: nothing to call
}

}  // namespace
}  // namespace vmrr
