// Incremental snapshots of guest RAM for replay's checkpoints.  Each snapshot
// holds only the pages that changed since the snapshot it was taken from
// (its base: the one taken or restored last; pages written but equal to the
// base's are not kept), so a snapshot costs what the guest changed in
// between, not the size of RAM.  A page's content in a snapshot is
// its own copy, else its base's, and so on down to the first snapshot, whose
// base is all-zero RAM.  Snapshots form a tree (a restore makes an older one
// the base of the next); restoring one rewrites only the pages written since
// the current base plus those the two snapshots' paths to their common
// ancestor name.
#pragma once

#include <cstdint>
#include <memory>
#include <unordered_map>
#include <vector>

#include "memory/guest_memory.h"
#include "memory/page_set.h"

namespace vmrr {

class MemorySnapshot {
 public:
  uint64_t own_pages() const { return pages_.size(); }
  // Bytes of page copies this snapshot holds (its base's not counted).
  uint64_t own_bytes() const { return pages_.size() * PageSet::kPageSize; }

 private:
  friend class MemorySnapshots;
  std::shared_ptr<const MemorySnapshot> base_;
  uint64_t depth_ = 0;
  std::unordered_map<uint64_t, uint32_t> index_;  // page -> slot in data_
  std::vector<uint64_t> pages_;
  std::vector<uint8_t> data_;
  // The page's content here, or nullptr when it is zero (never written).
  const uint8_t* Find(uint64_t page) const;
};

class MemorySnapshots {
 public:
  // `memory` starts all zero, as KVM gives it; every write to it must reach
  // written() (KVM's dirty log, the VMM's writes) before Take or Restore.
  explicit MemorySnapshots(GuestMemory& memory);

  // Pages written since the current base: add to it as writes happen.
  PageSet& written() { return written_; }

  // RAM now.  The new snapshot becomes the base.
  std::shared_ptr<const MemorySnapshot> Take();
  // Puts RAM back as it was in `snapshot`, which becomes the base; returns
  // the number of pages rewritten.
  uint64_t Restore(const std::shared_ptr<const MemorySnapshot>& snapshot);

 private:
  GuestMemory& memory_;
  PageSet written_;
  std::shared_ptr<const MemorySnapshot> base_;
};

}  // namespace vmrr
