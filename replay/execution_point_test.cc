#include "replay/execution_point.h"

#include <gtest/gtest.h>

namespace vmrr {
namespace {

TEST(ExecutionPoint, DigestDependsOnEveryRegisterAndOrder) {
  uint64_t a[3] = {1, 2, 3};
  uint64_t b[3] = {1, 2, 4};
  uint64_t c[3] = {2, 1, 3};
  EXPECT_EQ(RegsDigest(a, 3), RegsDigest(a, 3));
  EXPECT_NE(RegsDigest(a, 3), RegsDigest(b, 3));
  EXPECT_NE(RegsDigest(a, 3), RegsDigest(c, 3));
  EXPECT_NE(RegsDigest(a, 2), RegsDigest(a, 3));
}

TEST(ExecutionPoint, EqualityAndText) {
  ExecutionPoint p{1000, 0xffff800010000000, 0xabcdef};
  ExecutionPoint q = p;
  EXPECT_EQ(p, q);
  q.pc += 4;
  EXPECT_FALSE(p == q);
  EXPECT_EQ(ToString(p), "#1000 pc=0xffff800010000000 regs=0000000000abcdef");
}

}  // namespace
}  // namespace vmrr
