#include "replay/trace_reader.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zstd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "base/error.h"
#include "replay/crc32c.h"
#include "replay/trace_writer.h"

namespace vmrr {

namespace {

constexpr uint64_t kMaxChunkRawBytes = 64ull << 20;

// A varint at data[*offset]; false when the data ends inside it.
bool ReadVarint(const uint8_t* data, size_t size, size_t* offset, uint64_t* value,
                bool* malformed) {
  *value = 0;
  for (int shift = 0; shift < 64; shift += 7) {
    if (*offset >= size) return false;
    uint8_t byte = data[(*offset)++];
    *value |= static_cast<uint64_t>(byte & 0x7f) << shift;
    if ((byte & 0x80) == 0) return true;
  }
  *malformed = true;
  return false;
}

}  // namespace

TraceReader::TraceReader(const std::string& path, const std::string& expected_arch) : path_(path) {
  fd_ = UniqueFd(open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (fd_.get() < 0) {
    throw Error(ErrorKind::kInput, "cannot read trace " + path + ": " + std::strerror(errno));
  }
  struct stat st{};
  if (fstat(fd_.get(), &st) < 0) ThrowErrno("fstat " + path);
  // A pipe or device would be read without end (or block): a trace is a file.
  if (!S_ISREG(st.st_mode)) {
    throw Error(ErrorKind::kInput, path + " is not a vmrr trace (not a regular file)");
  }
  file_size_ = static_cast<uint64_t>(st.st_size);

  proto::TraceRecord first;
  if (!NextRecord(&first) || !first.has_header()) {
    if (file_size_ == 0 || done_) {
      throw Error(ErrorKind::kInput,
                  path + " is not a vmrr trace (empty or cut before its header ended)");
    }
    throw Error(ErrorKind::kInput, path + " is not a vmrr trace (no header)");
  }
  header_ = first.header();
  if (header_.magic() != kTraceMagic) {
    throw Error(ErrorKind::kInput, path + " is not a vmrr trace (bad magic)");
  }
  if (header_.format_version() > kTraceFormatVersion) {
    throw Error(ErrorKind::kInput, path + " has trace format version " +
                                       std::to_string(header_.format_version()) +
                                       "; this vmrr reads up to " +
                                       std::to_string(kTraceFormatVersion) + " (upgrade vmrr)");
  }
  if (!expected_arch.empty() && header_.arch() != expected_arch) {
    throw Error(ErrorKind::kInput,
                path + " was recorded on " + header_.arch() + "; this host is " + expected_arch);
  }
  ReadBootRegions();
  IndexChunks();
}

void TraceReader::IndexChunks() {
  offset_ = events_offset_;
  uint64_t events = 0;
  proto::TraceRecord record;
  for (;;) {
    uint64_t at = offset_;
    if (!NextRecord(&record)) return;  // cut: the last whole chunk ends it
    if (record.has_chunk()) {
      const proto::EventChunk& chunk = record.chunk();
      if (chunk.first_event() != events) Corrupt("chunk out of sequence");
      if (chunk.event_count() == 0) Corrupt("a chunk of no events");
      chunks_.push_back({at, chunk.first_event(), chunk.event_count()});
      events += chunk.event_count();
    } else if (record.has_end()) {
      end_ = record.end();
      if (end_.events() != events) Corrupt("end record counts other events");
      complete_ = true;
      if (offset_ != file_size_) {
        record_offset_ = offset_;
        Corrupt("data after the end record");
      }
      return;
    } else {
      Corrupt("unexpected record");
    }
  }
}

bool TraceReader::ReadAt(uint64_t offset, void* data, uint64_t len) const {
  auto* out = static_cast<uint8_t*>(data);
  while (len > 0) {
    ssize_t n = pread(fd_.get(), out, len, static_cast<off_t>(offset));
    if (n < 0) {
      if (errno == EINTR) continue;
      ThrowErrno("reading " + path_);
    }
    if (n == 0) return false;
    out += n;
    offset += static_cast<uint64_t>(n);
    len -= static_cast<uint64_t>(n);
  }
  return true;
}

void TraceReader::ReadBootRegions() {
  const uint64_t wanted = header_.boot().region_records();
  proto::TraceRecord record;
  for (;;) {
    uint64_t at = offset_;
    if (!NextRecord(&record)) break;
    if (!record.has_boot_region()) {
      if (boot_regions_.size() < wanted) {
        Corrupt("the header names " + std::to_string(wanted) + " boot regions; " +
                std::to_string(boot_regions_.size()) + " come before the events");
      }
      offset_ = events_offset_ = at;
      return;
    }
    const proto::BootRegion& region = record.boot_region();
    const std::string& z = region.zstd_data();
    if (Crc32c(z.data(), z.size()) != region.crc32c()) Corrupt("boot region checksum mismatch");
    if (region.raw_bytes() > TraceWriter::kBootPieceBytes) Corrupt("boot region too large");
    if (boot_regions_.size() >= wanted) Corrupt("unexpected boot region");
    // The frame must say its size, and say the same as the record.
    unsigned long long framed = ZSTD_getFrameContentSize(z.data(), z.size());
    if (framed != region.raw_bytes()) Corrupt("boot region's size does not match its data");
    BootRegion out{region.gpa(), std::string(region.raw_bytes(), '\0')};
    size_t n = ZSTD_decompress(out.data.data(), out.data.size(), z.data(), z.size());
    if (ZSTD_isError(n) || n != out.data.size()) Corrupt("boot region does not decompress");
    boot_regions_.push_back(std::move(out));
  }
  if (boot_regions_.size() < wanted) {
    throw Error(ErrorKind::kInput,
                path_ + " was cut before the guest's memory was saved: nothing to replay");
  }
  events_offset_ = offset_;
}

void TraceReader::Corrupt(const std::string& why) const {
  throw Error(ErrorKind::kInput,
              path_ + " is corrupt at byte " + std::to_string(record_offset_) + ": " + why);
}

bool TraceReader::NextRecord(proto::TraceRecord* record) {
  if (done_) return false;
  record_offset_ = offset_;
  if (offset_ >= file_size_) {
    done_ = true;
    return false;
  }
  uint8_t head[11];
  uint64_t have = std::min<uint64_t>(sizeof(head), file_size_ - offset_);
  if (!ReadAt(offset_, head, have)) {
    done_ = true;
    return false;
  }
  if (head[0] != 0x0a) {
    if (offset_ == 0) throw Error(ErrorKind::kInput, path_ + " is not a vmrr trace");
    Corrupt("no record starts here");
  }
  size_t at = 1;
  uint64_t len = 0;
  bool malformed = false;
  if (!ReadVarint(head, have, &at, &len, &malformed)) {
    if (malformed) Corrupt("bad record length");
    done_ = true;  // cut inside the length
    return false;
  }
  if (len > kMaxRecordBytes) {
    if (offset_ == 0) throw Error(ErrorKind::kInput, path_ + " is not a vmrr trace");
    Corrupt("a record of " + std::to_string(len) + " bytes (vmrr writes at most " +
            std::to_string(kMaxRecordBytes) + ")");
  }
  uint64_t body = offset_ + at;
  if (len > file_size_ - body) {
    done_ = true;  // cut inside the record
    return false;
  }
  std::string bytes(len, '\0');
  if (!ReadAt(body, bytes.data(), len)) {
    done_ = true;
    return false;
  }
  if (!record->ParseFromString(bytes)) {
    if (record_offset_ == 0) throw Error(ErrorKind::kInput, path_ + " is not a vmrr trace");
    Corrupt("record does not parse");
  }
  offset_ = body + len;
  return true;
}

void TraceReader::LoadChunk(size_t index) {
  const ChunkEntry& entry = chunks_.at(index);
  offset_ = entry.offset;
  done_ = false;
  proto::TraceRecord record;
  if (!NextRecord(&record) || !record.has_chunk()) Corrupt("the chunk is gone");
  const proto::EventChunk& chunk = record.chunk();
  const std::string& z = chunk.zstd_events();
  if (Crc32c(z.data(), z.size()) != chunk.crc32c()) Corrupt("chunk checksum mismatch");
  if (chunk.raw_bytes() > kMaxChunkRawBytes) Corrupt("chunk too large");
  unsigned long long framed = ZSTD_getFrameContentSize(z.data(), z.size());
  if (framed != chunk.raw_bytes()) Corrupt("chunk's size does not match its data");
  std::string raw(chunk.raw_bytes(), '\0');
  size_t n = ZSTD_decompress(raw.data(), raw.size(), z.data(), z.size());
  if (ZSTD_isError(n) || n != raw.size()) Corrupt("chunk does not decompress");
  chunk_events_.clear();
  chunk_next_ = 0;
  size_t at = 0;
  const auto* data = reinterpret_cast<const uint8_t*>(raw.data());
  while (at < raw.size()) {
    uint64_t len = 0;
    bool malformed = false;
    if (!ReadVarint(data, raw.size(), &at, &len, &malformed) || len > raw.size() - at) {
      Corrupt("bad event length in chunk");
    }
    if (chunk_events_.size() >= chunk.event_count()) Corrupt("chunk event count mismatch");
    proto::Event event;
    if (!event.ParseFromArray(raw.data() + at, static_cast<int>(len))) {
      Corrupt("event does not parse");
    }
    chunk_events_.push_back(std::move(event));
    at += len;
  }
  if (chunk_events_.size() != chunk.event_count()) Corrupt("chunk event count mismatch");
  chunk_host_ms_ = chunk.host_ms();
  chunk_ = index;
  chunk_loaded_ = true;
}

bool TraceReader::Next(proto::Event* event) {
  while (!chunk_loaded_ || chunk_next_ == chunk_events_.size()) {
    size_t next = chunk_loaded_ ? chunk_ + 1 : chunk_;
    if (next >= chunks_.size()) return false;
    LoadChunk(next);
  }
  *event = std::move(chunk_events_[chunk_next_++]);
  return true;
}

void TraceReader::Seek(uint64_t index) {
  // The chunk holding the event (or, past the last, none).
  auto it = std::upper_bound(chunks_.begin(), chunks_.end(), index,
                             [](uint64_t i, const ChunkEntry& c) { return i < c.first_event; });
  if (it == chunks_.begin()) {
    chunk_ = 0;
    chunk_loaded_ = false;
    return;
  }
  size_t found = static_cast<size_t>(std::prev(it) - chunks_.begin());
  const ChunkEntry& chunk = chunks_[found];
  if (index >= chunk.first_event + chunk.events) {
    chunk_ = chunks_.size();  // past the last event
    chunk_loaded_ = false;
    return;
  }
  // Again even if it is the chunk at hand: Next() moved its events out.
  LoadChunk(found);
  chunk_next_ = index - chunk.first_event;
}

}  // namespace vmrr
