// Turns what crosses the VM boundary during a recording into trace events,
// each at its execution point.  The VMM calls BeginStop() whenever the vCPU
// stops (a guest exit, or the recorder interrupting it) and then reports
// what happened there; the point is read once per stop, and only when
// something is recorded.  Pure logic: the point source and the event sink
// are callables (the guest counter + registers, a TraceWriter).
#pragma once

#include <array>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "proto/trace.pb.h"
#include "replay/execution_point.h"

namespace vmrr {

class Recorder {
 public:
  using PointSource = std::function<ExecutionPoint()>;
  using EventSink = std::function<void(const proto::Event&)>;
  // Memory writes at least this long are stored once per distinct content.
  static constexpr size_t kDedupMinBytes = 512;

  Recorder(PointSource point, EventSink sink);

  // The vCPU stopped: at a guest exit, or `asynchronous`ly (interrupted by
  // the recorder, which may now deliver console input and timer interrupts).
  void BeginStop(bool asynchronous);
  void MmioRead(uint64_t gpa, uint32_t len, uint64_t value);
  // A device wrote guest memory; adjacent writes in one stop become one event.
  void MemoryWritten(uint64_t gpa, const uint8_t* data, size_t len);
  // A line at the VM boundary changed; repeats of the same level are dropped.
  void InterruptLine(uint32_t line, bool level);
  void ConsoleInput(const uint8_t* data, size_t len);
  void Hypercall(uint64_t function, const std::vector<uint64_t>& values);
  // `pages`: the page numbers the digest covers, ascending.
  void MemoryDigest(uint64_t digest, const std::vector<uint64_t>& pages);
  // The guest idled (WFI) and its clock jumped `ticks` forward.
  void Idle(uint64_t ticks);
  // The guest read a VMM-owned counter (`counter` is a ClockCounter).
  void ClockRead(uint32_t counter);
  // Writes out a pending memory write (call before the vCPU runs again).
  void EndStop();

  // The current stop's point (read now if nothing was recorded yet).
  const ExecutionPoint& Point();
  uint64_t events() const { return events_; }
  uint64_t deduplicated_bytes() const { return deduplicated_bytes_; }

 private:
  proto::Event NewEvent();
  void Emit(proto::Event& event);
  void FlushMemoryWrite();

  PointSource point_source_;
  EventSink sink_;
  bool asynchronous_ = false;
  std::optional<ExecutionPoint> point_;
  std::map<uint32_t, bool> line_levels_;
  std::optional<proto::Event> pending_write_;
  std::map<std::array<uint8_t, 32>, uint64_t> write_by_digest_;  // -> event number + 1
  uint64_t events_ = 0;
  uint64_t deduplicated_bytes_ = 0;
};

void ToProto(const ExecutionPoint& point, proto::ExecutionPoint* out);
ExecutionPoint FromProto(const proto::ExecutionPoint& point);

}  // namespace vmrr
