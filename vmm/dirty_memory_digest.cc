#include "vmm/dirty_memory_digest.h"

#include <linux/kvm.h>
#include <sys/ioctl.h>

#include <algorithm>
#include <cstring>

#include "base/error.h"

namespace vmrr {

DirtyPageLog::DirtyPageLog(KvmVm& vm, GuestMemory& memory, uint32_t slot)
    : vm_(vm),
      slot_(slot),
      page_count_(memory.size() / PageSet::kPageSize),
      bitmap_((page_count_ + 63) / 64, 0) {
  if (vm_.CheckExtension(KVM_CAP_MANUAL_DIRTY_LOG_PROTECT2) & KVM_DIRTY_LOG_MANUAL_PROTECT_ENABLE) {
    kvm_enable_cap cap{};
    cap.cap = KVM_CAP_MANUAL_DIRTY_LOG_PROTECT2;
    cap.args[0] = KVM_DIRTY_LOG_MANUAL_PROTECT_ENABLE;
    manual_protect_ = ioctl(vm_.fd(), KVM_ENABLE_CAP, &cap) == 0;
  }
  vm_.SetUserMemoryRegion(slot_, memory.base(), memory.host(), memory.size(),
                          KVM_MEM_LOG_DIRTY_PAGES);
}

void DirtyPageLog::Read() {
  std::fill(bitmap_.begin(), bitmap_.end(), 0);
  vm_.GetDirtyLog(slot_, bitmap_);
  for (PageSet* set : tracked_) set->AddBitmap(bitmap_);
}

void DirtyPageLog::Clear(std::vector<uint64_t>& pages) {
  kvm_clear_dirty_log clear{};
  clear.slot = slot_;
  clear.first_page = 0;
  clear.num_pages = static_cast<uint32_t>(page_count_);
  clear.dirty_bitmap = pages.data();
  if (ioctl(vm_.fd(), KVM_CLEAR_DIRTY_LOG, &clear) < 0) ThrowErrno("KVM_CLEAR_DIRTY_LOG");
}

void DirtyPageLog::Collect() {
  Read();
  if (!manual_protect_) return;  // KVM_GET_DIRTY_LOG cleared it
  Clear(bitmap_);
}

std::vector<uint64_t> DirtyPageLog::Writable() {
  Peek();
  // Without manual protection Peek() cleared the log: nothing is writable.
  if (!manual_protect_) return std::vector<uint64_t>(bitmap_.size(), 0);
  return bitmap_;
}

bool DirtyPageLog::CanSetWritable(const std::vector<uint64_t>& writable) {
  std::vector<uint64_t> now = Writable();
  for (size_t i = 0; i < now.size(); ++i) {
    if ((i < writable.size() ? writable[i] : 0) & ~now[i]) return false;
  }
  return true;
}

bool DirtyPageLog::SetWritable(const std::vector<uint64_t>& writable) {
  bool exact = CanSetWritable(writable);
  if (!manual_protect_) return exact;
  std::vector<uint64_t> protect = bitmap_;
  bool any = false;
  for (size_t i = 0; i < protect.size(); ++i) {
    protect[i] &= ~(i < writable.size() ? writable[i] : 0);
    any = any || protect[i] != 0;
  }
  if (any) Clear(protect);
  return exact;
}

void DirtyPageLog::Peek() {
  if (!manual_protect_) {
    Collect();
    return;
  }
  Read();
}

DirtyMemoryDigest::DirtyMemoryDigest(DirtyPageLog& log, GuestMemory& memory)
    : log_(log), memory_(memory), pending_(log.page_count()) {
  log_.Track(&pending_);
}

uint64_t DirtyMemoryDigest::Take(std::vector<uint64_t>* pages) {
  log_.Collect();
  *pages = pending_.Pages();
  pending_.Clear();
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
