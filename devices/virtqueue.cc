#include "devices/virtqueue.h"

#include <atomic>
#include <bit>
#include <bitset>
#include <string>

#include "base/error.h"

namespace vmrr {
namespace {

// Ring fields are little-endian; GuestMemory uses host order.
static_assert(std::endian::native == std::endian::little);

constexpr uint16_t kDescNext = 1;
constexpr uint16_t kDescWrite = 2;
constexpr uint16_t kDescIndirect = 4;

constexpr uint64_t kDescSize = 16;
// avail: le16 flags, le16 idx, le16 ring[size], le16 used_event.
constexpr uint64_t kAvailIdx = 2;
constexpr uint64_t kAvailRing = 4;
// used: le16 flags, le16 idx, {le32 id, le32 len} ring[size], le16 avail_event.
constexpr uint64_t kUsedIdx = 2;
constexpr uint64_t kUsedRing = 4;
constexpr uint64_t kUsedElemSize = 8;

}  // namespace

const char* Virtqueue::CheckLayout(const GuestMemory& memory, const VirtqueueLayout& l) {
  if (l.size == 0 || l.size > kMaxSize || !std::has_single_bit(l.size)) {
    return "queue size is not a power of two in 1..1024";
  }
  // Alignments from the spec (2.7: 16, 2 and 4 bytes); sizes include the
  // event fields so every access below stays inside the checked ranges.
  if (l.desc_gpa % 16 != 0 || !memory.Contains(l.desc_gpa, kDescSize * l.size)) {
    return "descriptor table misaligned or not in RAM";
  }
  if (l.avail_gpa % 2 != 0 || !memory.Contains(l.avail_gpa, kAvailRing + 2 * l.size + 2)) {
    return "available ring misaligned or not in RAM";
  }
  if (l.used_gpa % 4 != 0 || !memory.Contains(l.used_gpa, kUsedRing + kUsedElemSize * l.size + 2)) {
    return "used ring misaligned or not in RAM";
  }
  return nullptr;
}

Virtqueue::Virtqueue(GuestMemory& memory, const VirtqueueLayout& layout, bool indirect)
    : memory_(&memory), layout_(layout), indirect_(indirect) {
  if (const char* why = CheckLayout(memory, layout)) {
    throw Error(ErrorKind::kInternal, std::string("virtqueue layout not checked: ") + why);
  }
}

void Virtqueue::MarkBroken(const char* reason) {
  if (broken_ == nullptr) broken_ = reason;
}

std::optional<DescriptorChain> Virtqueue::PopChain() {
  if (broken()) return std::nullopt;
  std::optional<uint16_t> avail_idx = memory_->Load<uint16_t>(layout_.avail_gpa + kAvailIdx);
  if (!avail_idx) {
    MarkBroken("available ring not in RAM");
    return std::nullopt;
  }
  // Free-running 16-bit indexes: the difference is the number of new chains.
  uint16_t pending = static_cast<uint16_t>(*avail_idx - last_avail_idx_);
  if (pending == 0) return std::nullopt;
  if (pending > layout_.size) {
    MarkBroken("available index moved ahead by more than the queue size");
    return std::nullopt;
  }
  // Ring entries written before the index must be seen after it.
  std::atomic_thread_fence(std::memory_order_acquire);
  uint64_t slot = layout_.avail_gpa + kAvailRing + 2 * (last_avail_idx_ % layout_.size);
  std::optional<uint16_t> head = memory_->Load<uint16_t>(slot);
  if (!head || *head >= layout_.size) {
    MarkBroken("available ring names a descriptor beyond the queue size");
    return std::nullopt;
  }
  ++last_avail_idx_;
  ++in_flight_;
  DescriptorChain chain;
  chain.head = *head;
  WalkChain(chain);
  return chain;
}

std::optional<Virtqueue::Descriptor> Virtqueue::LoadDescriptor(uint64_t table_gpa,
                                                               uint32_t index) const {
  // One copy of the whole descriptor: the guest may rewrite it meanwhile.
  struct {
    uint64_t addr;
    uint32_t len;
    uint16_t flags;
    uint16_t next;
  } raw;
  static_assert(sizeof(raw) == kDescSize);
  if (!memory_->Read(table_gpa + kDescSize * index, &raw, sizeof(raw))) return std::nullopt;
  return Descriptor{raw.addr, raw.len, raw.flags, raw.next};
}

void Virtqueue::WalkChain(DescriptorChain& chain) const {
  auto fail = [&chain](const char* why) {
    chain.buffers.clear();
    chain.error = why;
  };
  uint64_t table = layout_.desc_gpa;
  uint32_t table_size = layout_.size;
  uint32_t index = chain.head;
  bool in_indirect = false;
  bool seen_writable = false;
  uint64_t total_bytes = 0;
  // Problems that still leave the chain's shape known.
  const char* late_error = nullptr;
  // Each table is visited at most once per descriptor, so the walk ends.
  std::bitset<kMaxSize> visited;
  for (;;) {
    if (index >= table_size) return fail("descriptor index beyond its table");
    if (visited[index]) return fail("descriptor chain loops");
    visited[index] = true;
    std::optional<Descriptor> desc = LoadDescriptor(table, index);
    if (!desc) return fail("descriptor table not in RAM");

    if (desc->flags & kDescIndirect) {
      if (!indirect_) return fail("indirect descriptor without VIRTIO_RING_F_INDIRECT_DESC");
      if (in_indirect) return fail("indirect descriptor inside an indirect table");
      if (desc->flags & kDescNext) return fail("indirect descriptor with NEXT set");
      if (desc->len == 0 || desc->len % kDescSize != 0) {
        return fail("indirect table length is not a positive multiple of 16");
      }
      if (desc->len / kDescSize > layout_.size) return fail("indirect table longer than the queue");
      if (!memory_->Contains(desc->addr, desc->len)) return fail("indirect table not in RAM");
      table = desc->addr;
      table_size = desc->len / kDescSize;
      index = 0;
      in_indirect = true;
      visited.reset();
      continue;
    }

    // The spec bounds a chain by the queue size; the indirect descriptor
    // itself is not a buffer and does not count.
    if (chain.buffers.size() >= layout_.size) return fail("descriptor chain longer than the queue");
    bool writable = (desc->flags & kDescWrite) != 0;
    if (!writable && seen_writable && !late_error) {
      late_error = "device-readable buffer after a device-writable one";
    }
    seen_writable |= writable;
    if (!memory_->Contains(desc->addr, desc->len) && !late_error) {
      late_error = "buffer not in RAM";
    }
    total_bytes += desc->len;  // at most 2 * 1024 * 4 GiB: no overflow
    if (total_bytes > kMaxChainBytes && !late_error) late_error = "descriptor chain too large";
    chain.buffers.push_back(VirtqBuffer{desc->addr, desc->len, writable});
    if (!(desc->flags & kDescNext)) break;
    index = desc->next;
  }
  chain.error = late_error;
}

bool Virtqueue::PushUsed(uint16_t head, uint32_t written_len) {
  if (broken()) return false;
  if (in_flight_ == 0) {
    MarkBroken("more used chains than available ones");
    return false;
  }
  uint64_t elem = layout_.used_gpa + kUsedRing + kUsedElemSize * (used_idx_ % layout_.size);
  bool ok = memory_->Store<uint32_t>(elem, head) && memory_->Store<uint32_t>(elem + 4, written_len);
  // The element must be visible before the index that publishes it.
  std::atomic_thread_fence(std::memory_order_release);
  ok = ok && memory_->Store<uint16_t>(layout_.used_gpa + kUsedIdx, used_idx_ + 1);
  if (!ok) {
    MarkBroken("used ring not in RAM");
    return false;
  }
  ++used_idx_;
  --in_flight_;
  return true;
}

}  // namespace vmrr
