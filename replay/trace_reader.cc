#include "replay/trace_reader.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zstd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "base/error.h"
#include "base/printable.h"
#include "replay/crc32c.h"
#include "replay/proto_log.h"
#include "replay/trace_writer.h"

namespace vmrr {

namespace {

// Where the file's last end record may start: its detail is one line.
constexpr uint64_t kEndRecordScan = 64 << 10;

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

enum Wire { kVarint = 0, kI64 = 1, kLen = 2, kI32 = 5 };

// The wire type of each field of the records' messages, as TraceWriter
// writes them (-1: no such field).
int RecordFieldWire(uint64_t record_field, uint64_t field) {
  switch (record_field) {
    case 2:  // EventChunk
      return field >= 1 && field <= 6 ? (field == 5 ? kLen : kVarint) : -1;
    case 3:  // TraceEnd
      return field == 2 ? kVarint : (field == 1 || field == 3 || field == 4) ? kLen : -1;
    case 4:  // BootRegion
      return field >= 1 && field <= 4 ? (field == 4 ? kLen : kVarint) : -1;
    default:
      return -1;
  }
}

// Whether `have` bytes of a TraceRecord body of `len` bytes can be the
// start of a record TraceWriter wrote: one field (a chunk, end or boot
// region) whose length fills the record exactly, and inside it known
// fields whose lengths fit.  A record length changed inside the file gives
// a record whose fields say another length.
bool PlausiblePrefix(const uint8_t* data, size_t have, uint64_t len) {
  size_t at = 0;
  uint64_t tag = 0;
  uint64_t inner = 0;
  bool malformed = false;
  if (!ReadVarint(data, have, &at, &tag, &malformed)) return !malformed;
  uint64_t record_field = tag >> 3;
  if ((tag & 7) != kLen || record_field < 2 || record_field > 4) return false;
  if (!ReadVarint(data, have, &at, &inner, &malformed)) return !malformed;
  if (at + inner != len) return false;
  const uint64_t end = len;
  while (at < have) {
    if (!ReadVarint(data, have, &at, &tag, &malformed)) return !malformed;
    int wire = RecordFieldWire(record_field, tag >> 3);
    if (wire < 0 || static_cast<uint64_t>(wire) != (tag & 7)) return false;
    uint64_t value = 0;
    if (!ReadVarint(data, have, &at, &value, &malformed)) return !malformed;
    if (wire == kLen) {
      if (value > end - at) return false;
      at += value;
    }
    if (at > end) return false;
  }
  return true;
}

// Counts the elements of repeated varint field `field` inside field
// `kind` (a sub-message) of the message in `data` (packed or not).
// Malformed data counts what it can: the parse refuses it after.
uint64_t CountRepeated(const uint8_t* data, size_t size, uint64_t kind, uint64_t field) {
  uint64_t count = 0;
  size_t at = 0;
  bool malformed = false;
  auto skip = [&](uint64_t tag, const uint8_t* d, size_t n, size_t* pos) {
    uint64_t v = 0;
    switch (tag & 7) {
      case kVarint:
        return ReadVarint(d, n, pos, &v, &malformed);
      case kI64:
        *pos += 8;
        return *pos <= n;
      case kI32:
        *pos += 4;
        return *pos <= n;
      case kLen:
        if (!ReadVarint(d, n, pos, &v, &malformed) || v > n - *pos) return false;
        *pos += v;
        return true;
      default:
        return false;
    }
  };
  while (at < size) {
    uint64_t tag = 0;
    if (!ReadVarint(data, size, &at, &tag, &malformed)) break;
    if ((tag >> 3) != kind || (tag & 7) != kLen) {
      if (!skip(tag, data, size, &at)) break;
      continue;
    }
    uint64_t len = 0;
    if (!ReadVarint(data, size, &at, &len, &malformed) || len > size - at) break;
    const uint8_t* sub = data + at;
    size_t pos = 0;
    while (pos < len) {
      uint64_t t = 0;
      if (!ReadVarint(sub, len, &pos, &t, &malformed)) break;
      if ((t >> 3) == field && (t & 7) == kLen) {
        uint64_t n = 0;
        if (!ReadVarint(sub, len, &pos, &n, &malformed) || n > len - pos) break;
        for (uint64_t i = 0; i < n; ++i) count += (sub[pos + i] & 0x80) == 0;
        pos += n;
      } else if ((t >> 3) == field && (t & 7) == kVarint) {
        ++count;
        if (!skip(t, sub, len, &pos)) break;
      } else if (!skip(t, sub, len, &pos)) {
        break;
      }
    }
    at += len;
  }
  return count;
}

}  // namespace

TraceReader::TraceReader(const std::string& path, const std::string& expected_arch) : path_(path) {
  // O_NONBLOCK: opening a FIFO would wait for a writer.
  fd_ = UniqueFd(open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK));
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
  if (!NextRecord(&first, kMaxHeaderBytes) || !first.has_header()) {
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
    throw Error(ErrorKind::kInput, path + " was recorded on " + Printable(header_.arch()) +
                                       "; this host is " + expected_arch);
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
      if (chunk.event_count() > TraceWriter::kMaxChunkEvents) {
        Corrupt("a chunk of " + std::to_string(chunk.event_count()) +
                " events (vmrr writes at most " + std::to_string(TraceWriter::kMaxChunkEvents) +
                ")");
      }
      if (chunk.raw_bytes() > kMaxChunkRawBytes) {
        Corrupt("a chunk of " + std::to_string(chunk.raw_bytes()) +
                " bytes of events (vmrr writes at most " + std::to_string(kMaxChunkRawBytes) + ")");
      }
      const std::string& z = chunk.zstd_events();
      if (Crc32c(z.data(), z.size()) != chunk.crc32c()) Corrupt("chunk checksum mismatch");
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
    if (region.raw_bytes() == 0 || region.raw_bytes() > TraceWriter::kBootPieceBytes) {
      Corrupt("a boot region of " + std::to_string(region.raw_bytes()) +
              " bytes (vmrr writes 1 to " + std::to_string(TraceWriter::kBootPieceBytes) + ")");
    }
    if (boot_regions_.size() >= wanted) {
      Corrupt("more boot regions than the header's " + std::to_string(wanted));
    }
    // The frame must say its size, and say the same as the record.
    unsigned long long framed = ZSTD_getFrameContentSize(z.data(), z.size());
    if (framed != region.raw_bytes()) Corrupt("boot region's size does not match its data");
    boot_regions_.push_back({region.gpa(), region.raw_bytes()});
    boot_offsets_.push_back(at);
  }
  if (boot_regions_.size() < wanted) {
    throw Error(ErrorKind::kInput,
                path_ + " was cut before the guest's memory was saved: nothing to replay");
  }
  events_offset_ = offset_;
}

std::string TraceReader::ReadBootRegion(size_t index) {
  offset_ = boot_offsets_.at(index);
  done_ = false;
  proto::TraceRecord record;
  if (!NextRecord(&record) || !record.has_boot_region()) Corrupt("the boot region is gone");
  const proto::BootRegion& region = record.boot_region();
  const std::string& z = region.zstd_data();
  // Checked at open; the file may have changed since.
  if (Crc32c(z.data(), z.size()) != region.crc32c() ||
      region.raw_bytes() != boot_regions_[index].bytes ||
      ZSTD_getFrameContentSize(z.data(), z.size()) != region.raw_bytes()) {
    Corrupt("the boot region changed while it was read");
  }
  std::string out(region.raw_bytes(), '\0');
  size_t n = ZSTD_decompress(out.data(), out.size(), z.data(), z.size());
  if (ZSTD_isError(n) || n != out.size()) Corrupt("boot region does not decompress");
  return out;
}

void TraceReader::Corrupt(const std::string& why) const {
  throw Error(ErrorKind::kInput,
              path_ + " is corrupt at byte " + std::to_string(record_offset_) + ": " + why);
}

void TraceReader::CheckCut(uint64_t body, uint64_t len) {
  uint8_t head[64];
  uint64_t have = std::min<uint64_t>(sizeof(head), file_size_ - body);
  if (!ReadAt(body, head, have)) return;
  std::string what = "a record of " + std::to_string(len) + " bytes runs past the end of the file";
  if (!PlausiblePrefix(head, have, len)) {
    Corrupt(what + ", and its fields say another length: corrupt, not cut by a crash");
  }
  // A crash leaves no record after the one it cut; an end record there
  // means bytes went missing inside the trace.
  uint64_t from = std::max(body, file_size_ > kEndRecordScan ? file_size_ - kEndRecordScan : 0);
  std::string tail(file_size_ - from, '\0');
  if (!ReadAt(from, tail.data(), tail.size())) return;
  const auto* data = reinterpret_cast<const uint8_t*>(tail.data());
  for (size_t p = 0; p < tail.size(); ++p) {
    if (data[p] != 0x0a) continue;
    size_t at = p + 1;
    uint64_t n = 0;
    bool malformed = false;
    if (!ReadVarint(data, tail.size(), &at, &n, &malformed) || n != tail.size() - at) continue;
    proto::TraceRecord record;
    ProtoParseErrors quiet;
    if (record.ParseFromArray(data + at, static_cast<int>(n)) && record.has_end()) {
      Corrupt(what + " into an end record at byte " + std::to_string(from + p) +
              ": bytes are missing inside the trace");
    }
  }
}

bool TraceReader::NextRecord(proto::TraceRecord* record, uint64_t max_len) {
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
  if (len > max_len) {
    if (offset_ == 0) throw Error(ErrorKind::kInput, path_ + " is not a vmrr trace");
    Corrupt("a record of " + std::to_string(len) + " bytes (vmrr writes at most " +
            std::to_string(max_len) + ")");
  }
  uint64_t body = offset_ + at;
  if (len > file_size_ - body) {
    if (offset_ != 0) CheckCut(body, len);
    done_ = true;  // cut inside the record
    return false;
  }
  std::string bytes(len, '\0');
  if (!ReadAt(body, bytes.data(), len)) {
    done_ = true;
    return false;
  }
  ProtoParseErrors errors;
  if (!record->ParseFromString(bytes)) {
    std::string why = errors.Why();
    if (record_offset_ == 0) {
      throw Error(ErrorKind::kInput, path_ + " is not a vmrr trace (its header does not parse" +
                                         (why.empty() ? "" : ": " + why) + ")");
    }
    Corrupt("record does not parse" + (why.empty() ? "" : ": " + why));
  }
  offset_ = body + len;
  return true;
}

void TraceReader::LoadChunk(size_t index) {
  const ChunkEntry& entry = chunks_.at(index);
  offset_ = entry.offset;
  done_ = false;
  chunk_loaded_ = false;
  proto::TraceRecord record;
  if (!NextRecord(&record) || !record.has_chunk()) Corrupt("the chunk is gone");
  const proto::EventChunk& chunk = record.chunk();
  const std::string& z = chunk.zstd_events();
  if (Crc32c(z.data(), z.size()) != chunk.crc32c()) Corrupt("chunk checksum mismatch");
  if (chunk.raw_bytes() > kMaxChunkRawBytes || chunk.event_count() != entry.events) {
    Corrupt("the chunk changed while it was read");
  }
  unsigned long long framed = ZSTD_getFrameContentSize(z.data(), z.size());
  if (framed != chunk.raw_bytes()) Corrupt("chunk's size does not match its data");
  chunk_raw_.assign(chunk.raw_bytes(), '\0');
  size_t n = ZSTD_decompress(chunk_raw_.data(), chunk_raw_.size(), z.data(), z.size());
  if (ZSTD_isError(n) || n != chunk_raw_.size()) Corrupt("chunk does not decompress");
  chunk_pos_ = 0;
  chunk_next_ = 0;
  chunk_offset_ = entry.offset;
  chunk_host_ms_ = chunk.host_ms();
  chunk_ = index;
  chunk_loaded_ = true;
}

void TraceReader::SkipChunkEvent() {
  record_offset_ = chunk_offset_;
  const auto* data = reinterpret_cast<const uint8_t*>(chunk_raw_.data());
  uint64_t len = 0;
  bool malformed = false;
  if (!ReadVarint(data, chunk_raw_.size(), &chunk_pos_, &len, &malformed) ||
      len > chunk_raw_.size() - chunk_pos_) {
    Corrupt("bad event length in chunk");
  }
  chunk_pos_ += len;
  ++chunk_next_;
}

void TraceReader::ParseChunkEvent(proto::Event* event) {
  record_offset_ = chunk_offset_;
  const ChunkEntry& entry = chunks_[chunk_];
  const uint64_t index = entry.first_event + chunk_next_;
  const auto* data = reinterpret_cast<const uint8_t*>(chunk_raw_.data());
  uint64_t len = 0;
  bool malformed = false;
  if (!ReadVarint(data, chunk_raw_.size(), &chunk_pos_, &len, &malformed) ||
      len > chunk_raw_.size() - chunk_pos_) {
    Corrupt("bad event length in chunk");
  }
  const uint8_t* bytes = data + chunk_pos_;
  if (len > kLargeEventBytes) {
    // Bounded before parsing: a packed list takes 8 times its bytes.
    const uint64_t ram_pages = header_.vm().mem_bytes() / 4096;
    uint64_t pages = CountRepeated(bytes, len, proto::Event::kMemoryDigestFieldNumber,
                                   proto::MemoryDigest::kPageGapsFieldNumber);
    if (pages > ram_pages) {
      Corrupt("event " + std::to_string(index) + " digests " + std::to_string(pages) +
              " pages; guest RAM has " + std::to_string(ram_pages));
    }
    uint64_t values = CountRepeated(bytes, len, proto::Event::kHypercallFieldNumber,
                                    proto::HypercallResult::kValuesFieldNumber);
    if (values > kMaxHypercallValues) {
      Corrupt("event " + std::to_string(index) + " is a hypercall result of " +
              std::to_string(values) + " values");
    }
  }
  ProtoParseErrors errors;
  if (!event->ParseFromArray(bytes, static_cast<int>(len))) {
    std::string why = errors.Why();
    Corrupt("event " + std::to_string(index) + " does not parse" + (why.empty() ? "" : ": " + why));
  }
  chunk_pos_ += len;
  ++chunk_next_;
}

bool TraceReader::Next(proto::Event* event) {
  for (;;) {
    if (chunk_loaded_) {
      const ChunkEntry& entry = chunks_[chunk_];
      bool at_end = chunk_pos_ >= chunk_raw_.size();
      if (chunk_next_ < entry.events && !at_end) {
        ParseChunkEvent(event);
        return true;
      }
      if (chunk_next_ != entry.events || !at_end) {
        record_offset_ = chunk_offset_;
        Corrupt("chunk event count mismatch (it says " + std::to_string(entry.events) + ")");
      }
    }
    size_t next = chunk_loaded_ ? chunk_ + 1 : chunk_;
    if (next >= chunks_.size()) {
      chunk_ = chunks_.size();
      chunk_loaded_ = false;
      return false;
    }
    LoadChunk(next);
  }
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
  if (!chunk_loaded_ || chunk_ != found || chunk_next_ > index - chunk.first_event) {
    LoadChunk(found);
  }
  while (chunk_next_ < index - chunk.first_event) {
    if (chunk_pos_ >= chunk_raw_.size()) Corrupt("chunk event count mismatch");
    SkipChunkEvent();
  }
}

}  // namespace vmrr
