// Reads a trace written by TraceWriter, streaming it from the file: only the
// header, the boot regions, an index of the chunks and one chunk of events
// are in memory at a time.  Opening it walks every record once (checking
// their order, without decompressing), so its end is known from the start.
// Problems with the file are Error(kInput) with one line naming the trace:
// not a regular file, not a trace, a newer format, another architecture, a
// corrupt chunk.  A trace cut short (a recorder killed mid-write) is not an
// error: its events up to the last whole chunk are read and cut() says so.
// Seek() moves to any event (replay's checkpoints), by the chunks' index.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "base/unique_fd.h"
#include "proto/trace.pb.h"
#include "replay/event_source.h"

namespace vmrr {

class TraceReader : public EventSource {
 public:
  // No record vmrr writes is larger (a chunk's or boot piece's compressed
  // bytes and framing); a longer one is corruption, not a cut.
  static constexpr uint64_t kMaxRecordBytes = 96ull << 20;

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
  bool Next(proto::Event* event) override;
  const proto::TraceEnd* End() override { return complete_ ? &end_ : nullptr; }
  void Seek(uint64_t index) override;
  // The trace has its end record (else it was cut).
  bool complete() const { return complete_; }
  bool cut() const { return !complete_; }
  const proto::TraceEnd& end() const { return end_; }
  // Host milliseconds since the trace began when the last event returned by
  // Next() was written (its chunk's flush time).
  uint64_t event_host_ms() const { return chunk_host_ms_; }

 private:
  struct ChunkEntry {
    uint64_t offset = 0;  // of its record
    uint64_t first_event = 0;
    uint64_t events = 0;
  };

  // Reads the record at offset_; false at the end of the readable data.
  bool NextRecord(proto::TraceRecord* record);
  void LoadChunk(size_t index);
  void ReadBootRegions();
  // Indexes the chunks up to the end record (or the cut).
  void IndexChunks();
  // Reads exactly `len` bytes at `offset` (false: the file ends first).
  bool ReadAt(uint64_t offset, void* data, uint64_t len) const;
  [[noreturn]] void Corrupt(const std::string& why) const;

  std::string path_;
  UniqueFd fd_;
  uint64_t file_size_ = 0;
  uint64_t offset_ = 0;
  uint64_t record_offset_ = 0;
  uint64_t events_offset_ = 0;  // the first record after the boot regions
  proto::TraceHeader header_;
  proto::TraceEnd end_;
  std::vector<BootRegion> boot_regions_;
  std::vector<ChunkEntry> chunks_;  // every chunk, in order
  size_t chunk_ = 0;                // the chunk chunk_events_ holds (+1: none yet)
  bool chunk_loaded_ = false;
  std::vector<proto::Event> chunk_events_;
  size_t chunk_next_ = 0;
  uint64_t chunk_host_ms_ = 0;
  bool complete_ = false;  // the end record is there
  bool done_ = false;      // NextRecord: nothing more can be read
};

}  // namespace vmrr
