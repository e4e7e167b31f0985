// protobuf says why a message did not parse (e.g. a string field that is
// not UTF-8, by its full name) only in its log, which it writes to stderr
// as a raw "[libprotobuf ERROR ...]" line; the parse itself returns false.
// vmrr takes that log over: inside a ProtoParseErrors scope the lines are
// collected, so the caller's one-line error can name the field; any other
// line goes to the sink RouteProtobufLog set (the CLI: its debug log), or
// nowhere.
#pragma once

#include <functional>
#include <string>

namespace vmrr {

// Sends protobuf's log lines outside any ProtoParseErrors scope to `sink`
// (null: dropped).  Call it once, at start-up.
void RouteProtobufLog(std::function<void(const std::string& line)> sink);

// Collects protobuf's log lines on this thread while it lives.
class ProtoParseErrors {
 public:
  ProtoParseErrors();
  ~ProtoParseErrors();
  ProtoParseErrors(const ProtoParseErrors&) = delete;
  ProtoParseErrors& operator=(const ProtoParseErrors&) = delete;

  // Why the parse failed, short: "field vmrr.proto.TraceHeader.arch is not
  // valid UTF-8", another line protobuf logged, or "" when it logged none.
  std::string Why() const;

 private:
  friend struct ProtoLogAccess;
  std::string lines_;
  ProtoParseErrors* outer_;
};

}  // namespace vmrr
