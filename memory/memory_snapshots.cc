#include "memory/memory_snapshots.h"

#include <cstring>
#include <unordered_set>

#include "base/error.h"

namespace vmrr {

const uint8_t* MemorySnapshot::Find(uint64_t page) const {
  for (const MemorySnapshot* s = this; s != nullptr; s = s->base_.get()) {
    auto it = s->index_.find(page);
    if (it != s->index_.end()) return s->data_.data() + uint64_t{it->second} * PageSet::kPageSize;
  }
  return nullptr;
}

MemorySnapshots::MemorySnapshots(GuestMemory& memory)
    : memory_(memory), written_(memory.size() / PageSet::kPageSize) {}

std::shared_ptr<const MemorySnapshot> MemorySnapshots::Take() {
  auto snapshot = std::make_shared<MemorySnapshot>();
  snapshot->base_ = base_;
  snapshot->depth_ = base_ ? base_->depth_ + 1 : 0;
  // The written set is a superset (a page written back to its old bytes,
  // a dirty log read without clearing): keep only pages that differ from
  // the base's.
  static const uint8_t kZero[PageSet::kPageSize] = {};
  for (uint64_t page : written_.Pages()) {
    const uint8_t* now = memory_.host() + page * PageSet::kPageSize;
    const uint8_t* before = base_ ? base_->Find(page) : nullptr;
    if (std::memcmp(now, before != nullptr ? before : kZero, PageSet::kPageSize) == 0) continue;
    snapshot->index_.emplace(page, static_cast<uint32_t>(snapshot->pages_.size()));
    snapshot->pages_.push_back(page);
    snapshot->data_.insert(snapshot->data_.end(), now, now + PageSet::kPageSize);
  }
  written_.Clear();
  base_ = snapshot;
  return snapshot;
}

uint64_t MemorySnapshots::Restore(const std::shared_ptr<const MemorySnapshot>& snapshot) {
  if (!snapshot) throw Error(ErrorKind::kInternal, "restoring a null memory snapshot");
  // Pages that may differ: written since the base, and those named on the
  // way from the base and from the target up to their common ancestor.
  PageSet candidates = written_;
  const MemorySnapshot* a = base_.get();
  const MemorySnapshot* b = snapshot.get();
  auto add = [&candidates](const MemorySnapshot* s) {
    for (uint64_t page : s->pages_) candidates.Add(page);
  };
  while (a != b) {
    // Walk the deeper one up (a null base is the root's parent: depth -1).
    if (b == nullptr || (a != nullptr && a->depth_ >= b->depth_)) {
      add(a);
      a = a->base_.get();
    } else {
      add(b);
      b = b->base_.get();
    }
  }
  uint64_t rewritten = 0;
  for (uint64_t page : candidates.Pages()) {
    uint8_t* host = memory_.host() + page * PageSet::kPageSize;
    const uint8_t* want = snapshot->Find(page);
    if (want == nullptr) {
      std::memset(host, 0, PageSet::kPageSize);
    } else {
      std::memcpy(host, want, PageSet::kPageSize);
    }
    ++rewritten;
  }
  written_.Clear();
  base_ = snapshot;
  return rewritten;
}

}  // namespace vmrr
