#include "replay/proto_log.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "proto/trace.pb.h"

namespace vmrr {
namespace {

// A header whose arch field holds bytes that are not UTF-8.
std::string HeaderWithBadUtf8() {
  proto::TraceHeader header;
  header.set_magic("vmrr-trace");
  header.set_arch("arm64");
  std::string bytes = header.SerializeAsString();
  size_t at = bytes.find("arm64");
  bytes[at] = static_cast<char>(0xff);
  return bytes;
}

TEST(ProtoLog, AParseErrorNamesTheFieldAndPrintsNothing) {
  std::vector<std::string> routed;
  RouteProtobufLog([&](const std::string& line) { routed.push_back(line); });
  testing::internal::CaptureStderr();
  proto::TraceHeader header;
  std::string why;
  {
    ProtoParseErrors errors;
    EXPECT_FALSE(header.ParseFromString(HeaderWithBadUtf8()));
    why = errors.Why();
  }
  EXPECT_EQ(testing::internal::GetCapturedStderr(), "");
  EXPECT_EQ(why, "field vmrr.proto.TraceHeader.arch is not valid UTF-8");
  EXPECT_TRUE(routed.empty());

  // Outside a scope the line goes to the route, not stderr.
  testing::internal::CaptureStderr();
  EXPECT_FALSE(header.ParseFromString(HeaderWithBadUtf8()));
  EXPECT_EQ(testing::internal::GetCapturedStderr(), "");
  ASSERT_EQ(routed.size(), 1u);
  EXPECT_NE(routed[0].find("invalid UTF-8"), std::string::npos) << routed[0];
  RouteProtobufLog(nullptr);
}

TEST(ProtoLog, NoErrorNoWhy) {
  ProtoParseErrors errors;
  proto::TraceHeader header;
  EXPECT_TRUE(header.ParseFromString(""));
  EXPECT_EQ(errors.Why(), "");
}

}  // namespace
}  // namespace vmrr
