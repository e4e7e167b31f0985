#include "memory/guest_memory.h"

#include "base/error.h"

namespace vmrr {

GuestMemory::GuestMemory(uint64_t base, uint64_t size)
    : base_(base), size_(size), ram_(Mapping::Anonymous(size)) {
  if (size == 0 || base + size < base) {
    throw Error(ErrorKind::kInternal, "guest RAM range wraps or is empty");
  }
}

bool GuestMemory::Contains(uint64_t gpa, uint64_t len) const {
  if (gpa < base_) return false;
  uint64_t offset = gpa - base_;
  if (offset > size_) return false;
  return len <= size_ - offset && (len > 0 || offset < size_);
}

uint8_t* GuestMemory::Translate(uint64_t gpa, uint64_t len) const {
  if (!Contains(gpa, len)) return nullptr;
  return host() + (gpa - base_);
}

bool GuestMemory::Read(uint64_t gpa, void* dst, uint64_t len) const {
  const uint8_t* p = Translate(gpa, len);
  if (p == nullptr) return false;
  std::memcpy(dst, p, len);
  return true;
}

bool GuestMemory::Write(uint64_t gpa, const void* src, uint64_t len) {
  uint8_t* p = Translate(gpa, len);
  if (p == nullptr) return false;
  std::memcpy(p, src, len);
  if (observer_) observer_(gpa, p, len);
  return true;
}

}  // namespace vmrr
