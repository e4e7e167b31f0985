// Reads a trace written by TraceWriter.  Problems with the file are
// Error(kInput) with one line naming the trace: not a trace, a newer format,
// another architecture, a corrupt chunk.  A trace cut short (a recorder
// killed mid-write) is not an error: its events up to the last whole chunk
// are read and cut() says so.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "proto/trace.pb.h"

namespace vmrr {

class TraceReader {
 public:
  // `expected_arch` empty: any architecture.
  explicit TraceReader(const std::string& path, const std::string& expected_arch = "");

  struct BootRegion {
    uint64_t gpa = 0;
    std::string data;
  };

  const proto::TraceHeader& header() const { return header_; }
  // Guest RAM at the start (read with the header).  A trace cut before its
  // boot regions ended is an Error(kInput): there is nothing to replay.
  const std::vector<BootRegion>& boot_regions() const { return boot_regions_; }
  // The next event; false when there are no more (see complete()/cut()).
  bool Next(proto::Event* event);
  bool complete() const { return complete_; }
  bool cut() const { return done_ && !complete_; }
  const proto::TraceEnd& end() const { return end_; }
  // Host milliseconds since the trace began when the last event returned by
  // Next() was written (its chunk's flush time).
  uint64_t event_host_ms() const { return chunk_host_ms_; }

 private:
  // Reads the next record; false at the end of the readable data.
  bool NextRecord(proto::TraceRecord* record);
  void LoadChunk(const proto::EventChunk& chunk);
  void ReadBootRegions();
  [[noreturn]] void Corrupt(const std::string& why) const;

  std::string path_;
  std::string data_;
  size_t offset_ = 0;
  size_t record_offset_ = 0;
  proto::TraceHeader header_;
  proto::TraceEnd end_;
  std::vector<BootRegion> boot_regions_;
  proto::TraceRecord after_boot_;  // the first record after the boot regions
  bool have_after_boot_ = false;
  std::vector<proto::Event> chunk_events_;
  size_t chunk_next_ = 0;
  uint64_t events_read_ = 0;
  uint64_t chunk_host_ms_ = 0;
  bool complete_ = false;
  bool done_ = false;
};

}  // namespace vmrr
