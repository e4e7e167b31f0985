#include "vmm/scripted_input.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <fstream>

#include "base/error.h"

namespace vmrr {
namespace {

using std::chrono::milliseconds;
using Clock = ScriptedInput::Clock;

void Print(ScriptedInput& input, const std::string& text, Clock::time_point now) {
  for (char c : text) input.SawOutput(static_cast<uint8_t>(c), now);
}

TEST(ScriptedInputTest, LinesComeOutInOrderEachAfterADelayWithinTheBounds) {
  Clock::time_point start{};
  ScriptedInput input("one\ntwo\nend", 5, start);
  EXPECT_EQ(input.lines_left(), 3u);
  std::string typed;
  Clock::time_point previous = start;
  while (input.next_due()) {
    Clock::time_point due = *input.next_due();
    EXPECT_GE(due - previous, ScriptedInput::kMinDelay);
    EXPECT_LE(due - previous, ScriptedInput::kMaxDelay);
    EXPECT_EQ(input.TakeDue(due - milliseconds(1)), "");  // not before its time
    typed += input.TakeDue(due);
    previous = due;
  }
  EXPECT_EQ(typed, "one\ntwo\nend\n");  // the last line gets its newline
  EXPECT_EQ(input.lines_left(), 0u);
  EXPECT_EQ(input.TakeDue(previous + milliseconds(1000)), "");
}

TEST(ScriptedInputTest, ALateStopTakesEveryLineDueByThen) {
  ScriptedInput input("a\nb\nc\n", 1, Clock::time_point{});
  EXPECT_EQ(input.TakeDue(Clock::time_point{} + 3 * ScriptedInput::kMaxDelay), "a\nb\nc\n");
  EXPECT_EQ(input.lines_left(), 0u);
}

TEST(ScriptedInputTest, AWaitHoldsTheLinesAfterItUntilTheGuestPrintsItsText) {
  Clock::time_point start{};
  ScriptedInput input("first\n@wait login: \nroot\n", 3, start);
  Clock::time_point later = start + ScriptedInput::kMaxDelay;
  EXPECT_EQ(input.TakeDue(later), "first\n");
  EXPECT_EQ(input.waiting_for(), "login: ");
  EXPECT_FALSE(input.next_due());  // nothing is due while waiting
  EXPECT_EQ(input.TakeDue(later + milliseconds(10000)), "");
  Print(input, "Debian login:", later);  // not yet: the space is missing
  EXPECT_FALSE(input.next_due());
  Clock::time_point prompt = later + milliseconds(20000);
  Print(input, " ", prompt);
  ASSERT_TRUE(input.next_due());
  EXPECT_GE(*input.next_due() - prompt, ScriptedInput::kMinDelay);
  EXPECT_EQ(input.waiting_for(), "");
  EXPECT_EQ(input.TakeDue(prompt + ScriptedInput::kMaxDelay), "root\n");
  EXPECT_EQ(input.lines_left(), 0u);
}

TEST(ScriptedInputTest, TheSeedDecidesTheDelays) {
  ScriptedInput a("x\ny\nz\n", 1, Clock::time_point{});
  ScriptedInput b("x\ny\nz\n", 1, Clock::time_point{});
  ScriptedInput c("x\ny\nz\n", 2, Clock::time_point{});
  EXPECT_EQ(a.next_due(), b.next_due());
  bool differs = false;
  for (int i = 0; i < 3; ++i) {
    differs |= a.next_due() != c.next_due();
    Clock::time_point due = std::max(*a.next_due(), *c.next_due());
    a.TakeDue(due);
    c.TakeDue(due);
  }
  EXPECT_TRUE(differs);
}

TEST(ScriptedInputTest, AnEmptyScriptTypesNothing) {
  ScriptedInput input("", 1, Clock::time_point{});
  EXPECT_EQ(input.lines_left(), 0u);
  EXPECT_FALSE(input.next_due());
}

TEST(ScriptedInputTest, FromFileReadsTheFileAndRejectsAMissingOne) {
  std::string path = ::testing::TempDir() + "/scripted_input_test.txt";
  std::ofstream(path) << "hello\n";
  ScriptedInput input = ScriptedInput::FromFile(path, 1, Clock::time_point{});
  EXPECT_EQ(input.TakeDue(Clock::time_point{} + ScriptedInput::kMaxDelay), "hello\n");
  std::remove(path.c_str());
  EXPECT_THROW(ScriptedInput::FromFile(path, 1, Clock::time_point{}), Error);
}

// Issue 19 item 9: a directory used to be accepted, typing nothing.
TEST(ScriptedInputTest, ADirectoryIsRefused) {
  try {
    ScriptedInput::FromFile(::testing::TempDir(), 1, Clock::time_point{});
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::kInput);
    EXPECT_EQ(std::string(e.what()),
              "--input " + ::testing::TempDir() + " is a directory; want a file of lines");
  }
}

}  // namespace
}  // namespace vmrr
