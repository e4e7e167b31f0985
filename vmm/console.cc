#include "vmm/console.h"

#include <fcntl.h>
#include <poll.h>
#include <unistd.h>

#include <cerrno>
#include <vector>

namespace vmrr {

namespace {

constexpr uint8_t kEscape = 0x01;  // Ctrl-A

}  // namespace

Console::Console(int in_fd, int out_fd) : in_fd_(in_fd), out_fd_(out_fd) {
  if (isatty(in_fd_) && tcgetattr(in_fd_, &saved_) == 0) {
    termios raw = saved_;
    cfmakeraw(&raw);
    raw.c_oflag |= OPOST | ONLCR;  // keep "\n" -> "\r\n" on output
    raw_ = tcsetattr(in_fd_, TCSANOW, &raw) == 0;
  }
}

Console::~Console() {
  if (raw_) tcsetattr(in_fd_, TCSANOW, &saved_);
}

void Console::Write(uint8_t byte) {
  if (tap_) tap_(byte);
  while (write(out_fd_, &byte, 1) < 0 && errno == EINTR) {
  }
}

bool Console::PollInput(const std::function<void(const uint8_t*, size_t)>& sink) {
  while (input_open_) {
    pollfd p{in_fd_, POLLIN, 0};
    if (poll(&p, 1, 0) <= 0 || (p.revents & (POLLIN | POLLHUP)) == 0) return true;
    uint8_t buf[256];
    ssize_t n = read(in_fd_, buf, sizeof(buf));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      input_open_ = false;  // EOF: the guest just gets no more input
      return true;
    }
    std::vector<uint8_t> pass;
    for (ssize_t i = 0; i < n; ++i) {
      uint8_t c = buf[i];
      if (raw_ && escape_) {
        escape_ = false;
        if (c == 'x' || c == 'X') return false;
        if (c != kEscape) pass.push_back(kEscape);
      } else if (raw_ && c == kEscape) {
        escape_ = true;
        continue;
      }
      pass.push_back(c);
    }
    if (!pass.empty()) sink(pass.data(), pass.size());
  }
  return true;
}

}  // namespace vmrr
