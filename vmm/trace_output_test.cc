#include "vmm/trace_output.h"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fstream>
#include <sstream>

#include "base/error.h"

namespace vmrr {
namespace {

std::string Path(const std::string& name) {
  std::string path = ::testing::TempDir() + "/" + name;
  unlink(path.c_str());
  unlink((path + ".partial").c_str());
  return path;
}

void WriteFile(const std::string& path, const std::string& data) {
  std::ofstream(path, std::ios::binary | std::ios::trunc) << data;
}

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

// The error line of Create, "" when it succeeded.
std::string CreateError(const std::string& path, const std::vector<std::string>& inputs,
                        bool force) {
  try {
    TraceOutput::Create(path, inputs, force);
    return "";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::kUsage) << e.what();
    return e.what();
  }
}

void WriteThrough(TraceOutput& out, const std::string& data) {
  UniqueFd fd = out.TakeFd();
  ASSERT_EQ(write(fd.get(), data.data(), data.size()), static_cast<ssize_t>(data.size()));
}

TEST(TraceOutput, ANewFileIsWrittenUnderItsFinalName) {
  std::string path = Path("new.vmrr");
  TraceOutput out = TraceOutput::Create(path, {}, false);
  EXPECT_EQ(out.path(), path);
  EXPECT_EQ(out.writing_path(), path);
  // A recorder killed now leaves its prefix under the final name.
  WriteThrough(out, "prefix");
  EXPECT_EQ(ReadFile(path), "prefix");
  out.Commit();
  EXPECT_EQ(ReadFile(path), "prefix");
}

TEST(TraceOutput, AnInputIsNeverReplacedEvenWithForce) {
  std::string kernel = Path("k.bin");
  WriteFile(kernel, "kernel");
  std::string disk = Path("d.img");
  WriteFile(disk, "disk");
  for (bool force : {false, true}) {
    EXPECT_EQ(
        CreateError(kernel, {kernel, "", disk}, force),
        "-o " + kernel + " is " + kernel + ", an input of this run: the trace would replace it");
    EXPECT_NE(CreateError(disk, {kernel, "", disk}, force).find("is " + disk + ", an input"),
              std::string::npos);
  }
  // Another name for the same file (a hard link, a symlink).
  std::string link = Path("k-link.bin");
  ASSERT_EQ(::link(kernel.c_str(), link.c_str()), 0);
  EXPECT_NE(CreateError(link, {kernel}, true).find(", an input of this run"), std::string::npos);
  std::string symlink = Path("k-sym.bin");
  ASSERT_EQ(::symlink(kernel.c_str(), symlink.c_str()), 0);
  EXPECT_NE(CreateError(symlink, {kernel}, true).find(", an input of this run"), std::string::npos);
  EXPECT_EQ(ReadFile(kernel), "kernel");
  EXPECT_EQ(ReadFile(disk), "disk");
}

TEST(TraceOutput, AnExistingFileNeedsForce) {
  std::string path = Path("old.vmrr");
  WriteFile(path, "old trace");
  EXPECT_EQ(CreateError(path, {}, false),
            "-o " + path + " exists; --force replaces it (when the recording ends)");
  EXPECT_EQ(ReadFile(path), "old trace");
  EXPECT_NE(CreateError(::testing::TempDir(), {}, true).find("is a directory"), std::string::npos);
}

TEST(TraceOutput, ForceReplacesTheOldFileOnlyWhenTheTraceIsComplete) {
  std::string path = Path("replaced.vmrr");
  WriteFile(path, "old trace");
  TraceOutput out = TraceOutput::Create(path, {}, true);
  EXPECT_EQ(out.writing_path(), path + ".partial");
  WriteThrough(out, "new trace");
  // Killed before the end: the old trace is whole, the cut prefix beside it.
  EXPECT_EQ(ReadFile(path), "old trace");
  EXPECT_EQ(ReadFile(path + ".partial"), "new trace");
  out.Commit();
  EXPECT_EQ(ReadFile(path), "new trace");
  EXPECT_EQ(out.writing_path(), path);
  struct stat st{};
  EXPECT_NE(stat((path + ".partial").c_str(), &st), 0);
}

}  // namespace
}  // namespace vmrr
