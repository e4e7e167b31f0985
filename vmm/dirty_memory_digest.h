// Periodic checks of guest memory for record and replay: a digest of the
// pages the guest wrote since the previous check, found with KVM's dirty page
// log, so a check costs what the guest wrote, not the size of RAM.  Record
// and replay take it at the same execution points, so the same pages and
// bytes go in.  (Devices' writes are events of their own and not in the
// log.)  The log itself is DirtyPageLog: replay's checkpoints read it too.
#pragma once

#include <cstdint>
#include <vector>

#include "memory/guest_memory.h"
#include "memory/page_set.h"
#include "vmm/kvm.h"

namespace vmrr {

// KVM's dirty page log of RAM in one memory slot, read into page sets.
// Clearing the log write-protects the pages again, and the guest's next
// write to each faults into KVM: QEMU's riscv64 hosts count some of those
// faulting instructions, so clearing at other points than the recording did
// skews the count.  Where KVM lets the VMM clear by itself
// (KVM_CAP_MANUAL_DIRTY_LOG_PROTECT2), Peek() reads the log without
// clearing it: replay's checkpoints use that, the memory checks Collect().
// A restored checkpoint puts the protection back as it was (SetWritable):
// a page the guest wrote after the checkpoint is writable now, and the
// guest's retried store-conditional there would otherwise not be retried.
class DirtyPageLog {
 public:
  // Turns on dirty logging for `memory` in memory slot `slot`.
  DirtyPageLog(KvmVm& vm, GuestMemory& memory, uint32_t slot = 0);
  // Reads and clears KVM's log into every tracked set.
  void Collect();
  // Reads it into every tracked set, leaving it and the guest's page
  // protection as they are (Collect() where KVM cannot).
  void Peek();
  // Peek(), and the pages the guest may write now without faulting (a
  // bitmap): those it wrote since the log was last cleared.
  std::vector<uint64_t> Writable();
  // Whether SetWritable(`writable`) can put the protection back exactly:
  // only pages writable now can stay so (nothing but a guest write makes a
  // page writable again).
  bool CanSetWritable(const std::vector<uint64_t>& writable);
  // Peek(), then write-protects every page but those of `writable` (a
  // restored checkpoint's), so that the guest faults where it did when the
  // checkpoint was taken.  False when it could not be exact.
  bool SetWritable(const std::vector<uint64_t>& writable);
  // `set` (sized for RAM) gains every page the log names from now on.
  void Track(PageSet* set) { tracked_.push_back(set); }
  uint64_t page_count() const { return page_count_; }

 private:
  void Read();
  void Clear(std::vector<uint64_t>& pages);

  KvmVm& vm_;
  uint32_t slot_;
  uint64_t page_count_;
  bool manual_protect_ = false;
  std::vector<uint64_t> bitmap_;
  std::vector<PageSet*> tracked_;
};

class DirtyMemoryDigest {
 public:
  static constexpr uint64_t kPageSize = PageSet::kPageSize;

  DirtyMemoryDigest(DirtyPageLog& log, GuestMemory& memory);
  // Digest of the pages written since the last call, and their numbers.
  uint64_t Take(std::vector<uint64_t>* pages);
  // The same digest over the given pages (ascending page numbers).
  uint64_t DigestOf(const std::vector<uint64_t>& pages) const;
  // The pages written since the last Take() (as of the last Collect()):
  // replay's checkpoints save and restore it.
  PageSet& pending() { return pending_; }

  // The page numbers marked in `bitmap`, below `page_count`.
  static std::vector<uint64_t> PagesIn(const std::vector<uint64_t>& bitmap, uint64_t page_count);
  // The digest of `pages` of `memory` (exposed for tests).
  static uint64_t DigestPages(const GuestMemory& memory, const std::vector<uint64_t>& pages);

 private:
  DirtyPageLog& log_;
  GuestMemory& memory_;
  PageSet pending_;
};

}  // namespace vmrr
