#include "base/error.h"

#include <cerrno>
#include <cstring>

namespace vmrr {

void ThrowErrno(const std::string& what, int err) {
  throw Error(ErrorKind::kSystem, what + ": " + std::strerror(err));
}

void ThrowErrno(const std::string& what) { ThrowErrno(what, errno); }

int ExitCodeFor(ErrorKind kind) {
  switch (kind) {
    case ErrorKind::kUsage:
    case ErrorKind::kInput:
    case ErrorKind::kUnsupported:
      return 2;
    case ErrorKind::kSystem:
    case ErrorKind::kInternal:
      return 1;
  }
  return 1;
}

}  // namespace vmrr
