// The device side of a split virtqueue (virtio 1.x, section 2.7) in guest
// RAM.  The guest owns the rings and may rewrite them at any moment, so every
// field is read once, through GuestMemory (bounds-checked), and validated
// before use: a hostile driver can make a request fail or the queue break,
// never make the VMM touch memory outside guest RAM or loop forever.
//
// Interrupt suppression (VIRTQ_AVAIL_F_NO_INTERRUPT, VIRTIO_F_EVENT_IDX) is
// not implemented: the transport interrupts whenever used buffers were added,
// which the spec allows.  The device never sets VIRTQ_USED_F_NO_NOTIFY.
#pragma once

#include <cstdint>
#include <optional>
#include <vector>

#include "memory/guest_memory.h"

namespace vmrr {

// Where the driver put the three parts of a queue, and its size.
struct VirtqueueLayout {
  uint32_t size = 0;  // descriptors: a power of two, 1..Virtqueue::kMaxSize
  uint64_t desc_gpa = 0;
  uint64_t avail_gpa = 0;  // the "driver area"
  uint64_t used_gpa = 0;   // the "device area"
};

// One buffer of a descriptor chain: guest-physical, all of it in RAM unless
// the chain has an error.
struct VirtqBuffer {
  uint64_t gpa = 0;
  uint32_t len = 0;
  bool device_writable = false;
};

struct DescriptorChain {
  uint16_t head = 0;  // what PushUsed must be given back
  // The buffers in chain order: the device-readable ones, then the
  // device-writable ones (a chain mixing the order is malformed).
  std::vector<VirtqBuffer> buffers;
  // Why the chain is unusable, or nullptr.  When the chain could be walked to
  // its end but a buffer is not in RAM or the chain is too big, `buffers`
  // still describes it (so a device can report a status in its last buffer,
  // which GuestMemory checks again); otherwise `buffers` is empty.
  const char* error = nullptr;
};

class Virtqueue {
 public:
  static constexpr uint32_t kMaxSize = 1024;
  // The most bytes a chain's buffers may add up to.  Bounds the work one
  // request can demand; virtio-blk advertises limits that stay below it.
  static constexpr uint64_t kMaxChainBytes = 16 << 20;
  // VIRTIO_RING_F_INDIRECT_DESC: a device offering it accepts indirect tables.
  static constexpr uint64_t kFeatureIndirectDesc = 1ull << 28;

  // Why `layout` cannot be used (size not a power of two in 1..kMaxSize, a
  // part misaligned or not entirely in RAM), or nullptr when it is fine.
  static const char* CheckLayout(const GuestMemory& memory, const VirtqueueLayout& layout);

  // `layout` must pass CheckLayout (throws Error(kInternal) otherwise: the
  // transport checks first).  `indirect` = VIRTIO_RING_F_INDIRECT_DESC was
  // negotiated.  The queue starts at avail/used index 0, as after a reset.
  Virtqueue(GuestMemory& memory, const VirtqueueLayout& layout, bool indirect);

  // The next chain the driver made available, or nullopt when there is none
  // or the queue is broken.  A chain with `error` set still has to be given
  // back with PushUsed.
  std::optional<DescriptorChain> PopChain();
  // Returns the chain starting at `head` to the driver with `written_len`
  // bytes written into its device-writable buffers.  False (and the queue
  // broken) when more chains are pushed than were popped.
  bool PushUsed(uint16_t head, uint32_t written_len);

  // True once the driver did something no valid driver does with the rings
  // (avail index ahead by more than the queue size, head index out of
  // range); the device must then be reset.  Backends may also break it.
  bool broken() const { return broken_ != nullptr; }
  const char* broken_reason() const { return broken_; }
  void MarkBroken(const char* reason);

  GuestMemory& memory() const { return *memory_; }
  const VirtqueueLayout& layout() const { return layout_; }
  uint16_t last_avail_idx() const { return last_avail_idx_; }
  uint16_t used_idx() const { return used_idx_; }
  // Chains popped and not yet pushed back.
  uint32_t in_flight() const { return in_flight_; }

 private:
  struct Descriptor {
    uint64_t addr;
    uint32_t len;
    uint16_t flags;
    uint16_t next;
  };
  std::optional<Descriptor> LoadDescriptor(uint64_t table_gpa, uint32_t index) const;
  // Walks the chain from `head`; sets chain.error when it is malformed.
  void WalkChain(DescriptorChain& chain) const;

  GuestMemory* memory_;
  VirtqueueLayout layout_;
  bool indirect_;
  uint16_t last_avail_idx_ = 0;
  uint16_t used_idx_ = 0;
  uint32_t in_flight_ = 0;
  const char* broken_ = nullptr;
};

}  // namespace vmrr
