#include "memory/page_set.h"

#include <algorithm>

namespace vmrr {

void PageSet::AddRange(uint64_t offset, uint64_t len) {
  if (len == 0) return;
  uint64_t last = (offset + len - 1) / kPageSize;
  for (uint64_t page = offset / kPageSize; page <= last && page < page_count_; ++page) Add(page);
}

void PageSet::AddBitmap(const std::vector<uint64_t>& bitmap) {
  size_t n = std::min(bitmap.size(), words_.size());
  for (size_t i = 0; i < n; ++i) words_[i] |= bitmap[i];
  // Bits past the last page (the bitmap's padding) are not pages.
  if (page_count_ % 64 != 0 && !words_.empty()) {
    words_.back() &= (uint64_t{1} << (page_count_ % 64)) - 1;
  }
}

void PageSet::AddAll(const PageSet& other) { AddBitmap(other.words_); }

void PageSet::Clear() { std::fill(words_.begin(), words_.end(), 0); }

bool PageSet::empty() const {
  return std::all_of(words_.begin(), words_.end(), [](uint64_t w) { return w == 0; });
}

std::vector<uint64_t> PageSet::Pages() const {
  std::vector<uint64_t> pages;
  for (uint64_t word = 0; word < words_.size(); ++word) {
    for (uint64_t bits = words_[word]; bits != 0; bits &= bits - 1) {
      pages.push_back(word * 64 + static_cast<uint64_t>(__builtin_ctzll(bits)));
    }
  }
  return pages;
}

}  // namespace vmrr
