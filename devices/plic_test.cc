#include "devices/plic.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <vector>

#include "base/error.h"
#include "devices/mmio_access.h"

namespace vmrr {
namespace {

constexpr uint64_t Priority(uint32_t source) { return 4 * uint64_t{source}; }
constexpr uint64_t Pending(uint32_t word) { return 0x1000 + 4 * uint64_t{word}; }
constexpr uint64_t Enable(uint32_t context, uint32_t word) {
  return 0x2000 + 0x80 * uint64_t{context} + 4 * uint64_t{word};
}
constexpr uint64_t Threshold(uint32_t context) { return 0x200000 + 0x1000 * uint64_t{context}; }
constexpr uint64_t Claim(uint32_t context) { return 0x200004 + 0x1000 * uint64_t{context}; }

constexpr uint32_t kSources = 40;  // two pending/enable words
constexpr uint32_t kContexts = 2;

class PlicTest : public ::testing::Test {
 protected:
  PlicTest() : plic_(kSources, Outputs()) {}

  std::vector<IrqLine> Outputs() {
    std::vector<IrqLine> outputs;
    for (uint32_t c = 0; c < kContexts; ++c) {
      outputs.push_back([this, c](bool level) { levels_[c].push_back(level); });
    }
    return outputs;
  }

  uint32_t R(uint64_t offset) {
    uint8_t data[4];
    plic_.Read(offset, data, 4);
    return static_cast<uint32_t>(LoadLe(data, 4));
  }
  void W(uint64_t offset, uint32_t value) {
    uint8_t data[4];
    StoreLe(data, 4, value);
    plic_.Write(offset, data, 4);
  }
  // Enables `source` for `context` at `priority`.
  void Arm(uint32_t context, uint32_t source, uint32_t priority) {
    W(Priority(source), priority);
    uint64_t enable = Enable(context, source / 32);
    W(enable, R(enable) | (uint32_t{1} << (source % 32)));
  }
  bool IsPending(uint32_t source) { return (R(Pending(source / 32)) >> (source % 32)) & 1; }

  std::vector<bool> levels_[kContexts];  // every call of each context's output
  Plic plic_;
};

TEST_F(PlicTest, LinuxLikeSequence) {
  EXPECT_EQ(plic_.window_size(), 0x4000000u);
  W(Threshold(0), 0);
  Arm(0, 10, 1);
  EXPECT_TRUE(levels_[0].empty());
  plic_.SetLevel(10, true);
  EXPECT_EQ(levels_[0], std::vector<bool>{true});
  EXPECT_TRUE(plic_.output_level(0));
  EXPECT_EQ(R(Claim(0)), 10u);
  EXPECT_EQ(levels_[0], (std::vector<bool>{true, false}));
  plic_.SetLevel(10, false);  // the driver's handler quiets the device
  W(Claim(0), 10);
  EXPECT_EQ(levels_[0], (std::vector<bool>{true, false}));
  EXPECT_FALSE(IsPending(10));
  EXPECT_EQ(R(Claim(0)), 0u);
  EXPECT_TRUE(levels_[1].empty());
}

TEST_F(PlicTest, SourceLineDrivesTheSource) {
  Arm(0, 33, 2);
  IrqLine line = plic_.SourceLine(33);
  line(true);
  EXPECT_TRUE(IsPending(33));
  EXPECT_EQ(R(Pending(1)), 1u << 1);
  EXPECT_TRUE(plic_.output_level(0));
  line(false);
  EXPECT_FALSE(IsPending(33));
  EXPECT_FALSE(plic_.output_level(0));
}

TEST_F(PlicTest, PriorityMustExceedThreshold) {
  Arm(0, 5, 3);
  W(Threshold(0), 3);
  plic_.SetLevel(5, true);
  EXPECT_TRUE(IsPending(5));  // pending regardless of any context
  EXPECT_FALSE(plic_.output_level(0));
  EXPECT_EQ(R(Claim(0)), 0u);
  EXPECT_TRUE(IsPending(5));  // a claim of nothing takes nothing
  W(Threshold(0), 2);
  EXPECT_TRUE(plic_.output_level(0));
  W(Priority(5), 0);  // priority 0 never interrupts, even at threshold 0
  W(Threshold(0), 0);
  EXPECT_FALSE(plic_.output_level(0));
  EXPECT_EQ(R(Claim(0)), 0u);
}

TEST_F(PlicTest, ThresholdSevenMasksEverything) {
  for (uint32_t source = 1; source <= kSources; ++source) {
    Arm(0, source, 7);
    plic_.SetLevel(source, true);
  }
  W(Threshold(0), 7);
  EXPECT_EQ(R(Threshold(0)), 7u);
  EXPECT_FALSE(plic_.output_level(0));
  EXPECT_EQ(R(Claim(0)), 0u);
  W(Threshold(0), 6);
  EXPECT_EQ(R(Claim(0)), 1u);
}

TEST_F(PlicTest, PriorityAndThresholdKeepThreeBits) {
  W(Priority(1), 0xffffffff);
  EXPECT_EQ(R(Priority(1)), 7u);
  W(Priority(2), 9);
  EXPECT_EQ(R(Priority(2)), 1u);
  W(Threshold(1), 0x1f);
  EXPECT_EQ(R(Threshold(1)), 7u);
}

TEST_F(PlicTest, ClaimsHighestPriorityThenLowestId) {
  Arm(0, 3, 2);
  Arm(0, 7, 5);
  Arm(0, 8, 5);
  Arm(0, 35, 6);
  Arm(0, 36, 1);
  for (uint32_t source : {36, 8, 3, 35, 7}) plic_.SetLevel(source, true);
  std::vector<uint32_t> claims;
  for (int i = 0; i < 6; ++i) claims.push_back(R(Claim(0)));
  EXPECT_EQ(claims, (std::vector<uint32_t>{35, 7, 8, 3, 36, 0}));
  EXPECT_EQ(levels_[0], (std::vector<bool>{true, false}));
}

TEST_F(PlicTest, ClaimedSourceStaysQuietUntilComplete) {
  Arm(0, 4, 1);
  plic_.SetLevel(4, true);
  ASSERT_EQ(R(Claim(0)), 4u);
  EXPECT_FALSE(IsPending(4));
  // While in service, the line's movements do not reach the pending bit.
  plic_.SetLevel(4, false);
  plic_.SetLevel(4, true);
  EXPECT_FALSE(IsPending(4));
  EXPECT_FALSE(plic_.output_level(0));
  EXPECT_EQ(R(Claim(0)), 0u);
  // Completion while the line is high re-pends it.
  W(Claim(0), 4);
  EXPECT_TRUE(IsPending(4));
  EXPECT_TRUE(plic_.output_level(0));
  EXPECT_EQ(levels_[0], (std::vector<bool>{true, false, true}));
  EXPECT_EQ(R(Claim(0)), 4u);
  // Completion after the line dropped leaves it idle.
  plic_.SetLevel(4, false);
  W(Claim(0), 4);
  EXPECT_FALSE(IsPending(4));
  EXPECT_FALSE(plic_.output_level(0));
  // A second completion of the same ID changes nothing.
  plic_.SetLevel(4, true);
  EXPECT_TRUE(IsPending(4));
  W(Claim(0), 4);
  EXPECT_TRUE(IsPending(4));
}

TEST_F(PlicTest, LineLowBeforeClaimWithdrawsTheRequest) {
  Arm(0, 12, 1);
  plic_.SetLevel(12, true);
  EXPECT_TRUE(plic_.output_level(0));
  plic_.SetLevel(12, false);
  EXPECT_FALSE(IsPending(12));
  EXPECT_FALSE(plic_.output_level(0));
  EXPECT_EQ(R(Claim(0)), 0u);
  EXPECT_EQ(levels_[0], (std::vector<bool>{true, false}));
}

TEST_F(PlicTest, EnablesArePerContext) {
  Arm(0, 2, 1);
  Arm(1, 3, 1);
  plic_.SetLevel(3, true);
  EXPECT_FALSE(plic_.output_level(0));
  EXPECT_TRUE(plic_.output_level(1));
  EXPECT_EQ(R(Claim(0)), 0u);
  plic_.SetLevel(2, true);
  EXPECT_TRUE(plic_.output_level(0));
  EXPECT_EQ(R(Claim(1)), 3u);
  EXPECT_FALSE(plic_.output_level(1));
  EXPECT_TRUE(plic_.output_level(0));
  // Both contexts enable source 2: a claim by one takes it from the other.
  Arm(1, 2, 1);
  EXPECT_TRUE(plic_.output_level(1));
  EXPECT_EQ(R(Claim(1)), 2u);
  EXPECT_FALSE(plic_.output_level(0));
  EXPECT_FALSE(plic_.output_level(1));
  EXPECT_EQ(R(Claim(0)), 0u);
  // Completion through the other context is accepted.
  W(Claim(0), 2);
  EXPECT_TRUE(plic_.output_level(0));
  EXPECT_TRUE(plic_.output_level(1));
  EXPECT_EQ(levels_[0], (std::vector<bool>{true, false, true}));
  EXPECT_EQ(levels_[1], (std::vector<bool>{true, false, true, false, true}));
}

TEST_F(PlicTest, OutputCalledOnlyOnChange) {
  Arm(0, 1, 1);
  Arm(0, 2, 1);
  plic_.SetLevel(1, true);
  plic_.SetLevel(1, true);
  plic_.SetLevel(2, true);
  W(Priority(1), 4);
  W(Threshold(0), 1);
  R(Pending(0));
  EXPECT_EQ(levels_[0], std::vector<bool>{true});
  W(Threshold(0), 4);  // source 1 at 4 no longer exceeds it, source 2 never did
  EXPECT_EQ(levels_[0], (std::vector<bool>{true, false}));
  W(Enable(0, 0), 0);
  W(Threshold(0), 0);
  plic_.SetLevel(1, false);
  EXPECT_EQ(levels_[0], (std::vector<bool>{true, false}));
  W(Enable(0, 0), 1u << 2);
  EXPECT_EQ(levels_[0], (std::vector<bool>{true, false, true}));
  EXPECT_TRUE(levels_[1].empty());
}

TEST_F(PlicTest, SourceZeroAndOutOfRangeIds) {
  W(Priority(0), 7);
  EXPECT_EQ(R(Priority(0)), 0u);
  W(Priority(kSources + 1), 7);
  EXPECT_EQ(R(Priority(kSources + 1)), 0u);
  EXPECT_EQ(R(Priority(1023)), 0u);
  // Enable bits exist only for sources 1..kSources.
  W(Enable(0, 0), 0xffffffff);
  EXPECT_EQ(R(Enable(0, 0)), 0xfffffffeu);
  W(Enable(0, 1), 0xffffffff);
  EXPECT_EQ(R(Enable(0, 1)), 0x1ffu);  // sources 32..40
  W(Enable(0, 2), 0xffffffff);
  EXPECT_EQ(R(Enable(0, 2)), 0u);
  W(Enable(kContexts, 0), 0xffffffff);
  EXPECT_EQ(R(Enable(kContexts, 0)), 0u);
  // Contexts that do not exist have nothing to claim or set.
  W(Threshold(kContexts), 3);
  EXPECT_EQ(R(Threshold(kContexts)), 0u);
  EXPECT_EQ(R(Claim(kContexts)), 0u);
  EXPECT_FALSE(plic_.output_level(kContexts));
  // Completing IDs that name no source in service is harmless.
  Arm(0, 6, 1);
  plic_.SetLevel(6, true);
  ASSERT_EQ(R(Claim(0)), 6u);
  for (uint32_t id : {0u, kSources + 1, 1023u, 0xffffffffu, 5u}) W(Claim(0), id);
  EXPECT_EQ(R(Claim(0)), 0u);
  W(Claim(0), 6);
  EXPECT_EQ(R(Claim(0)), 6u);
  // Pending bits are read-only.
  W(Pending(0), 0xffffffff);
  EXPECT_EQ(R(Pending(0)), 0u);
  EXPECT_EQ(R(Pending(5)), 0u);
  // The host side rejects source IDs that do not exist.
  EXPECT_THROW(plic_.SourceLine(0), Error);
  EXPECT_THROW(plic_.SourceLine(kSources + 1), Error);
  EXPECT_THROW(plic_.SetLevel(kSources + 1, true), Error);
}

TEST_F(PlicTest, OddAccessesAreIgnored) {
  Arm(0, 1, 1);
  plic_.SetLevel(1, true);
  uint8_t data[8] = {7, 7, 7, 7, 7, 7, 7, 7};
  // Narrow, wide and misaligned claim reads read 0 and claim nothing.
  for (uint32_t len : {1u, 2u, 8u}) {
    plic_.Read(Claim(0), data, len);
    EXPECT_EQ(LoadLe(data, len), 0u) << len;
  }
  plic_.Read(Claim(0) + 1, data, 4);
  EXPECT_EQ(LoadLe(data, 4), 0u);
  plic_.Read(Claim(0) + 2, data, 2);
  EXPECT_EQ(LoadLe(data, 2), 0u);
  EXPECT_TRUE(IsPending(1));
  // Such writes change nothing.
  StoreLe(data, 8, 0x0707070707070707);
  plic_.Write(Priority(2), data, 1);
  plic_.Write(Priority(2), data, 8);
  plic_.Write(Priority(2) + 1, data, 4);
  plic_.Write(Threshold(0), data, 2);
  EXPECT_EQ(R(Priority(2)), 0u);
  EXPECT_EQ(R(Threshold(0)), 0u);
  // Beyond the window and in gaps of the map: reads 0, writes ignored.
  plic_.Read(plic_.window_size(), data, 4);
  EXPECT_EQ(LoadLe(data, 4), 0u);
  plic_.Write(~uint64_t{3}, data, 4);
  EXPECT_EQ(R(0x200008), 0u);
  W(0x200008, 5);
  EXPECT_EQ(R(0x3fffffc), 0u);
  EXPECT_EQ(R(Claim(0)), 1u);
}

TEST(PlicConstruction, RejectsBadCounts) {
  auto outputs = [](size_t n) { return std::vector<IrqLine>(n); };
  EXPECT_THROW(Plic(0, outputs(1)), Error);
  EXPECT_THROW(Plic(1024, outputs(1)), Error);
  EXPECT_THROW(Plic(1, outputs(0)), Error);
  EXPECT_THROW(Plic(1, outputs(Plic::kMaxContexts + 1)), Error);
  try {
    Plic plic(0, outputs(1));
    ADD_FAILURE() << "no exception";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::kInternal);
  }
}

TEST(PlicConstruction, MaximumSourcesAndEmptyOutputs) {
  Plic plic(Plic::kMaxSources, std::vector<IrqLine>(4));  // outputs need not be wired
  EXPECT_EQ(plic.num_sources(), 1023u);
  EXPECT_EQ(plic.num_contexts(), 4u);
  auto write = [&](uint64_t offset, uint32_t value) {
    uint8_t data[4];
    StoreLe(data, 4, value);
    plic.Write(offset, data, 4);
  };
  auto read = [&](uint64_t offset) {
    uint8_t data[4];
    plic.Read(offset, data, 4);
    return static_cast<uint32_t>(LoadLe(data, 4));
  };
  write(Enable(3, 31), 0xffffffff);
  EXPECT_EQ(read(Enable(3, 31)), 0xffffffffu);  // sources 992..1023
  write(Priority(1023), 1);
  EXPECT_EQ(read(Priority(1023)), 1u);
  plic.SetLevel(1023, true);
  EXPECT_EQ(read(Pending(31)), 0x80000000u);
  EXPECT_TRUE(plic.output_level(3));
  EXPECT_FALSE(plic.output_level(0));
  EXPECT_EQ(read(Claim(3)), 1023u);
  EXPECT_FALSE(plic.output_level(3));
}

}  // namespace
}  // namespace vmrr
