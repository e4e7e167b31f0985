// SHA-256 (FIPS 180-4), for the trace header's hashes of the kernel, initrd
// and disk: a user can check which files a trace was recorded with.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>

namespace vmrr {

class Sha256 {
 public:
  using Digest = std::array<uint8_t, 32>;

  Sha256();
  void Update(const void* data, size_t len);
  Digest Finish();

  static Digest Of(const void* data, size_t len);
  static std::string Hex(const Digest& digest);

 private:
  void Block(const uint8_t* block);

  std::array<uint32_t, 8> state_;
  std::array<uint8_t, 64> buffer_{};
  size_t buffered_ = 0;
  uint64_t total_bytes_ = 0;
};

}  // namespace vmrr
