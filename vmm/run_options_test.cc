#include "vmm/run_options.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <functional>
#include <sstream>

#include "base/error.h"

namespace vmrr {
namespace {

ErrorKind KindOf(const std::function<void()>& f) {
  try {
    f();
  } catch (const Error& e) {
    return e.kind();
  }
  return ErrorKind::kInternal;
}

std::string TempFile(const std::string& name, size_t bytes) {
  std::string path = ::testing::TempDir() + "/" + name;
  std::ofstream(path) << std::string(bytes, 'x');
  return path;
}

TEST(RunOptions, MemorySizes) {
  EXPECT_EQ(ParseMemorySize("512M"), 512ull << 20);
  EXPECT_EQ(ParseMemorySize("2G"), 2ull << 30);
  EXPECT_EQ(ParseMemorySize("1073741824"), 1ull << 30);
  EXPECT_EQ(ParseMemorySize("65536k"), 64ull << 20);
  for (const char* bad : {"", "G", "1T", "12MB", "-1G", "1.5G", "32M", "100G", "65M"}) {
    EXPECT_EQ(KindOf([&] { ParseMemorySize(bad); }), ErrorKind::kUsage) << bad;
  }
}

TEST(RunOptions, DiskOption) {
  DiskOption rw = ParseDiskOption("root.img");
  EXPECT_EQ(rw.path, "root.img");
  EXPECT_FALSE(rw.read_only);
  DiskOption ro = ParseDiskOption("dir/root.img,ro");
  EXPECT_EQ(ro.path, "dir/root.img");
  EXPECT_TRUE(ro.read_only);
  EXPECT_EQ(KindOf([] { ParseDiskOption("root.img,rw"); }), ErrorKind::kUsage);
  EXPECT_EQ(KindOf([] { ParseDiskOption(",ro"); }), ErrorKind::kUsage);
}

TEST(RunOptions, ChecksFiles) {
  std::string kernel = TempFile("Image", 100);
  std::string disk = TempFile("disk.img", 1024);
  std::string odd = TempFile("odd.img", 1000);
  RunOptions o = MakeRunOptions({{"kernel", kernel}, {"disk", disk + ",ro"}, {"mem", "256M"}});
  EXPECT_EQ(o.kernel, kernel);
  EXPECT_TRUE(o.disk->read_only);
  EXPECT_EQ(o.mem_bytes, 256ull << 20);
  EXPECT_EQ(KindOf([] { MakeRunOptions({}); }), ErrorKind::kUsage);
  EXPECT_EQ(KindOf([] { MakeRunOptions({{"kernel", "/nonexistent/Image"}}); }), ErrorKind::kInput);
  EXPECT_EQ(KindOf([&] { MakeRunOptions({{"kernel", kernel}, {"disk", odd}}); }),
            ErrorKind::kInput);
  EXPECT_EQ(KindOf([&] { MakeRunOptions({{"kernel", kernel}, {"initrd", "/nonexistent"}}); }),
            ErrorKind::kInput);
  EXPECT_EQ(KindOf([&] { MakeRunOptions({{"kernel", ::testing::TempDir()}}); }), ErrorKind::kInput);
}

TEST(RunOptions, CpusAndTimeout) {
  std::string kernel = TempFile("Image2", 100);
  EXPECT_EQ(MakeRunOptions({{"kernel", kernel}, {"cpus", "1"}}).cpus, 1);
  EXPECT_EQ(KindOf([&] { MakeRunOptions({{"kernel", kernel}, {"cpus", "2"}}); }),
            ErrorKind::kUsage);
  EXPECT_EQ(KindOf([&] { MakeRunOptions({{"kernel", kernel}, {"cpus", "x"}}); }),
            ErrorKind::kUsage);
  EXPECT_EQ(MakeRunOptions({{"kernel", kernel}, {"timeout", "30"}}).timeout_seconds.value(), 30u);
  EXPECT_EQ(KindOf([&] { MakeRunOptions({{"kernel", kernel}, {"timeout", "0"}}); }),
            ErrorKind::kUsage);
}

// The error line of MakeRunOptions, "" when it accepted the flags.
std::string MessageOf(const std::vector<std::pair<std::string, std::string>>& flags) {
  try {
    MakeRunOptions(flags);
    return "";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::kUsage) << e.what();
    return e.what();
  }
}

// Issue 19 item 9: the messages say the real limits.
TEST(RunOptions, FlagLimitsAreSaid) {
  std::string kernel = TempFile("Image3", 100);
  EXPECT_EQ(MessageOf({{"kernel", kernel}, {"cpus", "99999"}}),
            "--cpus '99999': vmrr runs 1 vCPU (replay runs one)");
  EXPECT_EQ(MessageOf({{"kernel", kernel}, {"cpus", "0"}}),
            "--cpus '0': vmrr runs 1 vCPU (replay runs one)");
  EXPECT_EQ(MessageOf({{"kernel", kernel}, {"timeout", "9999999999"}}),
            "--timeout '9999999999': want 1 to 1000000000 seconds");
  EXPECT_EQ(MessageOf({{"kernel", kernel}, {"timeout", "99999999999999999999999"}}),
            "--timeout '99999999999999999999999': want 1 to 1000000000 seconds");
  EXPECT_EQ(MakeRunOptions({{"kernel", kernel}, {"timeout", "1000000000"}}).timeout_seconds,
            1000000000u);
}

// Issue 19 item 14: the README said "RAM at 2 GiB" (meaning its address)
// and was read as its size; the default is 1 GiB, said in three places.
TEST(RunOptions, TheDefaultRamIsWhatTheReadmeAndHelpSay) {
  EXPECT_EQ(RunOptions{}.mem_bytes, uint64_t{1} << 30);
  std::ifstream in("README.md");
  ASSERT_TRUE(in) << "README.md is a data dependency";
  std::ostringstream readme;
  readme << in.rdbuf();
  EXPECT_NE(readme.str().find("1 GiB of RAM unless `--mem`"), std::string::npos);
  EXPECT_EQ(readme.str().find("RAM at 2 GiB"), std::string::npos);
  bool said = false;
  for (const FlagSpec& spec : RunFlagSpecs()) {
    if (std::string(spec.name) == "mem")
      said = std::string(spec.help).find("(default 1G)") != std::string::npos;
  }
  EXPECT_TRUE(said);
}

// Issue 19 item 10.
TEST(RunOptions, KernelRaw) {
  std::string kernel = TempFile("raw.bin", 100);
  EXPECT_FALSE(MakeRunOptions({{"kernel", kernel}}).kernel_raw);
  EXPECT_TRUE(MakeRunOptions({{"kernel", kernel}, {"kernel-raw", ""}}).kernel_raw);
}

// Issue 19 item 11.
TEST(RunOptions, CmdlineIsVerbatimAndNotWithAppend) {
  std::string kernel = TempFile("Image4", 100);
  RunOptions options = MakeRunOptions({{"kernel", kernel}, {"cmdline", "a  b=c"}});
  EXPECT_EQ(options.cmdline.value(), "a  b=c");
  EXPECT_FALSE(MakeRunOptions({{"kernel", kernel}}).cmdline.has_value());
  EXPECT_EQ(MessageOf({{"kernel", kernel}, {"cmdline", "x"}, {"append", "y"}}),
            "--cmdline is the whole command line, --append adds to vmrr's: give one of them");
}

}  // namespace
}  // namespace vmrr
