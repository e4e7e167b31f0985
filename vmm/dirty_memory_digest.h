// Periodic checks of guest memory for replay: a digest of the pages the
// guest wrote since the previous check, found with KVM's dirty page log, so
// a check costs what the guest wrote, not the size of RAM.  Record and
// replay take it at the same execution points, so the same pages and bytes
// go in.  (Devices' writes are events of their own and not in the log.)
#pragma once

#include <cstdint>
#include <vector>

#include "memory/guest_memory.h"
#include "vmm/kvm.h"

namespace vmrr {

class DirtyMemoryDigest {
 public:
  static constexpr uint64_t kPageSize = 4096;

  // Turns on dirty logging for RAM in memory slot `slot`.
  DirtyMemoryDigest(KvmVm& vm, GuestMemory& memory, uint32_t slot = 0);
  // Digest of the pages written since the last call, and their numbers.
  uint64_t Take(std::vector<uint64_t>* pages);
  // The same digest over the given pages (ascending page numbers).
  uint64_t DigestOf(const std::vector<uint64_t>& pages) const;

  // The page numbers marked in `bitmap`, below `page_count`.
  static std::vector<uint64_t> PagesIn(const std::vector<uint64_t>& bitmap, uint64_t page_count);
  // The digest of `pages` of `memory` (exposed for tests).
  static uint64_t DigestPages(const GuestMemory& memory, const std::vector<uint64_t>& pages);

 private:
  KvmVm& vm_;
  GuestMemory& memory_;
  uint32_t slot_;
  std::vector<uint64_t> bitmap_;
};

}  // namespace vmrr
