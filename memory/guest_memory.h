// Guest RAM: one contiguous anonymous mapping at a guest-physical base.
// Every access on behalf of the guest goes through Translate/Read/Write,
// which check the whole range against RAM (overflow-safe), so a hostile
// guest can never make the VMM touch host memory outside guest RAM.
// No KVM includes: devices/ use it too.
#pragma once

#include <cstdint>
#include <cstring>
#include <functional>
#include <optional>
#include <type_traits>

#include "base/mapping.h"

namespace vmrr {

class GuestMemory {
 public:
  // Maps `size` bytes of zeroed RAM for guest-physical [base, base + size).
  GuestMemory(uint64_t base, uint64_t size);

  uint64_t base() const { return base_; }
  uint64_t size() const { return size_; }
  uint64_t end() const { return base_ + size_; }
  uint8_t* host() const { return static_cast<uint8_t*>(ram_.data()); }

  // True when all of [gpa, gpa + len) is RAM.  len 0 is inside iff gpa is.
  bool Contains(uint64_t gpa, uint64_t len) const;
  // Host address of [gpa, gpa + len), or nullptr when any of it is not RAM.
  uint8_t* Translate(uint64_t gpa, uint64_t len) const;
  // Copies; false (and nothing copied) when the range is not all RAM.
  bool Read(uint64_t gpa, void* dst, uint64_t len) const;
  bool Write(uint64_t gpa, const void* src, uint64_t len);

  // Record's view of device writes: called after every Write() and every
  // NoteWritten() with the range just written (the guest's own stores are
  // not seen here).  Empty: nobody watches.
  using WriteObserver = std::function<void(uint64_t gpa, const uint8_t* data, uint64_t len)>;
  void set_write_observer(WriteObserver observer) { observer_ = std::move(observer); }
  // For writers that went through Translate() (virtio-blk reading the disk
  // straight into guest buffers).
  void NoteWritten(uint64_t gpa, uint64_t len) {
    if (observer_) observer_(gpa, Translate(gpa, len), len);
  }

  // A trivially copyable value at gpa (guest byte order = host byte order:
  // both are little-endian), or nullopt when it is not all in RAM.
  template <typename T>
  std::optional<T> Load(uint64_t gpa) const {
    static_assert(std::is_trivially_copyable_v<T>);
    T value;
    if (!Read(gpa, &value, sizeof(T))) return std::nullopt;
    return value;
  }
  template <typename T>
  bool Store(uint64_t gpa, const T& value) {
    static_assert(std::is_trivially_copyable_v<T>);
    return Write(gpa, &value, sizeof(T));
  }

 private:
  uint64_t base_;
  uint64_t size_;
  Mapping ram_;
  WriteObserver observer_;
};

}  // namespace vmrr
