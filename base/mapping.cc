#include "base/mapping.h"

#include <sys/mman.h>

#include "base/error.h"

namespace vmrr {

Mapping Mapping::Anonymous(size_t size) {
  void* p = mmap(nullptr, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE,
                 -1, 0);
  if (p == MAP_FAILED) ThrowErrno("mmap of " + std::to_string(size) + " bytes");
  return Mapping(p, size);
}

Mapping Mapping::Shared(int fd, size_t size) {
  void* p = mmap(nullptr, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
  if (p == MAP_FAILED) ThrowErrno("mmap of fd " + std::to_string(fd));
  return Mapping(p, size);
}

Mapping& Mapping::operator=(Mapping&& other) noexcept {
  if (this != &other) {
    if (addr_ != nullptr) munmap(addr_, size_);
    addr_ = std::exchange(other.addr_, nullptr);
    size_ = std::exchange(other.size_, 0);
  }
  return *this;
}

Mapping::~Mapping() {
  if (addr_ != nullptr) munmap(addr_, size_);
}

}  // namespace vmrr
