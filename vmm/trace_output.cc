#include "vmm/trace_output.h"

#include <fcntl.h>
#include <sys/stat.h>

#include <cerrno>
#include <cstdio>
#include <cstring>

#include "base/error.h"

namespace vmrr {

void CheckTraceOutput(const std::string& output, const std::vector<std::string>& inputs,
                      bool force) {
  struct stat out{};
  if (stat(output.c_str(), &out) != 0) return;  // nothing there yet
  for (const std::string& input : inputs) {
    struct stat in{};
    if (input.empty() || stat(input.c_str(), &in) != 0) continue;
    if (in.st_dev == out.st_dev && in.st_ino == out.st_ino) {
      throw Error(ErrorKind::kUsage, "-o " + output + " is " + input +
                                         ", an input of this run: the trace would replace it");
    }
  }
  if (S_ISDIR(out.st_mode)) {
    throw Error(ErrorKind::kUsage, "-o " + output + " is a directory; want a trace file name");
  }
  if (!force) {
    throw Error(ErrorKind::kUsage,
                "-o " + output + " exists; --force replaces it (when the recording ends)");
  }
}

TraceOutput TraceOutput::Create(const std::string& path, const std::vector<std::string>& inputs,
                                bool force) {
  CheckTraceOutput(path, inputs, force);
  struct stat st{};
  const bool replacing = stat(path.c_str(), &st) == 0;
  std::string writing = replacing ? path + ".partial" : path;
  int flags = O_WRONLY | O_CREAT | O_CLOEXEC | (replacing ? O_TRUNC : O_EXCL);
  UniqueFd fd(open(writing.c_str(), flags, 0644));
  if (!fd.valid()) {
    if (errno == EEXIST) {
      throw Error(ErrorKind::kUsage, "-o " + path + " exists; --force replaces it");
    }
    throw Error(ErrorKind::kInput, "cannot create trace " + writing + ": " + std::strerror(errno));
  }
  return TraceOutput(path, std::move(writing), std::move(fd));
}

void TraceOutput::Commit() {
  if (writing_path_ == path_) return;
  if (std::rename(writing_path_.c_str(), path_.c_str()) != 0) {
    ThrowErrno("renaming " + writing_path_ + " to " + path_);
  }
  writing_path_ = path_;
}

}  // namespace vmrr
