#include "replay/crc32c.h"

#include <gtest/gtest.h>

namespace vmrr {
namespace {

TEST(Crc32c, StandardCheckValue) { EXPECT_EQ(Crc32c("123456789", 9), 0xe3069283u); }

TEST(Crc32c, IncrementalEqualsWhole) {
  uint32_t part = Crc32c("12345", 5);
  EXPECT_EQ(Crc32c("6789", 4, part), 0xe3069283u);
  EXPECT_EQ(Crc32c("", 0), 0u);
}

}  // namespace
}  // namespace vmrr
