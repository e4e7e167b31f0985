// Reads a trace written by TraceWriter, streaming it from the file: only the
// header, an index of the boot regions and chunks, one chunk's decompressed
// events and one parsed event are in memory at a time.  Opening it walks
// every record once (checking their order, sizes and checksums, without
// decompressing), so its end is known from the start.
//
// Problems with the file are Error(kInput) with one line naming the trace:
// not a regular file, not a trace, a newer format, another architecture,
// corruption (naming the byte offset of the record).  A trace cut short (a
// recorder killed mid-write) is not an error: its events up to the last
// whole chunk are read and cut() says so.  A crash cuts only the last
// record, and what it leaves is a prefix of that record: a record whose
// length runs past the end of the file but whose own fields say otherwise,
// or a file that still ends with an end record, is corruption, not a cut.
//
// Nothing the file declares is trusted for a size: records are at most
// kMaxRecordBytes (the header kMaxHeaderBytes), a boot piece at most
// TraceWriter::kBootPieceBytes decompressed and a chunk kMaxChunkRawBytes
// and kMaxChunkEvents, each checked against the zstd frame's own size
// before decompressing.  Seek() moves to any event (replay's checkpoints).
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
  // Headers are a few KiB (the host report, the CPU registers).
  static constexpr uint64_t kMaxHeaderBytes = 1ull << 20;
  // A chunk's decompressed events: the writer's chunks are ~256 KiB plus
  // one event, which may be a large device write or a memory digest.
  static constexpr uint64_t kMaxChunkRawBytes = 64ull << 20;
  // An event larger than this has its repeated fields counted before it is
  // parsed (a packed varint takes 1 byte in the file, 8 in memory).
  static constexpr uint64_t kLargeEventBytes = 4096;
  // Hypercall results hold a few registers (riscv64 SBI: 2).
  static constexpr uint64_t kMaxHypercallValues = 8;

  // `expected_arch` empty: any architecture.
  explicit TraceReader(const std::string& path, const std::string& expected_arch = "");

  // A piece of guest RAM at the start: `bytes` at `gpa` (ReadBootRegion()).
  struct BootRegion {
    uint64_t gpa = 0;
    uint64_t bytes = 0;
  };

  const std::string& path() const { return path_; }
  const proto::TraceHeader& header() const { return header_; }
  // Guest RAM at the start, in the order written, all of them (a trace cut
  // before its boot regions ended is an Error(kInput): nothing to replay).
  // Their checksums and sizes are checked; their data is read on demand.
  const std::vector<BootRegion>& boot_regions() const { return boot_regions_; }
  // Decompresses boot region `index` (at most TraceWriter::kBootPieceBytes).
  std::string ReadBootRegion(size_t index);
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

  // Reads the record at offset_ (at most `max_len` bytes); false at the end
  // of the readable data (a cut).
  bool NextRecord(proto::TraceRecord* record, uint64_t max_len = kMaxRecordBytes);
  // The record at `offset`, of `len` bytes (from `body`), runs past the end
  // of the file: a crash's cut, or corruption (thrown).
  void CheckCut(uint64_t body, uint64_t len);
  void LoadChunk(size_t index);
  // Parses the event at chunk_pos_ in the loaded chunk into `event`.
  void ParseChunkEvent(proto::Event* event);
  // Skips the event at chunk_pos_ without parsing it.
  void SkipChunkEvent();
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
  std::vector<uint64_t> boot_offsets_;  // of each boot region's record
  std::vector<ChunkEntry> chunks_;      // every chunk, in order
  size_t chunk_ = 0;                    // the chunk chunk_raw_ holds
  bool chunk_loaded_ = false;
  std::string chunk_raw_;      // its decompressed events
  size_t chunk_pos_ = 0;       // of the next event in chunk_raw_
  uint64_t chunk_next_ = 0;    // index in the chunk of the next event
  uint64_t chunk_offset_ = 0;  // its record's offset (for errors)
  uint64_t chunk_host_ms_ = 0;
  bool complete_ = false;  // the end record is there
  bool done_ = false;      // NextRecord: nothing more can be read
};

}  // namespace vmrr
