#include "devices/virtq_test_driver.h"

#include <optional>
#include <stdexcept>

namespace vmrr {
namespace {

void Check(bool ok) {
  if (!ok) throw std::logic_error("test driver wrote outside guest RAM");
}

template <typename T>
T Checked(std::optional<T> v) {
  if (!v) throw std::logic_error("test driver read outside guest RAM");
  return *v;
}

uint64_t AlignUp(uint64_t v, uint64_t a) { return (v + a - 1) / a * a; }

}  // namespace

VirtqTestDriver::VirtqTestDriver(GuestMemory& memory, uint64_t base, uint32_t size)
    : memory_(memory) {
  layout_.size = size;
  layout_.desc_gpa = base;
  layout_.avail_gpa = base + 16 * size;
  layout_.used_gpa = AlignUp(layout_.avail_gpa + 6 + 2 * size, 4);
  end_ = layout_.used_gpa + 6 + 8 * size;
}

void VirtqTestDriver::SetDesc(uint16_t index, uint64_t addr, uint32_t len, uint16_t flags,
                              uint16_t next, uint64_t table_gpa) {
  uint64_t at = (table_gpa ? table_gpa : layout_.desc_gpa) + 16 * uint64_t{index};
  Check(memory_.Store<uint64_t>(at, addr));
  Check(memory_.Store<uint32_t>(at + 8, len));
  Check(memory_.Store<uint16_t>(at + 12, flags));
  Check(memory_.Store<uint16_t>(at + 14, next));
}

uint16_t VirtqTestDriver::WriteChain(const std::vector<Buf>& bufs) {
  uint16_t head = next_free_;
  for (size_t i = 0; i < bufs.size(); ++i) {
    uint16_t index = next_free_;
    next_free_ = static_cast<uint16_t>((next_free_ + 1) % layout_.size);
    bool last = i + 1 == bufs.size();
    uint16_t flags = (last ? 0 : kNext) | (bufs[i].writable ? kWrite : 0);
    SetDesc(index, bufs[i].gpa, bufs[i].len, flags, last ? 0 : next_free_);
  }
  return head;
}

uint16_t VirtqTestDriver::WriteIndirectChain(uint64_t table_gpa, const std::vector<Buf>& bufs) {
  for (size_t i = 0; i < bufs.size(); ++i) {
    bool last = i + 1 == bufs.size();
    uint16_t flags = (last ? 0 : kNext) | (bufs[i].writable ? kWrite : 0);
    SetDesc(static_cast<uint16_t>(i), bufs[i].gpa, bufs[i].len, flags,
            last ? 0 : static_cast<uint16_t>(i + 1), table_gpa);
  }
  uint16_t index = next_free_;
  next_free_ = static_cast<uint16_t>((next_free_ + 1) % layout_.size);
  SetDesc(index, table_gpa, static_cast<uint32_t>(16 * bufs.size()), kIndirect, 0);
  return index;
}

void VirtqTestDriver::MakeAvailable(uint16_t head) {
  Check(memory_.Store<uint16_t>(layout_.avail_gpa + 4 + 2 * (avail_idx_ % layout_.size), head));
  SetAvailIdx(static_cast<uint16_t>(avail_idx_ + 1));
}

uint16_t VirtqTestDriver::WriteAndMakeAvailable(const std::vector<Buf>& bufs) {
  uint16_t head = WriteChain(bufs);
  MakeAvailable(head);
  return head;
}

void VirtqTestDriver::SetAvailIdx(uint16_t idx) {
  avail_idx_ = idx;
  Check(memory_.Store<uint16_t>(layout_.avail_gpa + 2, idx));
}

uint16_t VirtqTestDriver::UsedIdx() const {
  return Checked(memory_.Load<uint16_t>(layout_.used_gpa + 2));
}

uint32_t VirtqTestDriver::UsedId(uint16_t slot) const {
  return Checked(memory_.Load<uint32_t>(layout_.used_gpa + 4 + 8 * (slot % layout_.size)));
}

uint32_t VirtqTestDriver::UsedLen(uint16_t slot) const {
  return Checked(memory_.Load<uint32_t>(layout_.used_gpa + 8 + 8 * (slot % layout_.size)));
}

}  // namespace vmrr
