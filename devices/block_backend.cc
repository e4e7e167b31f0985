#include "devices/block_backend.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "base/error.h"

namespace vmrr {

FileBlockBackend::FileBlockBackend(const std::string& path, bool read_only)
    : path_(path), read_only_(read_only) {
  fd_ = UniqueFd(::open(path.c_str(), (read_only ? O_RDONLY : O_RDWR) | O_CLOEXEC));
  if (!fd_.valid()) {
    throw Error(ErrorKind::kInput, "cannot open disk image " + path + ": " + std::strerror(errno));
  }
  struct stat st;
  if (::fstat(fd_.get(), &st) != 0) ThrowErrno("fstat " + path);
  if (!S_ISREG(st.st_mode) && !S_ISBLK(st.st_mode)) {
    throw Error(ErrorKind::kInput, "disk image " + path + " is not a file or block device");
  }
  // st_size is 0 for block devices; the end offset works for both.
  off_t end = ::lseek(fd_.get(), 0, SEEK_END);
  if (end < 0) ThrowErrno("lseek " + path);
  size_ = static_cast<uint64_t>(end);
  if (size_ % 512 != 0) {
    throw Error(ErrorKind::kInput, "disk image " + path + " is " + std::to_string(size_) +
                                       " bytes, not a multiple of 512");
  }
}

bool FileBlockBackend::ReadAt(uint64_t offset, void* dst, size_t len) {
  if (offset > size_ || len > size_ - offset) return false;
  auto* p = static_cast<uint8_t*>(dst);
  while (len > 0) {
    ssize_t n = ::pread(fd_.get(), p, len, static_cast<off_t>(offset));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;  // an error, or the file shrank under us
    p += n;
    offset += n;
    len -= n;
  }
  return true;
}

bool FileBlockBackend::WriteAt(uint64_t offset, const void* src, size_t len) {
  if (read_only_ || offset > size_ || len > size_ - offset) return false;
  const auto* p = static_cast<const uint8_t*>(src);
  while (len > 0) {
    ssize_t n = ::pwrite(fd_.get(), p, len, static_cast<off_t>(offset));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    p += n;
    offset += n;
    len -= n;
  }
  return true;
}

bool FileBlockBackend::Flush() {
  if (read_only_) return true;
  while (::fdatasync(fd_.get()) != 0) {
    if (errno != EINTR) return false;
  }
  return true;
}

}  // namespace vmrr
