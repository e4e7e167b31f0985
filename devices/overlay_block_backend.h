// A copy-on-write disk: reads come from a base BlockBackend until a sector is
// written; written sectors live in memory.  Record and replay run the guest
// on this so the user's image is never modified (unless --persist), and a
// replay starts from exactly the disk the recording started from.
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <unordered_map>

#include "devices/block_backend.h"

namespace vmrr {

class OverlayBlockBackend : public BlockBackend {
 public:
  static constexpr size_t kSectorBytes = 512;

  // `base` is only read.  The overlay is writable unless `read_only`.
  OverlayBlockBackend(std::unique_ptr<BlockBackend> base, bool read_only);

  uint64_t size_bytes() const override { return base_->size_bytes(); }
  bool read_only() const override { return read_only_; }
  bool ReadAt(uint64_t offset, void* dst, size_t len) override;
  bool WriteAt(uint64_t offset, const void* src, size_t len) override;
  // Nothing to make durable: the overlay is thrown away with the VM.
  bool Flush() override { return true; }

  size_t dirty_sectors() const { return sectors_.size(); }

 private:
  using Sector = std::array<uint8_t, kSectorBytes>;
  // Reads one whole sector, from the overlay or the base.
  bool ReadSector(uint64_t sector, uint8_t* dst);

  std::unique_ptr<BlockBackend> base_;
  bool read_only_;
  std::unordered_map<uint64_t, Sector> sectors_;
};

}  // namespace vmrr
