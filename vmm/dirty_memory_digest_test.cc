#include "vmm/dirty_memory_digest.h"

#include <gtest/gtest.h>

namespace vmrr {
namespace {

constexpr uint64_t kPage = DirtyMemoryDigest::kPageSize;

TEST(DirtyMemoryDigest, CoversExactlyTheListedPagesAndTheirBytes) {
  GuestMemory memory(0x80000000, 64 * kPage);
  std::vector<uint64_t> pages = {3, 40};
  uint64_t a = DirtyMemoryDigest::DigestPages(memory, pages);
  memory.host()[5 * kPage] = 1;  // an unlisted page: no change
  EXPECT_EQ(DirtyMemoryDigest::DigestPages(memory, pages), a);
  memory.host()[40 * kPage + 4095] = 1;  // a listed page's last byte
  uint64_t b = DirtyMemoryDigest::DigestPages(memory, pages);
  EXPECT_NE(b, a);
  EXPECT_NE(DirtyMemoryDigest::DigestPages(memory, {3}), b);  // fewer pages
  // The page numbers count too: the same bytes at another page differ.
  EXPECT_NE(DirtyMemoryDigest::DigestPages(memory, {6}),
            DirtyMemoryDigest::DigestPages(memory, {7}));
  // A page past RAM (a corrupt trace) cannot match the digest without it.
  EXPECT_NE(DirtyMemoryDigest::DigestPages(memory, {3, 64}),
            DirtyMemoryDigest::DigestPages(memory, {3}));
}

TEST(DirtyMemoryDigest, PagesInReadsTheBitmapUpToTheEndOfRam) {
  std::vector<uint64_t> bitmap = {(1ull << 3) | (1ull << 40), 0};
  EXPECT_EQ(DirtyMemoryDigest::PagesIn(bitmap, 64), (std::vector<uint64_t>{3, 40}));
  bitmap = {~0ull, ~0ull};  // bits past the end of RAM are ignored
  EXPECT_EQ(DirtyMemoryDigest::PagesIn(bitmap, 70).size(), 70u);
  EXPECT_TRUE(DirtyMemoryDigest::PagesIn({0, 0}, 128).empty());
}

}  // namespace
}  // namespace vmrr
