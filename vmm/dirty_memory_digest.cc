#include "vmm/dirty_memory_digest.h"

#include <linux/kvm.h>

#include <algorithm>
#include <cstring>

namespace vmrr {

DirtyMemoryDigest::DirtyMemoryDigest(KvmVm& vm, GuestMemory& memory, uint32_t slot)
    : vm_(vm), memory_(memory), slot_(slot), bitmap_((memory.size() / kPageSize + 63) / 64, 0) {
  vm_.SetUserMemoryRegion(slot_, memory_.base(), memory_.host(), memory_.size(),
                          KVM_MEM_LOG_DIRTY_PAGES);
}

uint64_t DirtyMemoryDigest::Take(std::vector<uint64_t>* pages) {
  std::fill(bitmap_.begin(), bitmap_.end(), 0);
  vm_.GetDirtyLog(slot_, bitmap_);
  *pages = PagesIn(bitmap_, memory_.size() / kPageSize);
  return DigestPages(memory_, *pages);
}

uint64_t DirtyMemoryDigest::DigestOf(const std::vector<uint64_t>& pages) const {
  return DigestPages(memory_, pages);
}

std::vector<uint64_t> DirtyMemoryDigest::PagesIn(const std::vector<uint64_t>& bitmap,
                                                 uint64_t page_count) {
  std::vector<uint64_t> pages;
  for (uint64_t word = 0; word < bitmap.size(); ++word) {
    for (uint64_t bits = bitmap[word]; bits != 0; bits &= bits - 1) {
      uint64_t page = word * 64 + static_cast<uint64_t>(__builtin_ctzll(bits));
      if (page >= page_count) return pages;
      pages.push_back(page);
    }
  }
  return pages;
}

uint64_t DirtyMemoryDigest::DigestPages(const GuestMemory& memory,
                                        const std::vector<uint64_t>& pages) {
  uint64_t hash = 0xcbf29ce484222325ull;
  const uint64_t page_count = memory.size() / kPageSize;
  for (uint64_t page : pages) {
    hash = (hash ^ page) * 0x100000001b3ull;
    // A page past RAM (a corrupt trace) counts by number only: it cannot match.
    if (page >= page_count) continue;
    const uint8_t* p = memory.host() + page * kPageSize;
    for (uint64_t i = 0; i < kPageSize; i += 8) {
      uint64_t v;
      std::memcpy(&v, p + i, 8);
      hash = (hash ^ v) * 0x100000001b3ull;
    }
  }
  return hash;
}

}  // namespace vmrr
