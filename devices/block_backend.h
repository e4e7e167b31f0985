// Disk contents for virtio-blk.  They are an external input of the machine
// (recording needs the same image at replay), so devices reach them only
// through this interface.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

#include "base/unique_fd.h"

namespace vmrr {

class BlockBackend {
 public:
  virtual ~BlockBackend() = default;
  virtual uint64_t size_bytes() const = 0;  // a multiple of 512
  virtual bool read_only() const = 0;
  // Whole transfers or failure (the guest then sees an I/O error); callers
  // keep [offset, offset + len) within size_bytes().
  virtual bool ReadAt(uint64_t offset, void* dst, size_t len) = 0;
  virtual bool WriteAt(uint64_t offset, const void* src, size_t len) = 0;
  // Makes completed writes durable.
  virtual bool Flush() = 0;
};

// A disk image file or block device, with pread/pwrite/fdatasync.
class FileBlockBackend : public BlockBackend {
 public:
  // Opens `path` read-only or read-write.  Throws Error(kInput) when it
  // cannot be opened, is not a regular file or block device, or its size is
  // not a multiple of 512 bytes; the message names the file.
  FileBlockBackend(const std::string& path, bool read_only);

  uint64_t size_bytes() const override { return size_; }
  bool read_only() const override { return read_only_; }
  bool ReadAt(uint64_t offset, void* dst, size_t len) override;
  bool WriteAt(uint64_t offset, const void* src, size_t len) override;
  bool Flush() override;
  const std::string& path() const { return path_; }

 private:
  std::string path_;
  bool read_only_;
  UniqueFd fd_;
  uint64_t size_ = 0;
};

}  // namespace vmrr
