#include "replay/run_to_point.h"

#include <gtest/gtest.h>

#include <random>
#include <set>

namespace vmrr {
namespace {

// A guest that retires instructions one by one and exits at given counts;
// its overflow stops late by a random skid in [0, max_skid].
class FakeVcpu : public SteppableVcpu {
 public:
  FakeVcpu(uint64_t max_skid, uint32_t seed, std::set<uint64_t> exits = {})
      : max_skid_(max_skid), rng_(seed), exits_(std::move(exits)) {}

  uint64_t Instructions() override { return count_; }

  Stop RunWithOverflow(uint64_t count) override {
    EXPECT_GE(count, 1u);
    uint64_t skid = std::uniform_int_distribution<uint64_t>(0, max_skid_)(rng_);
    uint64_t stop_at = count_ + count + skid;
    while (count_ < stop_at) {
      if (Retire()) return Stop::kExit;
    }
    return Stop::kOverflow;
  }

  Stop Step() override {
    ++steps_;
    return Retire() ? Stop::kExit : Stop::kOverflow;
  }

  uint64_t steps() const { return steps_; }

 private:
  // Retires one instruction; true when it was an exiting one.
  bool Retire() {
    ++count_;
    return exits_.count(count_) > 0;
  }

  uint64_t max_skid_;
  std::mt19937_64 rng_;
  std::set<uint64_t> exits_;
  uint64_t count_ = 0;
  uint64_t steps_ = 0;
};

TEST(RunToPoint, ExactForAnySkidUpToTheMargin) {
  for (uint64_t margin : {0ull, 1ull, 7ull, 10000ull}) {
    for (uint32_t seed = 0; seed < 50; ++seed) {
      FakeVcpu vcpu(margin, seed);
      RunToPoint run(vcpu, margin);
      uint64_t target = 0;
      std::mt19937_64 targets(seed + 1000);
      for (int i = 0; i < 20; ++i) {
        target += std::uniform_int_distribution<uint64_t>(0, 50000)(targets);
        RunToPointResult r = run.Run(target);
        ASSERT_TRUE(r.reached) << "margin " << margin << " seed " << seed;
        ASSERT_FALSE(r.overshot);
        ASSERT_EQ(vcpu.Instructions(), target);
        // Never more steps than the margin (+1 for the last overflow run).
        ASSERT_LE(r.steps, margin + 1);
      }
    }
  }
}

TEST(RunToPoint, SkidBeyondTheMarginIsDetected) {
  bool overshot = false;
  for (uint32_t seed = 0; seed < 20 && !overshot; ++seed) {
    FakeVcpu vcpu(/*max_skid=*/500, seed);
    RunToPoint run(vcpu, /*skid_margin=*/10);
    overshot = run.Run(100000).overshot;
  }
  EXPECT_TRUE(overshot);
}

TEST(RunToPoint, StopsAtAnEarlierExitAndResumes) {
  FakeVcpu vcpu(100, 7, {5000, 5001, 9990});
  RunToPoint run(vcpu, 100);
  RunToPointResult r = run.Run(10000);
  EXPECT_TRUE(r.exited);
  EXPECT_EQ(vcpu.Instructions(), 5000u);
  r = run.Run(10000);
  EXPECT_TRUE(r.exited);
  EXPECT_EQ(vcpu.Instructions(), 5001u);
  r = run.Run(10000);
  EXPECT_TRUE(r.exited);
  EXPECT_EQ(vcpu.Instructions(), 9990u);
  r = run.Run(10000);
  EXPECT_TRUE(r.reached);
  EXPECT_EQ(vcpu.Instructions(), 10000u);
}

TEST(RunToPoint, AnExitAtTheTargetIsHandedBackBeforeItCountsAsReached) {
  FakeVcpu vcpu(0, 1, {300});
  RunToPoint run(vcpu, 0);
  RunToPointResult r = run.Run(300);
  EXPECT_TRUE(r.exited);
  EXPECT_FALSE(r.reached);
  EXPECT_EQ(vcpu.Instructions(), 300u);
  r = run.Run(300);
  EXPECT_TRUE(r.reached);
  EXPECT_EQ(r.overflow_runs + r.steps, 0u);
}

TEST(RunToPoint, ZeroSkidNeedsNoSteps) {
  FakeVcpu vcpu(0, 3);
  RunToPoint run(vcpu, 0);
  RunToPointResult r = run.Run(123456);
  EXPECT_TRUE(r.reached);
  EXPECT_EQ(r.steps, 0u);
  EXPECT_EQ(r.overflow_runs, 1u);
}

TEST(RunToPoint, AlreadyThere) {
  FakeVcpu vcpu(10, 3);
  RunToPoint run(vcpu, 10);
  EXPECT_TRUE(run.Run(0).reached);
  EXPECT_EQ(vcpu.steps(), 0u);
}

}  // namespace
}  // namespace vmrr
