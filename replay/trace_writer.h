// Writes a trace (proto/trace.proto): the header at once, then events in
// zstd-compressed, CRC-32C-checked chunks, flushed when a chunk is full or a
// second has passed since the last flush, so that a recorder killed at any
// moment leaves a prefix that replays.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>

#include "base/unique_fd.h"
#include "proto/trace.pb.h"

namespace vmrr {

inline constexpr char kTraceMagic[] = "vmrr-trace";
// 2: traces whose guest time the VMM owned hold a ClockRead event per counter read.
inline constexpr uint32_t kTraceFormatVersion = 2;

class TraceWriter {
 public:
  static constexpr size_t kChunkBytes = 256 * 1024;
  // Readers refuse chunks of more events (TraceReader).
  static constexpr uint32_t kMaxChunkEvents = 1 << 16;
  static constexpr std::chrono::milliseconds kMaxFlushDelay{1000};
  static constexpr size_t kBootPieceBytes = 8 << 20;
  static uint32_t BootRecords(size_t len) {
    return static_cast<uint32_t>((len + kBootPieceBytes - 1) / kBootPieceBytes);
  }

  // Creates (or truncates) `path` and writes the header; the magic and
  // format version are filled in.  Throws Error(kInput) when it cannot.
  TraceWriter(const std::string& path, proto::TraceHeader header);
  // The same into `fd`, a file opened for writing (named `path` in errors).
  TraceWriter(UniqueFd fd, const std::string& path, proto::TraceHeader header);

  // Guest RAM at the start, [gpa, gpa + len): written right after the
  // header, before any event, in compressed pieces (BootRecords() of them;
  // the header's boot.region_records must count them all).
  void WriteBootRegion(uint64_t gpa, const uint8_t* data, size_t len);
  void Append(const proto::Event& event);
  // Writes the pending events as a chunk if a second has passed (call it
  // now and then, e.g. at every vCPU exit).
  void MaybeFlush();
  void Flush();
  // Flushes and closes the trace with its end record.
  void Finish(const proto::TraceEnd& end);

  uint64_t events() const { return events_; }
  uint64_t bytes_written() const { return bytes_written_; }

 private:
  void WriteRecord(const proto::TraceRecord& record);
  static std::string Compress(const char* data, size_t len);

  UniqueFd fd_;
  std::string path_;
  std::string pending_;  // length-delimited events not yet in a chunk
  uint32_t pending_count_ = 0;
  uint64_t events_ = 0;
  uint64_t bytes_written_ = 0;
  std::chrono::steady_clock::time_point start_;
  std::chrono::steady_clock::time_point last_flush_;
};

}  // namespace vmrr
