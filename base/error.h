// The one error style of vmrr: exceptions of type vmrr::Error, thrown where
// a problem is found and caught at the CLI boundary, which prints one line
// and maps the kind to an exit code.
#pragma once

#include <stdexcept>
#include <string>

namespace vmrr {

enum class ErrorKind {
  kUsage,        // bad command line: exit 2
  kInput,        // bad input file or value: exit 2
  kUnsupported,  // the host cannot do it (no KVM, no counter): exit 2
  kSystem,       // a system call failed unexpectedly: exit 1
  kInternal,     // a bug in vmrr: exit 1
};

class Error : public std::runtime_error {
 public:
  Error(ErrorKind kind, const std::string& message) : std::runtime_error(message), kind_(kind) {}
  ErrorKind kind() const { return kind_; }

 private:
  ErrorKind kind_;
};

// Throws kSystem with "<what>: <strerror(err)>".
[[noreturn]] void ThrowErrno(const std::string& what, int err);
// Same with the current errno.
[[noreturn]] void ThrowErrno(const std::string& what);

int ExitCodeFor(ErrorKind kind);

}  // namespace vmrr
