#include "devices/rtc_goldfish.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <vector>

#include "devices/mmio_access.h"

namespace vmrr {
namespace {

constexpr uint64_t kTimeLow = 0x00, kTimeHigh = 0x04, kAlarmLow = 0x08, kAlarmHigh = 0x0c,
                   kIrqEnabled = 0x10, kClearAlarm = 0x14, kAlarmStatus = 0x18,
                   kClearInterrupt = 0x1c;

constexpr uint64_t kStart = 1700000000123456789;  // ns since the epoch

class GoldfishTest : public ::testing::Test {
 protected:
  GoldfishTest()
      : rtc_(
            [this] {
              ++clock_reads_;
              return now_;
            },
            [this](bool level) { levels_.push_back(level); }) {}

  uint32_t R(uint64_t offset) {
    uint8_t data[4];
    rtc_.Read(offset, data, 4);
    return static_cast<uint32_t>(LoadLe(data, 4));
  }
  void W(uint64_t offset, uint32_t value) {
    uint8_t data[4];
    StoreLe(data, 4, value);
    rtc_.Write(offset, data, 4);
  }
  uint64_t ReadTime() {
    uint64_t low = R(kTimeLow);
    return (uint64_t{R(kTimeHigh)} << 32) | low;
  }
  void SetAlarm(uint64_t ns) {
    W(kAlarmHigh, static_cast<uint32_t>(ns >> 32));
    W(kAlarmLow, static_cast<uint32_t>(ns));
  }

  uint64_t now_ = kStart;
  int clock_reads_ = 0;
  std::vector<bool> levels_;
  RtcGoldfish rtc_;
};

TEST_F(GoldfishTest, ReadsTheClockInNanoseconds) {
  EXPECT_EQ(rtc_.window_size(), 0x1000u);
  EXPECT_EQ(ReadTime(), kStart);
  now_ += 1000;
  EXPECT_EQ(ReadTime(), kStart + 1000);
}

TEST_F(GoldfishTest, TimeLowLatchesTimeHigh) {
  now_ = 0x00000001fffffff0;
  EXPECT_EQ(R(kTimeLow), 0xfffffff0u);
  now_ = 0x0000000200000010;    // the high word moves on...
  EXPECT_EQ(R(kTimeHigh), 1u);  // ...but the latch does not
  EXPECT_EQ(R(kTimeHigh), 1u);
  EXPECT_EQ(R(kTimeLow), 0x10u);
  EXPECT_EQ(R(kTimeHigh), 2u);
  EXPECT_EQ(clock_reads_, 2);  // one clock read per TIME_LOW, none for TIME_HIGH
}

TEST_F(GoldfishTest, GuestSetsTheTime) {
  const uint64_t set = 1234567890000000000;
  W(kTimeHigh, static_cast<uint32_t>(set >> 32));
  W(kTimeLow, static_cast<uint32_t>(set));
  EXPECT_EQ(ReadTime(), set);
  now_ += 5;
  EXPECT_EQ(ReadTime(), set + 5);
}

TEST_F(GoldfishTest, AlarmFiresWhenItsTimeComes) {
  W(kIrqEnabled, 1);
  EXPECT_EQ(R(kIrqEnabled), 1u);
  SetAlarm(kStart + 1000);
  EXPECT_EQ(R(kAlarmStatus), 1u);
  EXPECT_EQ(R(kAlarmLow), static_cast<uint32_t>(kStart + 1000));
  EXPECT_EQ(R(kAlarmHigh), static_cast<uint32_t>((kStart + 1000) >> 32));
  now_ += 999;
  rtc_.Poll();
  EXPECT_FALSE(rtc_.irq_level());
  now_ += 1;
  rtc_.Poll();
  EXPECT_TRUE(rtc_.irq_level());
  EXPECT_EQ(R(kAlarmStatus), 0u);
  W(kClearInterrupt, 1);
  EXPECT_FALSE(rtc_.irq_level());
  EXPECT_EQ(levels_, std::vector<bool>({true, false}));
}

TEST_F(GoldfishTest, AlarmInThePastFiresAtOnce) {
  W(kIrqEnabled, 1);
  SetAlarm(kStart - 1);
  EXPECT_TRUE(rtc_.irq_level());
  EXPECT_EQ(R(kAlarmStatus), 0u);
}

TEST_F(GoldfishTest, DisabledInterruptKeepsThePendingAlarm) {
  SetAlarm(kStart + 10);
  now_ += 10;
  rtc_.Poll();
  EXPECT_FALSE(rtc_.irq_level());
  W(kIrqEnabled, 1);  // pending alarm shows up once enabled
  EXPECT_TRUE(rtc_.irq_level());
  W(kIrqEnabled, 0);
  EXPECT_FALSE(rtc_.irq_level());
}

TEST_F(GoldfishTest, ClearAlarmStopsIt) {
  W(kIrqEnabled, 1);
  SetAlarm(kStart + 10);
  W(kClearAlarm, 1);
  EXPECT_EQ(R(kAlarmStatus), 0u);
  now_ += 100;
  rtc_.Poll();
  EXPECT_FALSE(rtc_.irq_level());
}

TEST_F(GoldfishTest, NoClockReadsWithoutAnAlarm) {
  R(kIrqEnabled);
  R(kAlarmStatus);
  R(kTimeHigh);
  rtc_.Poll();
  EXPECT_EQ(clock_reads_, 0);
}

TEST_F(GoldfishTest, OnlyAligned32BitAccesses) {
  uint8_t b[8] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
  rtc_.Read(kTimeLow, b, 8);
  EXPECT_EQ(LoadLe(b, 8), 0u);
  EXPECT_EQ(clock_reads_, 0);
  uint8_t one[1] = {1};
  rtc_.Write(kIrqEnabled, one, 1);
  EXPECT_EQ(R(kIrqEnabled), 0u);
}

}  // namespace
}  // namespace vmrr
