#include "vmm/boot_files.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "base/error.h"
#include "base/unique_fd.h"

namespace vmrr {

std::vector<uint8_t> ReadBootFile(const std::string& what, const std::string& path) {
  auto fail = [&](int err) {
    return Error(ErrorKind::kInput, what + " " + path + ": " + std::strerror(err));
  };
  UniqueFd fd(open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd.valid()) throw fail(errno);
  struct stat st{};
  if (fstat(fd.get(), &st) != 0) throw fail(errno);
  if (!S_ISREG(st.st_mode)) throw Error(ErrorKind::kInput, what + " " + path + ": not a file");
  std::vector<uint8_t> bytes(static_cast<size_t>(st.st_size));
  size_t done = 0;
  while (done < bytes.size()) {
    ssize_t n = read(fd.get(), bytes.data() + done, bytes.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) throw fail(errno);
    if (n == 0) throw Error(ErrorKind::kInput, what + " " + path + ": shrank while reading");
    done += static_cast<size_t>(n);
  }
  return bytes;
}

void WriteFile(const std::string& path, const std::vector<uint8_t>& bytes) {
  UniqueFd fd(open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644));
  if (!fd.valid()) ThrowErrno("cannot write " + path, errno);
  size_t done = 0;
  while (done < bytes.size()) {
    ssize_t n = write(fd.get(), bytes.data() + done, bytes.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) ThrowErrno("cannot write " + path, errno);
    done += static_cast<size_t>(n);
  }
}

}  // namespace vmrr
