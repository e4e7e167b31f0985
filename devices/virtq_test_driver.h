// Tests only: the driver side of one split virtqueue in guest RAM, written
// with GuestMemory::Store like a guest would.
#pragma once

#include <cstdint>
#include <vector>

#include "devices/virtqueue.h"
#include "memory/guest_memory.h"

namespace vmrr {

class VirtqTestDriver {
 public:
  static constexpr uint16_t kNext = 1;
  static constexpr uint16_t kWrite = 2;
  static constexpr uint16_t kIndirect = 4;

  struct Buf {
    uint64_t gpa;
    uint32_t len;
    bool writable;
  };

  // Lays the descriptor table, avail and used rings out from `base` on.
  VirtqTestDriver(GuestMemory& memory, uint64_t base, uint32_t size);

  const VirtqueueLayout& layout() const { return layout_; }
  // The first byte after the rings.
  uint64_t end() const { return end_; }

  // Writes descriptor `index` of the table at `table_gpa` (the queue's own
  // when table_gpa is 0).
  void SetDesc(uint16_t index, uint64_t addr, uint32_t len, uint16_t flags, uint16_t next,
               uint64_t table_gpa = 0);
  // Puts `bufs` in consecutive descriptors (wrapping) and returns the head.
  uint16_t WriteChain(const std::vector<Buf>& bufs);
  // Writes `bufs` as an indirect table at table_gpa and one descriptor
  // pointing at it; returns that descriptor's index.
  uint16_t WriteIndirectChain(uint64_t table_gpa, const std::vector<Buf>& bufs);
  // Adds `head` to the avail ring and publishes it.
  void MakeAvailable(uint16_t head);
  uint16_t WriteAndMakeAvailable(const std::vector<Buf>& bufs);
  void SetAvailIdx(uint16_t idx);
  uint16_t avail_idx() const { return avail_idx_; }

  uint16_t UsedIdx() const;
  uint32_t UsedId(uint16_t slot) const;
  uint32_t UsedLen(uint16_t slot) const;

 private:
  GuestMemory& memory_;
  VirtqueueLayout layout_;
  uint64_t end_;
  uint16_t next_free_ = 0;
  uint16_t avail_idx_ = 0;
};

}  // namespace vmrr
