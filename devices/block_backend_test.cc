#include "devices/block_backend.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdint>
#include <cstdlib>
#include <string>
#include <vector>

#include "base/error.h"
#include "base/unique_fd.h"

namespace vmrr {
namespace {

std::string TempPath(const std::string& name) {
  const char* dir = std::getenv("TEST_TMPDIR");
  return std::string(dir ? dir : "/tmp") + "/" + name;
}

void WriteFile(const std::string& path, size_t size, uint8_t fill) {
  std::vector<uint8_t> bytes(size, fill);
  UniqueFd fd(::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644));
  ASSERT_TRUE(fd.valid());
  ASSERT_EQ(::write(fd.get(), bytes.data(), bytes.size()), static_cast<ssize_t>(size));
}

Error OpenError(const std::string& path, bool read_only) {
  try {
    FileBlockBackend disk(path, read_only);
  } catch (const Error& e) {
    return e;
  }
  ADD_FAILURE() << "opening " << path << " did not throw";
  return Error(ErrorKind::kInternal, "");
}

TEST(FileBlockBackend, ReadWriteFlushRoundTrip) {
  std::string path = TempPath("rw.img");
  WriteFile(path, 4096, 0xab);
  FileBlockBackend disk(path, false);
  EXPECT_EQ(disk.size_bytes(), 4096u);
  EXPECT_FALSE(disk.read_only());
  EXPECT_EQ(disk.path(), path);
  std::vector<uint8_t> buf(512, 0);
  ASSERT_TRUE(disk.ReadAt(3584, buf.data(), buf.size()));
  EXPECT_EQ(buf, std::vector<uint8_t>(512, 0xab));
  std::vector<uint8_t> ones(512, 1);
  ASSERT_TRUE(disk.WriteAt(512, ones.data(), ones.size()));
  EXPECT_TRUE(disk.Flush());
  ASSERT_TRUE(disk.ReadAt(512, buf.data(), buf.size()));
  EXPECT_EQ(buf, ones);
  ::unlink(path.c_str());
}

TEST(FileBlockBackend, RangesBeyondTheEndFail) {
  std::string path = TempPath("range.img");
  WriteFile(path, 1024, 0);
  FileBlockBackend disk(path, false);
  std::vector<uint8_t> buf(1024, 0x11);
  EXPECT_FALSE(disk.ReadAt(512, buf.data(), 1024));
  EXPECT_FALSE(disk.ReadAt(0xfffffffffffffe00, buf.data(), 1024));
  EXPECT_FALSE(disk.WriteAt(1024, buf.data(), 1));
  EXPECT_FALSE(disk.WriteAt(0xffffffffffffffff, buf.data(), 2));
  struct stat st;
  ASSERT_EQ(::stat(path.c_str(), &st), 0);
  EXPECT_EQ(st.st_size, 1024);  // not grown
  ::unlink(path.c_str());
}

TEST(FileBlockBackend, ReadOnlyRefusesWrites) {
  std::string path = TempPath("ro.img");
  WriteFile(path, 512, 0x22);
  ::chmod(path.c_str(), 0444);  // read-only open must not need write access
  FileBlockBackend disk(path, true);
  EXPECT_TRUE(disk.read_only());
  std::vector<uint8_t> buf(512, 0);
  EXPECT_FALSE(disk.WriteAt(0, buf.data(), buf.size()));
  EXPECT_TRUE(disk.Flush());
  ASSERT_TRUE(disk.ReadAt(0, buf.data(), buf.size()));
  EXPECT_EQ(buf, std::vector<uint8_t>(512, 0x22));
  ::unlink(path.c_str());
}

TEST(FileBlockBackend, SizeNotAMultipleOf512IsAnInputError) {
  std::string path = TempPath("odd.img");
  WriteFile(path, 1000, 0);
  Error e = OpenError(path, false);
  EXPECT_EQ(e.kind(), ErrorKind::kInput);
  std::string what = e.what();
  EXPECT_NE(what.find(path), std::string::npos) << what;
  EXPECT_NE(what.find("512"), std::string::npos) << what;
  EXPECT_EQ(what.find('\n'), std::string::npos);
  ::unlink(path.c_str());
}

TEST(FileBlockBackend, MissingFileOrDirectoryIsAnInputError) {
  std::string missing = TempPath("no-such.img");
  Error e = OpenError(missing, true);
  EXPECT_EQ(e.kind(), ErrorKind::kInput);
  EXPECT_NE(std::string(e.what()).find(missing), std::string::npos);
  std::string dir = TempPath("a-dir");
  ::mkdir(dir.c_str(), 0755);
  EXPECT_EQ(OpenError(dir, true).kind(), ErrorKind::kInput);
  ::rmdir(dir.c_str());
}

TEST(FileBlockBackend, EmptyFileIsAZeroSectorDisk) {
  std::string path = TempPath("empty.img");
  WriteFile(path, 0, 0);
  FileBlockBackend disk(path, true);
  EXPECT_EQ(disk.size_bytes(), 0u);
  uint8_t b;
  EXPECT_FALSE(disk.ReadAt(0, &b, 1));
  ::unlink(path.c_str());
}

}  // namespace
}  // namespace vmrr
