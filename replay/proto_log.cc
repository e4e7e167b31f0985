#include "replay/proto_log.h"

#include <google/protobuf/stubs/logging.h>

#include <mutex>

namespace vmrr {

namespace {

thread_local ProtoParseErrors* t_current = nullptr;
std::mutex g_sink_mutex;
std::function<void(const std::string&)> g_sink;

}  // namespace

struct ProtoLogAccess {
  static void Handle(google::protobuf::LogLevel, const char*, int, const std::string& message) {
    if (t_current != nullptr) {
      if (!t_current->lines_.empty()) t_current->lines_ += "; ";
      t_current->lines_ += message;
      return;
    }
    std::lock_guard<std::mutex> lock(g_sink_mutex);
    if (g_sink) g_sink(message);
  }
};

namespace {

// SetLogHandler is not thread-safe: installed once, before the first use.
void InstallHandler() {
  static std::once_flag once;
  std::call_once(once, [] { google::protobuf::SetLogHandler(&ProtoLogAccess::Handle); });
}

}  // namespace

void RouteProtobufLog(std::function<void(const std::string& line)> sink) {
  InstallHandler();
  std::lock_guard<std::mutex> lock(g_sink_mutex);
  g_sink = std::move(sink);
}

ProtoParseErrors::ProtoParseErrors() : outer_(t_current) {
  InstallHandler();
  t_current = this;
}

ProtoParseErrors::~ProtoParseErrors() { t_current = outer_; }

std::string ProtoParseErrors::Why() const {
  // protobuf 3.21: "String field 'pkg.Message.field' contains invalid UTF-8
  // data when parsing a protocol buffer. Use the 'bytes' type ..."
  static const std::string kUtf8 = "String field '";
  if (size_t at = lines_.find(kUtf8); at != std::string::npos) {
    size_t start = at + kUtf8.size();
    size_t end = lines_.find('\'', start);
    if (end != std::string::npos) {
      return "field " + lines_.substr(start, end - start) + " is not valid UTF-8";
    }
  }
  std::string why = lines_.substr(0, 200);
  while (!why.empty() && (why.back() == ' ' || why.back() == '\n')) why.pop_back();
  return why;
}

}  // namespace vmrr
