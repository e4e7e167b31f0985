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

uint64_t DirtyMemoryDigest::Take(uint64_t* pages) {
  std::fill(bitmap_.begin(), bitmap_.end(), 0);
  vm_.GetDirtyLog(slot_, bitmap_);
  return DigestPages(memory_, bitmap_, pages);
}

uint64_t DirtyMemoryDigest::DigestPages(const GuestMemory& memory,
                                        const std::vector<uint64_t>& bitmap, uint64_t* pages) {
  uint64_t hash = 0xcbf29ce484222325ull;
  *pages = 0;
  const uint64_t page_count = memory.size() / kPageSize;
  for (uint64_t word = 0; word < bitmap.size(); ++word) {
    for (uint64_t bits = bitmap[word]; bits != 0; bits &= bits - 1) {
      uint64_t page = word * 64 + static_cast<uint64_t>(__builtin_ctzll(bits));
      if (page >= page_count) break;
      ++*pages;
      hash = (hash ^ page) * 0x100000001b3ull;
      const uint8_t* p = memory.host() + page * kPageSize;
      for (uint64_t i = 0; i < kPageSize; i += 8) {
        uint64_t v;
        std::memcpy(&v, p + i, 8);
        hash = (hash ^ v) * 0x100000001b3ull;
      }
    }
  }
  return hash;
}

}  // namespace vmrr
