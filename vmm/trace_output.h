// Where `vmrr record` writes its trace (-o FILE): never over one of the
// run's own input files (kernel, initrd, disk, --input script; compared by
// inode, so another name for the same file is caught), and never over an
// existing file unless --force.
//
// A new file is created under its final name (O_EXCL), so a recorder
// killed mid-run leaves its cut, readable prefix there.  An existing file
// (--force) is replaced only when the recording ends: the trace is written
// to FILE.partial beside it and renamed over FILE by Commit(); a recorder
// killed before that leaves the old FILE whole and the cut prefix in
// FILE.partial.
#pragma once

#include <string>
#include <vector>

#include "base/unique_fd.h"

namespace vmrr {

class TraceOutput {
 public:
  // Checks `path` and creates the file the trace is written to.  Throws
  // Error(kUsage) for an input file or an existing file without `force`,
  // Error(kInput) when it cannot be created.  `inputs` may hold "" (none).
  static TraceOutput Create(const std::string& path, const std::vector<std::string>& inputs,
                            bool force);

  // The name the trace has once committed.
  const std::string& path() const { return path_; }
  // The file written now (path(), or path() + ".partial").
  const std::string& writing_path() const { return writing_path_; }
  // The open file, for TraceWriter (once).
  UniqueFd TakeFd() { return std::move(fd_); }
  // The trace is complete: gives it its final name.
  void Commit();

 private:
  TraceOutput(std::string path, std::string writing_path, UniqueFd fd)
      : path_(std::move(path)), writing_path_(std::move(writing_path)), fd_(std::move(fd)) {}

  std::string path_;
  std::string writing_path_;
  UniqueFd fd_;
};

// Throws Error(kUsage) when `output` names the same file as one of
// `inputs` (same device and inode), or exists and `force` is false.
void CheckTraceOutput(const std::string& output, const std::vector<std::string>& inputs,
                      bool force);

}  // namespace vmrr
