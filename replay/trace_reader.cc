#include "replay/trace_reader.h"

#include <zstd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

#include "base/error.h"
#include "replay/crc32c.h"
#include "replay/trace_writer.h"

namespace vmrr {

namespace {

constexpr uint64_t kMaxChunkRawBytes = 64ull << 20;

// A varint at data[*offset]; false when the data ends inside it.
bool ReadVarint(const std::string& data, size_t* offset, uint64_t* value, bool* malformed) {
  *value = 0;
  for (int shift = 0; shift < 64; shift += 7) {
    if (*offset >= data.size()) return false;
    auto byte = static_cast<uint8_t>(data[(*offset)++]);
    *value |= static_cast<uint64_t>(byte & 0x7f) << shift;
    if ((byte & 0x80) == 0) return true;
  }
  *malformed = true;
  return false;
}

}  // namespace

TraceReader::TraceReader(const std::string& path, const std::string& expected_arch) : path_(path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    throw Error(ErrorKind::kInput, "cannot read trace " + path + ": " + std::strerror(errno));
  }
  std::ostringstream all;
  all << in.rdbuf();
  data_ = all.str();

  proto::TraceRecord first;
  if (!NextRecord(&first) || !first.has_header()) {
    if (data_.empty() || done_) {
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
}

void TraceReader::ReadBootRegions() {
  proto::TraceRecord record;
  while (NextRecord(&record)) {
    if (!record.has_boot_region()) {
      after_boot_ = std::move(record);
      have_after_boot_ = true;
      return;
    }
    const proto::BootRegion& region = record.boot_region();
    const std::string& z = region.zstd_data();
    if (Crc32c(z.data(), z.size()) != region.crc32c()) Corrupt("boot region checksum mismatch");
    if (region.raw_bytes() > TraceWriter::kBootPieceBytes) Corrupt("boot region too large");
    if (boot_regions_.size() >= header_.boot().region_records()) Corrupt("unexpected boot region");
    BootRegion out{region.gpa(), std::string(region.raw_bytes(), '\0')};
    size_t n = ZSTD_decompress(out.data.data(), out.data.size(), z.data(), z.size());
    if (ZSTD_isError(n) || n != out.data.size()) Corrupt("boot region does not decompress");
    boot_regions_.push_back(std::move(out));
  }
  if (boot_regions_.size() < header_.boot().region_records()) {
    throw Error(ErrorKind::kInput,
                path_ + " was cut before the guest's memory was saved: nothing to replay");
  }
}

void TraceReader::Corrupt(const std::string& why) const {
  throw Error(ErrorKind::kInput,
              path_ + " is corrupt at byte " + std::to_string(record_offset_) + ": " + why);
}

bool TraceReader::NextRecord(proto::TraceRecord* record) {
  if (done_) return false;
  record_offset_ = offset_;
  if (offset_ == data_.size()) {
    done_ = true;
    return false;
  }
  if (static_cast<uint8_t>(data_[offset_]) != 0x0a) {
    if (offset_ == 0) throw Error(ErrorKind::kInput, path_ + " is not a vmrr trace");
    Corrupt("no record starts here");
  }
  ++offset_;
  uint64_t len = 0;
  bool malformed = false;
  if (!ReadVarint(data_, &offset_, &len, &malformed)) {
    if (malformed) Corrupt("bad record length");
    done_ = true;  // cut inside the length
    return false;
  }
  if (len > data_.size() - offset_) {
    done_ = true;  // cut inside the record
    return false;
  }
  if (!record->ParseFromArray(data_.data() + offset_, static_cast<int>(len))) {
    if (record_offset_ == 0) throw Error(ErrorKind::kInput, path_ + " is not a vmrr trace");
    Corrupt("record does not parse");
  }
  offset_ += len;
  return true;
}

void TraceReader::LoadChunk(const proto::EventChunk& chunk) {
  const std::string& z = chunk.zstd_events();
  if (Crc32c(z.data(), z.size()) != chunk.crc32c()) Corrupt("chunk checksum mismatch");
  if (chunk.first_event() != events_read_) Corrupt("chunk out of sequence");
  if (chunk.raw_bytes() > kMaxChunkRawBytes) Corrupt("chunk too large");
  std::string raw(chunk.raw_bytes(), '\0');
  size_t n = ZSTD_decompress(raw.data(), raw.size(), z.data(), z.size());
  if (ZSTD_isError(n) || n != raw.size()) Corrupt("chunk does not decompress");
  chunk_events_.clear();
  chunk_next_ = 0;
  size_t at = 0;
  while (at < raw.size()) {
    uint64_t len = 0;
    bool malformed = false;
    if (!ReadVarint(raw, &at, &len, &malformed) || len > raw.size() - at) {
      Corrupt("bad event length in chunk");
    }
    proto::Event event;
    if (!event.ParseFromArray(raw.data() + at, static_cast<int>(len))) {
      Corrupt("event does not parse");
    }
    chunk_events_.push_back(std::move(event));
    at += len;
  }
  if (chunk_events_.size() != chunk.event_count()) Corrupt("chunk event count mismatch");
  chunk_host_ms_ = chunk.host_ms();
}

bool TraceReader::Next(proto::Event* event) {
  while (chunk_next_ == chunk_events_.size()) {
    if (complete_) return false;
    proto::TraceRecord record;
    if (have_after_boot_) {
      record = std::move(after_boot_);
      have_after_boot_ = false;
    } else if (!NextRecord(&record)) {
      return false;
    }
    if (record.has_chunk()) {
      LoadChunk(record.chunk());
    } else if (record.has_end()) {
      end_ = record.end();
      complete_ = true;
      done_ = true;
      if (end_.events() != events_read_) Corrupt("end record counts other events");
      return false;
    } else {
      Corrupt("unexpected record");
    }
  }
  *event = std::move(chunk_events_[chunk_next_++]);
  ++events_read_;
  return true;
}

}  // namespace vmrr
