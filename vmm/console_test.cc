#include "vmm/console.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <string>

namespace vmrr {
namespace {

struct Pipe {
  int r = -1, w = -1;
  Pipe() {
    int fds[2];
    EXPECT_EQ(pipe(fds), 0);
    r = fds[0];
    w = fds[1];
  }
  ~Pipe() {
    if (r >= 0) close(r);
    if (w >= 0) close(w);
  }
};

TEST(Console, ForwardsInputWithoutBlocking) {
  Pipe in, out;
  Console console(in.r, out.w);
  EXPECT_FALSE(console.is_terminal());
  std::string got;
  auto sink = [&](const uint8_t* d, size_t n) { got.append(reinterpret_cast<const char*>(d), n); };
  EXPECT_TRUE(console.PollInput(sink));  // nothing yet: returns at once
  EXPECT_EQ(got, "");
  ASSERT_EQ(write(in.w, "ls\n", 3), 3);
  EXPECT_TRUE(console.PollInput(sink));
  EXPECT_EQ(got, "ls\n");
  // Not a terminal: Ctrl-A is passed through untouched.
  ASSERT_EQ(write(in.w, "\x01x", 2), 2);
  EXPECT_TRUE(console.PollInput(sink));
  EXPECT_EQ(got, "ls\n\x01x");
  close(in.w);
  in.w = -1;
  EXPECT_TRUE(console.PollInput(sink));  // EOF is not an error
}

TEST(Console, WritesOutputBytes) {
  Pipe in, out;
  Console console(in.r, out.w);
  console.Write('h');
  console.Write('i');
  char buf[8] = {};
  ASSERT_EQ(read(out.r, buf, sizeof(buf)), 2);
  EXPECT_EQ(std::string(buf), "hi");
}

}  // namespace
}  // namespace vmrr
