// A set of guest RAM pages (4 KiB) as a bitmap: the pages written since some
// moment, from KVM's dirty log and from the VMM's own writes.
#pragma once

#include <cstdint>
#include <vector>

namespace vmrr {

class PageSet {
 public:
  static constexpr uint64_t kPageSize = 4096;

  PageSet() = default;
  explicit PageSet(uint64_t page_count) : page_count_(page_count), words_((page_count + 63) / 64) {}

  uint64_t page_count() const { return page_count_; }
  void Add(uint64_t page) {
    if (page < page_count_) words_[page / 64] |= uint64_t{1} << (page % 64);
  }
  // The pages [offset, offset + len) of RAM touches (offset from RAM's base).
  void AddRange(uint64_t offset, uint64_t len);
  bool Contains(uint64_t page) const {
    return page < page_count_ && (words_[page / 64] >> (page % 64)) & 1;
  }
  // Adds every page of a KVM_GET_DIRTY_LOG bitmap (bit n: page n).
  void AddBitmap(const std::vector<uint64_t>& bitmap);
  void AddAll(const PageSet& other);
  void Clear();
  bool empty() const;
  // The pages in ascending order.
  std::vector<uint64_t> Pages() const;

  bool operator==(const PageSet& other) const = default;

 private:
  uint64_t page_count_ = 0;
  std::vector<uint64_t> words_;
};

}  // namespace vmrr
