#include "vmm/dirty_memory_digest.h"

#include <gtest/gtest.h>

namespace vmrr {
namespace {

TEST(DirtyMemoryDigest, CoversExactlyTheMarkedPagesAndTheirBytes) {
  GuestMemory memory(0x80000000, 64 * DirtyMemoryDigest::kPageSize);
  std::vector<uint64_t> bitmap(1, 0);
  bitmap[0] = (1ull << 3) | (1ull << 40);
  uint64_t pages = 0;
  uint64_t a = DirtyMemoryDigest::DigestPages(memory, bitmap, &pages);
  EXPECT_EQ(pages, 2u);
  memory.host()[5 * DirtyMemoryDigest::kPageSize] = 1;  // an unmarked page: no change
  EXPECT_EQ(DirtyMemoryDigest::DigestPages(memory, bitmap, &pages), a);
  memory.host()[40 * DirtyMemoryDigest::kPageSize + 4095] = 1;  // a marked page's last byte
  uint64_t b = DirtyMemoryDigest::DigestPages(memory, bitmap, &pages);
  EXPECT_NE(b, a);
  bitmap[0] = 1ull << 3;
  EXPECT_NE(DirtyMemoryDigest::DigestPages(memory, bitmap, &pages), b);
  EXPECT_EQ(pages, 1u);
  bitmap[0] = ~0ull;  // bits past the end of RAM are ignored
  DirtyMemoryDigest::DigestPages(memory, bitmap, &pages);
  EXPECT_EQ(pages, 64u);
}

}  // namespace
}  // namespace vmrr
