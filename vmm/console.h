// The guest console on the host's terminal: UART output to stdout, stdin to
// the UART.  Input is read without blocking at vCPU exits (the run loop kicks
// KVM_RUN periodically), so devices stay single-threaded.  A terminal is put
// in raw mode (restored on destruction); Ctrl-A x then stops the guest.
#pragma once

#include <termios.h>

#include <cstdint>
#include <functional>
#include <string>

namespace vmrr {

class Console {
 public:
  Console(int in_fd, int out_fd);
  ~Console();
  Console(const Console&) = delete;
  Console& operator=(const Console&) = delete;

  void Write(uint8_t byte);
  // Sees every byte written (record watches for a workload's FAIL verdict).
  void set_output_tap(std::function<void(uint8_t)> tap) { tap_ = std::move(tap); }
  // Reads what input is available now and hands it to `sink`.  Returns false
  // once the user asked to quit (Ctrl-A x on a terminal).
  bool PollInput(const std::function<void(const uint8_t*, size_t)>& sink);
  bool is_terminal() const { return raw_; }

 private:
  int in_fd_;
  int out_fd_;
  bool raw_ = false;
  bool input_open_ = true;
  bool escape_ = false;
  termios saved_{};
  std::function<void(uint8_t)> tap_;
};

}  // namespace vmrr
