#include "devices/rtc_pl031.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <vector>

#include "devices/mmio_access.h"

namespace vmrr {
namespace {

constexpr uint64_t kDr = 0x00, kMr = 0x04, kLr = 0x08, kCr = 0x0c, kImsc = 0x10, kRis = 0x14,
                   kMis = 0x18, kIcr = 0x1c;

class Pl031Test : public ::testing::Test {
 protected:
  Pl031Test()
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

  uint64_t now_ = 1700000000;  // seconds since the epoch
  int clock_reads_ = 0;
  std::vector<bool> levels_;
  RtcPl031 rtc_;
};

TEST_F(Pl031Test, AmbaIdentification) {
  EXPECT_EQ(rtc_.window_size(), 0x1000u);
  const uint32_t periph[] = {0x31, 0x10, 0x14, 0x00};
  const uint32_t cell[] = {0x0d, 0xf0, 0x05, 0xb1};
  for (int i = 0; i < 4; ++i) {
    EXPECT_EQ(R(0xfe0 + 4 * i), periph[i]) << i;
    EXPECT_EQ(R(0xff0 + 4 * i), cell[i]) << i;
  }
  EXPECT_EQ(R(0xfd0), 0u);
}

TEST_F(Pl031Test, DataRegisterFollowsTheClock) {
  EXPECT_EQ(R(kDr), 1700000000u);
  now_ += 5;
  EXPECT_EQ(R(kDr), 1700000005u);
  EXPECT_EQ(R(kCr), 1u);  // running
  W(kDr, 0);              // read-only
  EXPECT_EQ(R(kDr), 1700000005u);
}

TEST_F(Pl031Test, LoadRegisterSetsTheCounter) {
  W(kLr, 1000);
  EXPECT_EQ(R(kLr), 1000u);
  EXPECT_EQ(R(kDr), 1000u);
  now_ += 42;
  EXPECT_EQ(R(kDr), 1042u);
  EXPECT_EQ(R(kLr), 1000u);  // LR reads what was loaded
  W(kCr, 0);                 // cannot stop it
  now_ += 1;
  EXPECT_EQ(R(kDr), 1043u);
}

TEST_F(Pl031Test, NoClockReadsWithoutAnAlarm) {
  // The clock is an external input; only DR needs it unless an alarm is set.
  R(kCr);
  R(kRis);
  W(kImsc, 1);
  rtc_.Poll();
  EXPECT_EQ(clock_reads_, 0);
  R(kDr);
  EXPECT_EQ(clock_reads_, 1);
}

TEST_F(Pl031Test, MatchInterrupt) {
  W(kImsc, 1);
  W(kMr, 1700000010);
  EXPECT_EQ(R(kMr), 1700000010u);
  EXPECT_EQ(R(kRis), 0u);
  EXPECT_FALSE(rtc_.irq_level());
  now_ += 9;
  rtc_.Poll();
  EXPECT_FALSE(rtc_.irq_level());
  now_ += 1;
  rtc_.Poll();
  EXPECT_TRUE(rtc_.irq_level());
  EXPECT_EQ(R(kRis), 1u);
  EXPECT_EQ(R(kMis), 1u);
  W(kIcr, 1);
  EXPECT_EQ(R(kRis), 0u);
  EXPECT_FALSE(rtc_.irq_level());
  EXPECT_EQ(levels_, std::vector<bool>({true, false}));
  // It fired once: no repeat while the counter stays past MR.
  now_ += 100;
  rtc_.Poll();
  EXPECT_EQ(R(kRis), 0u);
}

TEST_F(Pl031Test, MaskedMatchSetsRawStatusOnly) {
  W(kMr, 1700000001);
  now_ += 3;  // seen late: still fires
  EXPECT_EQ(R(kRis), 1u);
  EXPECT_EQ(R(kMis), 0u);
  EXPECT_FALSE(rtc_.irq_level());
  W(kImsc, 1);
  EXPECT_TRUE(rtc_.irq_level());
  W(kImsc, 0);
  EXPECT_FALSE(rtc_.irq_level());
}

TEST_F(Pl031Test, MatchAtTheCurrentTimeFiresAtOnceAndPastNever) {
  W(kImsc, 1);
  W(kMr, 1700000000);
  EXPECT_TRUE(rtc_.irq_level());
  W(kIcr, 1);
  W(kMr, 1600000000);  // in the past: only after the counter wraps
  now_ += 1000;
  rtc_.Poll();
  EXPECT_FALSE(rtc_.irq_level());
}

TEST_F(Pl031Test, LoadingPastTheMatchDoesNotFire) {
  W(kImsc, 1);
  W(kMr, 1700000100);
  W(kLr, 1800000000);
  now_ += 200;
  rtc_.Poll();
  EXPECT_FALSE(rtc_.irq_level());
}

TEST_F(Pl031Test, OnlyAligned32BitAccesses) {
  uint8_t b[8] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
  rtc_.Read(0xfe0, b, 1);
  EXPECT_EQ(b[0], 0);
  rtc_.Read(kDr, b, 8);
  EXPECT_EQ(LoadLe(b, 8), 0u);
  uint8_t one[2] = {1, 0};
  rtc_.Write(kImsc, one, 2);
  EXPECT_EQ(R(kImsc), 0u);
  rtc_.Write(kImsc + 1, one, 4);
  EXPECT_EQ(R(kImsc), 0u);
}

}  // namespace
}  // namespace vmrr
