// The recorded events as replay reads them: in order, from any index.  The
// trace reader is one (replay/trace_reader.h); tests use a vector.
#pragma once

#include <cstdint>
#include <vector>

#include "proto/trace.pb.h"

namespace vmrr {

class EventSource {
 public:
  virtual ~EventSource() = default;
  // The next event; false when there are no more.
  virtual bool Next(proto::Event* event) = 0;
  // The end record once Next() returned false, or null for a cut trace.
  virtual const proto::TraceEnd* End() = 0;
  // Next() returns event `index` next (0: the first).
  virtual void Seek(uint64_t index) = 0;
};

// Events held in memory; `end` null: a cut trace.
class VectorEventSource : public EventSource {
 public:
  VectorEventSource(const std::vector<proto::Event>& events, const proto::TraceEnd* end)
      : events_(events), end_(end) {}
  bool Next(proto::Event* event) override {
    if (next_ >= events_.size()) return false;
    *event = events_[next_++];
    return true;
  }
  const proto::TraceEnd* End() override { return end_; }
  void Seek(uint64_t index) override { next_ = index; }

 private:
  const std::vector<proto::Event>& events_;
  const proto::TraceEnd* end_;
  uint64_t next_ = 0;
};

}  // namespace vmrr
