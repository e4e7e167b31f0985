// Owns one mmap()ed region; unmaps it on destruction.
#pragma once

#include <cstddef>
#include <utility>

namespace vmrr {

class Mapping {
 public:
  Mapping() = default;
  // Anonymous, private, read-write memory (guest RAM); throws on failure.
  static Mapping Anonymous(size_t size);
  // A shared mapping of `size` bytes of fd at offset 0 (the vCPU's kvm_run).
  static Mapping Shared(int fd, size_t size);

  Mapping(Mapping&& other) noexcept
      : addr_(std::exchange(other.addr_, nullptr)), size_(std::exchange(other.size_, 0)) {}
  Mapping& operator=(Mapping&& other) noexcept;
  Mapping(const Mapping&) = delete;
  Mapping& operator=(const Mapping&) = delete;
  ~Mapping();

  void* data() const { return addr_; }
  size_t size() const { return size_; }

 private:
  Mapping(void* addr, size_t size) : addr_(addr), size_(size) {}
  void* addr_ = nullptr;
  size_t size_ = 0;
};

}  // namespace vmrr
