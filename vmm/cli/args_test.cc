#include "vmm/cli/args.h"

#include <gtest/gtest.h>

#include "base/error.h"

namespace vmrr {
namespace {

Args MakeArgs() {
  Args args;
  args.Flag("json", false, "print JSON").Flag("mem", true, "guest memory");
  return args;
}

TEST(Args, BooleanAndValueForms) {
  Args args = MakeArgs();
  args.Parse({"--json", "--mem", "1G"});
  EXPECT_TRUE(args.Has("json"));
  EXPECT_EQ(args.Value("mem").value(), "1G");
  Args eq = MakeArgs();
  eq.Parse({"--mem=512M"});
  EXPECT_EQ(eq.Value("mem").value(), "512M");
  EXPECT_FALSE(eq.Has("json"));
}

ErrorKind KindOf(const std::vector<std::string>& argv, size_t positional = 0) {
  Args args = MakeArgs();
  try {
    args.Parse(argv, positional);
  } catch (const Error& e) {
    return e.kind();
  }
  return ErrorKind::kInternal;
}

TEST(Args, Errors) {
  EXPECT_EQ(KindOf({"--nope"}), ErrorKind::kUsage);
  EXPECT_EQ(KindOf({"--mem"}), ErrorKind::kUsage);
  EXPECT_EQ(KindOf({"--json=1"}), ErrorKind::kUsage);
  EXPECT_EQ(KindOf({"stray"}), ErrorKind::kUsage);
}

TEST(Args, Positional) {
  Args args = MakeArgs();
  args.Parse({"trace.vmrr", "--json"}, 1);
  ASSERT_EQ(args.positional().size(), 1u);
  EXPECT_EQ(args.positional()[0], "trace.vmrr");
}

TEST(Args, AFlagGivenSeveralTimesKeepsEveryValue) {
  Args args = MakeArgs();
  args.Parse({"--mem", "1G", "--mem=2G"});
  EXPECT_EQ(args.Value("mem"), "2G");
  EXPECT_EQ(args.Values("mem"), (std::vector<std::string>{"1G", "2G"}));
  EXPECT_TRUE(args.Values("json").empty());
}

TEST(Args, HelpListsFlagsInOrder) {
  std::string help = MakeArgs().Help();
  EXPECT_LT(help.find("--json"), help.find("--mem VALUE"));
  EXPECT_NE(help.find("guest memory"), std::string::npos);
}

}  // namespace
}  // namespace vmrr
