#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <cerrno>
#include <cstring>

#include "base/error.h"
#include "base/le_bytes.h"
#include "base/mapping.h"
#include "base/printable.h"
#include "base/unique_fd.h"

namespace vmrr {
namespace {

bool FdIsOpen(int fd) { return fcntl(fd, F_GETFD) != -1; }

TEST(UniqueFd, ClosesOnDestructionAndMove) {
  int raw = open("/dev/null", O_RDONLY);
  ASSERT_GE(raw, 0);
  {
    UniqueFd a(raw);
    UniqueFd b(std::move(a));
    EXPECT_FALSE(a.valid());
    EXPECT_EQ(b.get(), raw);
    EXPECT_TRUE(FdIsOpen(raw));
  }
  EXPECT_FALSE(FdIsOpen(raw));
}

TEST(UniqueFd, MoveAssignClosesPrevious) {
  int first = open("/dev/null", O_RDONLY);
  int second = open("/dev/null", O_RDONLY);
  UniqueFd a(first);
  UniqueFd b(second);
  a = std::move(b);
  EXPECT_FALSE(FdIsOpen(first));
  EXPECT_EQ(a.get(), second);
}

TEST(Mapping, AnonymousIsZeroedAndWritable) {
  Mapping m = Mapping::Anonymous(1 << 20);
  ASSERT_NE(m.data(), nullptr);
  auto* bytes = static_cast<unsigned char*>(m.data());
  EXPECT_EQ(bytes[12345], 0);
  bytes[12345] = 7;
  Mapping moved = std::move(m);
  EXPECT_EQ(static_cast<unsigned char*>(moved.data())[12345], 7);
  EXPECT_EQ(m.data(), nullptr);
}

TEST(Mapping, HugeRequestThrowsSystemError) {
  try {
    Mapping::Anonymous(size_t{1} << 62);
    FAIL() << "expected an Error";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::kSystem);
    EXPECT_NE(std::string(e.what()).find("mmap"), std::string::npos);
  }
}

TEST(Error, ExitCodes) {
  EXPECT_EQ(ExitCodeFor(ErrorKind::kUsage), 2);
  EXPECT_EQ(ExitCodeFor(ErrorKind::kInput), 2);
  EXPECT_EQ(ExitCodeFor(ErrorKind::kUnsupported), 2);
  EXPECT_EQ(ExitCodeFor(ErrorKind::kSystem), 1);
  EXPECT_EQ(ExitCodeFor(ErrorKind::kInternal), 1);
}

TEST(Error, ThrowErrnoNamesTheCause) {
  try {
    ThrowErrno("open /nonexistent", ENOENT);
  } catch (const Error& e) {
    EXPECT_EQ(std::string(e.what()), std::string("open /nonexistent: ") + std::strerror(ENOENT));
  }
}

}  // namespace
}  // namespace vmrr

namespace vmrr {
namespace {

TEST(LeBytes, Loads) {
  const uint8_t b[8] = {0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x88};
  EXPECT_EQ(LoadLe32(b), 0x04030201u);
  EXPECT_EQ(LoadLe64(b), 0x8807060504030201ull);
}

}  // namespace
}  // namespace vmrr

namespace vmrr {
namespace {

TEST(Printable, EscapesWhatATerminalWouldObey) {
  EXPECT_EQ(Printable("arm64"), "arm64");
  EXPECT_EQ(Printable("a\nb\tc\rd"), "a\\nb\\tc\\rd");
  EXPECT_EQ(Printable("\x1b[31mred"), "\\e[31mred");
  EXPECT_EQ(Printable(std::string("nul\0bel\a", 8)), "nul\\x00bel\\x07");
  EXPECT_EQ(Printable("del\x7f"), "del\\x7f");
  EXPECT_EQ(Printable("back\\slash"), "back\\\\slash");
  // U+009B (CSI) in UTF-8; U+00E9 stays.
  EXPECT_EQ(Printable("\xc2\x9b"
                      "2J caf\xc3\xa9"),
            "\\u009b2J caf\xc3\xa9");
}

TEST(Printable, LinesKeepTheirNewlines) {
  EXPECT_EQ(PrintableLines("one\x1b\ntwo\n"), "one\\e\ntwo\n");
}

}  // namespace
}  // namespace vmrr
