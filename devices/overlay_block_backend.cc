#include "devices/overlay_block_backend.h"

#include <algorithm>
#include <cstring>

namespace vmrr {

OverlayBlockBackend::OverlayBlockBackend(std::unique_ptr<BlockBackend> base, bool read_only)
    : base_(std::move(base)), read_only_(read_only) {}

bool OverlayBlockBackend::ReadSector(uint64_t sector, uint8_t* dst) {
  if (auto it = sectors_.find(sector); it != sectors_.end()) {
    std::memcpy(dst, it->second.data(), kSectorBytes);
    return true;
  }
  return base_->ReadAt(sector * kSectorBytes, dst, kSectorBytes);
}

bool OverlayBlockBackend::ReadAt(uint64_t offset, void* dst, size_t len) {
  if (offset > size_bytes() || len > size_bytes() - offset) return false;
  auto* out = static_cast<uint8_t*>(dst);
  // Runs of clean sectors go to the base in one read.
  while (len > 0) {
    uint64_t sector = offset / kSectorBytes;
    size_t within = offset % kSectorBytes;
    if (sectors_.count(sector) || within != 0 || len < kSectorBytes) {
      Sector buf;
      if (!ReadSector(sector, buf.data())) return false;
      size_t n = std::min(len, kSectorBytes - within);
      std::memcpy(out, buf.data() + within, n);
      out += n;
      offset += n;
      len -= n;
      continue;
    }
    size_t run = 0;
    while (run + kSectorBytes <= len && !sectors_.count(sector + run / kSectorBytes)) {
      run += kSectorBytes;
    }
    if (!base_->ReadAt(offset, out, run)) return false;
    out += run;
    offset += run;
    len -= run;
  }
  return true;
}

bool OverlayBlockBackend::WriteAt(uint64_t offset, const void* src, size_t len) {
  if (read_only_) return false;
  if (offset > size_bytes() || len > size_bytes() - offset) return false;
  const auto* in = static_cast<const uint8_t*>(src);
  while (len > 0) {
    uint64_t sector = offset / kSectorBytes;
    size_t within = offset % kSectorBytes;
    size_t n = std::min(len, kSectorBytes - within);
    auto it = sectors_.find(sector);
    if (it == sectors_.end()) {
      Sector fresh;
      // A partial write keeps the rest of the sector's current bytes.
      if (n != kSectorBytes && !ReadSector(sector, fresh.data())) return false;
      it = sectors_.emplace(sector, fresh).first;
    }
    std::memcpy(it->second.data() + within, in, n);
    in += n;
    offset += n;
    len -= n;
  }
  return true;
}

}  // namespace vmrr
