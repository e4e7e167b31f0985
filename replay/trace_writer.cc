#include "replay/trace_writer.h"

#include <fcntl.h>
#include <unistd.h>
#include <zstd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "base/error.h"
#include "replay/crc32c.h"

namespace vmrr {

namespace {

void AppendVarint(std::string& out, uint64_t v) {
  while (v >= 0x80) {
    out.push_back(static_cast<char>(v | 0x80));
    v >>= 7;
  }
  out.push_back(static_cast<char>(v));
}

}  // namespace

namespace {

UniqueFd CreateTrace(const std::string& path) {
  UniqueFd fd(open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644));
  if (!fd.valid()) {
    throw Error(ErrorKind::kInput, "cannot create trace " + path + ": " + std::strerror(errno));
  }
  return fd;
}

}  // namespace

TraceWriter::TraceWriter(const std::string& path, proto::TraceHeader header)
    : TraceWriter(CreateTrace(path), path, std::move(header)) {}

TraceWriter::TraceWriter(UniqueFd fd, const std::string& path, proto::TraceHeader header)
    : fd_(std::move(fd)),
      path_(path),
      start_(std::chrono::steady_clock::now()),
      last_flush_(start_) {
  if (!fd_.valid())
    throw Error(ErrorKind::kInternal, "TraceWriter for " + path + " without a file");
  header.set_magic(kTraceMagic);
  header.set_format_version(kTraceFormatVersion);
  proto::TraceRecord record;
  *record.mutable_header() = std::move(header);
  WriteRecord(record);
}

void TraceWriter::WriteRecord(const proto::TraceRecord& record) {
  std::string body = record.SerializeAsString();
  std::string out;
  out.push_back(0x0a);  // TraceFile field 1, length-delimited
  AppendVarint(out, body.size());
  out += body;
  size_t done = 0;
  while (done < out.size()) {
    ssize_t n = write(fd_.get(), out.data() + done, out.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) ThrowErrno("writing trace " + path_);
    done += static_cast<size_t>(n);
  }
  bytes_written_ += out.size();
}

std::string TraceWriter::Compress(const char* data, size_t len) {
  std::string compressed(ZSTD_compressBound(len), '\0');
  size_t n = ZSTD_compress(compressed.data(), compressed.size(), data, len, 3);
  if (ZSTD_isError(n)) {
    throw Error(ErrorKind::kInternal, std::string("zstd: ") + ZSTD_getErrorName(n));
  }
  compressed.resize(n);
  return compressed;
}

void TraceWriter::WriteBootRegion(uint64_t gpa, const uint8_t* data, size_t len) {
  if (events_ > 0) throw Error(ErrorKind::kInternal, "boot region after events");
  for (size_t done = 0; done < len; done += kBootPieceBytes) {
    size_t piece = std::min(kBootPieceBytes, len - done);
    proto::TraceRecord record;
    proto::BootRegion* region = record.mutable_boot_region();
    region->set_gpa(gpa + done);
    region->set_raw_bytes(piece);
    std::string z = Compress(reinterpret_cast<const char*>(data) + done, piece);
    region->set_crc32c(Crc32c(z.data(), z.size()));
    region->set_zstd_data(std::move(z));
    WriteRecord(record);
  }
}

void TraceWriter::Append(const proto::Event& event) {
  std::string bytes = event.SerializeAsString();
  AppendVarint(pending_, bytes.size());
  pending_ += bytes;
  ++pending_count_;
  ++events_;
  if (pending_.size() >= kChunkBytes || pending_count_ >= kMaxChunkEvents) Flush();
}

void TraceWriter::MaybeFlush() {
  if (pending_count_ > 0 && std::chrono::steady_clock::now() - last_flush_ >= kMaxFlushDelay) {
    Flush();
  }
}

void TraceWriter::Flush() {
  last_flush_ = std::chrono::steady_clock::now();
  if (pending_count_ == 0) return;
  std::string compressed = Compress(pending_.data(), pending_.size());
  proto::TraceRecord record;
  proto::EventChunk* chunk = record.mutable_chunk();
  chunk->set_first_event(events_ - pending_count_);
  chunk->set_event_count(pending_count_);
  chunk->set_raw_bytes(pending_.size());
  chunk->set_crc32c(Crc32c(compressed.data(), compressed.size()));
  chunk->set_host_ms(static_cast<uint64_t>(
      std::chrono::duration_cast<std::chrono::milliseconds>(last_flush_ - start_).count()));
  chunk->set_zstd_events(std::move(compressed));
  WriteRecord(record);
  pending_.clear();
  pending_count_ = 0;
}

void TraceWriter::Finish(const proto::TraceEnd& end) {
  Flush();
  proto::TraceRecord record;
  *record.mutable_end() = end;
  record.mutable_end()->set_events(events_);
  WriteRecord(record);
  if (fsync(fd_.get()) != 0) ThrowErrno("fsync of trace " + path_);
}

}  // namespace vmrr
