// Hostile and damaged traces (issue 19, items 1-7): each must be refused
// as one Error(kInput) line naming the problem, quickly and in little
// memory, or read as the crash-cut prefix it is.
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zstd.h>

#include <algorithm>
#include <chrono>
#include <fstream>
#include <sstream>

#include "base/error.h"
#include "replay/crc32c.h"
#include "replay/trace_reader.h"
#include "replay/trace_writer.h"

namespace vmrr {
namespace {

std::string Path(const std::string& name) { return ::testing::TempDir() + "/" + name; }

std::string ReadAll(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

void WriteAll(const std::string& path, const std::string& data) {
  std::ofstream(path, std::ios::binary | std::ios::trunc) << data;
}

void AppendVarint(std::string& out, uint64_t v) {
  while (v >= 0x80) {
    out.push_back(static_cast<char>(v | 0x80));
    v >>= 7;
  }
  out.push_back(static_cast<char>(v));
}

// One record as TraceWriter frames it.
std::string Framed(const proto::TraceRecord& record) {
  std::string body = record.SerializeAsString();
  std::string out(1, '\x0a');
  AppendVarint(out, body.size());
  return out + body;
}

std::string Zstd(const std::string& raw) {
  std::string z(ZSTD_compressBound(raw.size()), '\0');
  z.resize(ZSTD_compress(z.data(), z.size(), raw.data(), raw.size(), 1));
  return z;
}

proto::TraceRecord Chunk(uint64_t first, uint32_t count, const std::string& raw) {
  proto::TraceRecord record;
  proto::EventChunk* chunk = record.mutable_chunk();
  chunk->set_first_event(first);
  chunk->set_event_count(count);
  chunk->set_raw_bytes(raw.size());
  chunk->set_zstd_events(Zstd(raw));
  chunk->set_crc32c(Crc32c(chunk->zstd_events().data(), chunk->zstd_events().size()));
  return record;
}

proto::TraceRecord EndRecord(uint64_t events) {
  proto::TraceRecord record;
  record.mutable_end()->set_reason("poweroff");
  record.mutable_end()->set_events(events);
  record.mutable_end()->set_detail("the guest powered off");
  return record;
}

proto::Event MakeEvent(uint64_t i) {
  proto::Event e;
  e.mutable_at()->set_instructions(1000 * i);
  e.mutable_interrupt()->set_line(static_cast<uint32_t>(i % 3));
  e.mutable_interrupt()->set_level(i % 2 == 0);
  return e;
}

// A header and one boot region: the start of every trace below.
std::string Start(uint64_t mem_bytes = 1 << 30) {
  std::string path = Path("start.vmrr");
  proto::TraceHeader header;
  header.set_arch("arm64");
  header.mutable_vm()->set_mem_bytes(mem_bytes);
  header.mutable_boot()->set_region_records(1);
  {
    TraceWriter writer(path, header);
    std::string boot(5000, 'b');
    writer.WriteBootRegion(0x80000000, reinterpret_cast<const uint8_t*>(boot.data()), boot.size());
  }
  return ReadAll(path);
}

// A complete trace of `chunks` chunks of 10 events.
std::string Complete(int chunks) {
  std::string path = Path("complete.vmrr");
  proto::TraceHeader header;
  header.set_arch("arm64");
  header.mutable_vm()->set_mem_bytes(1 << 30);
  header.mutable_boot()->set_region_records(1);
  TraceWriter writer(path, header);
  std::string boot(5000, 'b');
  writer.WriteBootRegion(0x80000000, reinterpret_cast<const uint8_t*>(boot.data()), boot.size());
  for (int i = 0; i < chunks * 10; ++i) {
    writer.Append(MakeEvent(i));
    if (i % 10 == 9) writer.Flush();
  }
  proto::TraceEnd end;
  end.set_reason("poweroff");
  writer.Finish(end);
  return ReadAll(path);
}

// Offsets of each record of a file.
std::vector<size_t> RecordOffsets(const std::string& file) {
  std::vector<size_t> offsets;
  size_t at = 0;
  while (at < file.size()) {
    offsets.push_back(at);
    size_t p = at + 1;
    uint64_t len = 0;
    for (int shift = 0;; shift += 7) {
      auto b = static_cast<uint8_t>(file[p++]);
      len |= static_cast<uint64_t>(b & 0x7f) << shift;
      if (!(b & 0x80)) break;
    }
    at = p + len;
  }
  return offsets;
}

// The size of the length varint of the record at `offset`.
size_t LengthBytes(const std::string& file, size_t offset) {
  size_t n = 1;
  while (static_cast<uint8_t>(file[offset + n]) & 0x80) ++n;
  return n;
}

// The body of the record at `offset` (of a file whose records start at `offsets`).
std::string RecordBody(const std::string& file, size_t offset) {
  size_t at = offset + 1 + LengthBytes(file, offset);
  auto offsets = RecordOffsets(file);
  auto next = std::upper_bound(offsets.begin(), offsets.end(), offset);
  return file.substr(at, (next == offsets.end() ? file.size() : *next) - at);
}

// Resets the peak resident set size to the current one (Linux clear_refs
// 5); returns false where that is not allowed.
bool ResetPeakRss() {
  std::ofstream clear("/proc/self/clear_refs");
  clear << "5";
  clear.flush();
  return clear.good();
}

// The peak resident set size (VmHWM) in KiB.
long PeakRssKb() {
  std::ifstream status("/proc/self/status");
  std::string line;
  while (std::getline(status, line)) {
    if (line.rfind("VmHWM:", 0) == 0) return std::stol(line.substr(6));
  }
  return 0;
}

// Reads the whole trace; returns the error line ("" when it read).
std::string ReadError(const std::string& data, const std::string& name = "hostile.vmrr") {
  std::string path = Path(name);
  WriteAll(path, data);
  try {
    TraceReader reader(path);
    proto::Event e;
    while (reader.Next(&e)) {
    }
    return "";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::kInput) << e.what();
    return e.what();
  }
}

#define EXPECT_HAS(text, part) EXPECT_NE((text).find(part), std::string::npos) << (text)

// Item 1: boot regions are checked and indexed at open, not decompressed:
// 1.6 GiB of zeros in a few KB of file costs nothing until replay reads a
// region (validation, replay/trace_validation.h, first bounds them by RAM).
TEST(HostileTrace, BootRegionsAreNotDecompressedAtOpen) {
  std::string path = Path("bomb.vmrr");
  proto::TraceHeader header;
  header.set_arch("arm64");
  header.mutable_vm()->set_mem_bytes(1 << 30);
  const int kRegions = 200;
  header.mutable_boot()->set_region_records(kRegions);
  {
    TraceWriter writer(path, header);
    std::string zeros(TraceWriter::kBootPieceBytes, '\0');
    for (int i = 0; i < kRegions; ++i) {
      writer.WriteBootRegion(0x80000000 + uint64_t{TraceWriter::kBootPieceBytes} * i,
                             reinterpret_cast<const uint8_t*>(zeros.data()), zeros.size());
    }
  }
  struct stat st{};
  ASSERT_EQ(stat(path.c_str(), &st), 0);
  EXPECT_LT(st.st_size, 200 << 10);
  bool measured = ResetPeakRss();
  long before = PeakRssKb();
  auto start = std::chrono::steady_clock::now();
  TraceReader reader(path);
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(2));
  ASSERT_EQ(reader.boot_regions().size(), static_cast<size_t>(kRegions));
  if (measured) {
    EXPECT_LT(PeakRssKb() - before, 64 << 10);  // KiB: far below 1.6 GiB
  }
  // One region at a time, bounded by its declared (and framed) size.
  EXPECT_EQ(reader.ReadBootRegion(kRegions - 1), std::string(TraceWriter::kBootPieceBytes, '\0'));
}

TEST(HostileTrace, ABootRegionDeclaringOtherThanItsFrameIsCorrupt) {
  std::string file = Start();
  std::vector<size_t> records = RecordOffsets(file);
  proto::TraceRecord region;
  ASSERT_TRUE(region.ParseFromString(RecordBody(file, records[1])));
  region.mutable_boot_region()->set_raw_bytes(region.boot_region().raw_bytes() + 1);
  std::string bad = file.substr(0, records[1]) + Framed(region);
  EXPECT_HAS(ReadError(bad), "boot region's size does not match its data");
  region.mutable_boot_region()->set_raw_bytes(uint64_t{1} << 40);
  bad = file.substr(0, records[1]) + Framed(region);
  EXPECT_HAS(ReadError(bad), "a boot region of 1099511627776 bytes");
}

// Item 2: a few KB declaring tens of millions of empty events.
TEST(HostileTrace, AChunkOfMillionsOfEventsIsRefusedAtOnce) {
  std::string many, over;
  {
    std::string raw(16 << 20, '\0');  // 16 Mi empty events
    many = Start() + Framed(Chunk(0, 16 << 20, raw)) + Framed(EndRecord(16 << 20));
    // Within the count, a chunk whose data holds more events than it says.
    over = Start() + Framed(Chunk(0, 65536, raw)) + Framed(EndRecord(65536));
  }
  EXPECT_LT(many.size(), 8u << 10);
  bool measured = ResetPeakRss();
  long before = PeakRssKb();
  auto start = std::chrono::steady_clock::now();
  EXPECT_HAS(ReadError(many), "a chunk of 16777216 events (vmrr writes at most 65536)");
  EXPECT_HAS(ReadError(over), "chunk event count mismatch");
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(5));
  if (measured) {
    EXPECT_LT(PeakRssKb() - before, 64 << 10);
  }
}

TEST(HostileTrace, ALargePackedListIsCountedBeforeItIsParsed) {
  // One memory digest naming 64 Mi pages in 64 MiB of 1-byte gaps: parsed,
  // 512 MiB.  Guest RAM (1 GiB) has 262144 pages.
  std::string bad;
  {
    proto::Event digest;
    digest.mutable_at()->set_instructions(1);
    std::string event = digest.SerializeAsString();
    std::string gaps((64 << 20) - 64, '\x01');
    event += '\x3a';             // field 7 (memory_digest), length-delimited
    std::string inner = "\x1a";  // field 3 (page_gaps), packed
    AppendVarint(inner, gaps.size());
    inner += gaps;
    AppendVarint(event, inner.size());
    event += inner;
    std::string raw;
    AppendVarint(raw, event.size());
    raw += event;
    bad = Start() + Framed(Chunk(0, 1, raw)) + Framed(EndRecord(1));
  }
  bool measured = ResetPeakRss();
  long before = PeakRssKb();
  EXPECT_HAS(ReadError(bad), "event 0 digests 67108800 pages; guest RAM has 262144");
  // The 64 MiB of decompressed events, not 512 MiB of parsed page numbers.
  if (measured) {
    EXPECT_LT(PeakRssKb() - before, 128 << 10);
  }
}

TEST(HostileTrace, TheWriterNeverWritesMoreEventsToAChunkThanReadersTake) {
  std::string path = Path("many.vmrr");
  proto::TraceHeader header;
  header.set_arch("arm64");
  header.mutable_vm()->set_mem_bytes(1 << 30);
  const uint64_t n = TraceWriter::kMaxChunkEvents + 10;
  {
    TraceWriter writer(path, header);
    proto::Event tiny;  // 3 bytes with its length: the count, not the size, flushes
    tiny.set_asynchronous(true);
    for (uint64_t i = 0; i < n; ++i) writer.Append(tiny);
    writer.Finish(proto::TraceEnd());
  }
  TraceReader reader(path);
  uint64_t count = 0;
  proto::Event e;
  while (reader.Next(&e)) ++count;
  EXPECT_EQ(count, n);
  EXPECT_TRUE(reader.complete());
}

// Item 3: devices and FIFOs are refused at once (a FIFO used to block).
TEST(HostileTrace, NonRegularFilesAreRefusedWithoutReading) {
  std::string fifo = Path("fifo.vmrr");
  unlink(fifo.c_str());
  ASSERT_EQ(mkfifo(fifo.c_str(), 0600), 0);
  for (const std::string& path : {std::string("/dev/zero"), fifo, ::testing::TempDir()}) {
    try {
      TraceReader reader(path);
      FAIL() << path;
    } catch (const Error& e) {
      EXPECT_EQ(e.kind(), ErrorKind::kInput);
      EXPECT_HAS(std::string(e.what()), "not a regular file");
    }
  }
}

// Item 4: a record length over 2 GiB (once a static_cast<int> and a
// libprotobuf FATAL) is corruption, with its offset.
TEST(HostileTrace, ARecordOfMoreThan2GiBIsCorrupt) {
  std::string start = Start();
  std::string bad = start + "\x0a";
  AppendVarint(bad, (uint64_t{1} << 31) + 1);
  bad += "\x12\x00";
  EXPECT_HAS(ReadError(bad), "is corrupt at byte " + std::to_string(start.size()) +
                                 ": a record of 2147483649 bytes (vmrr writes at most");
  std::string first = "\x0a";
  AppendVarint(first, uint64_t{1} << 33);
  EXPECT_HAS(ReadError(first + "xyz"), "is not a vmrr trace");
  // A header larger than any vmrr writes.
  first = "\x0a";
  AppendVarint(first, (2 << 20));
  EXPECT_HAS(ReadError(first + std::string(2 << 20, '\0')), "is not a vmrr trace");
}

// Item 5: every boot region the header names must be there.
TEST(HostileTrace, BootRegionCountsOtherThanTheHeadersAreCorrupt) {
  std::string file = Start();
  std::vector<size_t> records = RecordOffsets(file);
  proto::TraceRecord header;
  ASSERT_TRUE(header.ParseFromString(RecordBody(file, records[0])));
  for (uint32_t wanted : {2u, 1u << 31}) {
    header.mutable_header()->mutable_boot()->set_region_records(wanted);
    std::string bad = Framed(header) + file.substr(records[1]) + Framed(EndRecord(0));
    EXPECT_HAS(ReadError(bad), "the header names " + std::to_string(wanted) +
                                   " boot regions; 1 come before the events");
  }
  header.mutable_header()->mutable_boot()->set_region_records(0);
  std::string bad = Framed(header) + file.substr(records[1]) + Framed(EndRecord(0));
  EXPECT_HAS(ReadError(bad), "more boot regions than the header's 0");
}

// Item 6: a cut is a crash's prefix; anything else is corruption, at its byte.
TEST(HostileTrace, ARecordLengthChangedInsideTheFileIsCorruptNotCut) {
  std::string file = Complete(4);
  std::vector<size_t> records = RecordOffsets(file);
  ASSERT_EQ(records.size(), 7u);  // header, region, 4 chunks, end
  size_t second_chunk = records[3];
  size_t length_end = second_chunk + 1 + LengthBytes(file, second_chunk);
  // The chunk's length, changed to 2^32.
  std::string bad = file.substr(0, second_chunk + 1);
  AppendVarint(bad, uint64_t{1} << 32);
  bad += file.substr(length_end);
  EXPECT_HAS(ReadError(bad),
             "is corrupt at byte " + std::to_string(second_chunk) + ": a record of 4294967296");
  // Changed to a length that runs past the end of the file, within the limit.
  bad = file.substr(0, second_chunk + 1);
  AppendVarint(bad, 1 << 20);
  bad += file.substr(length_end);
  EXPECT_HAS(ReadError(bad), "is corrupt at byte " + std::to_string(second_chunk) +
                                 ": a record of 1048576 bytes runs past the end of the file, and "
                                 "its fields say another length");
}

TEST(HostileTrace, BytesMissingInsideTheLastChunkAreCorruptNotCut) {
  std::string file = Complete(3);
  std::vector<size_t> records = RecordOffsets(file);
  size_t last_chunk = records[4], end = records[5];
  size_t end_size = file.size() - end;
  // More bytes than the end record holds: the chunk now runs past the end
  // of the file, into the end record.
  size_t body = end - last_chunk - 1 - LengthBytes(file, last_chunk);
  ASSERT_GT(body, 40 + end_size + 5);
  std::string bad = file;
  bad.erase(last_chunk + 40, end_size + 5);  // inside the compressed events
  EXPECT_HAS(ReadError(bad), "is corrupt at byte " + std::to_string(last_chunk) + ": a record of " +
                                 std::to_string(body) +
                                 " bytes runs past the end of the file into an end record");
  // Fewer: what follows the chunk is no record.
  bad = file;
  bad.erase(last_chunk + 40, 3);
  EXPECT_HAS(ReadError(bad), "is corrupt at byte");
}

TEST(HostileTrace, DataAfterTheEndRecordIsCorrupt) {
  std::string file = Complete(2);
  EXPECT_HAS(ReadError(file + "garbage"),
             "is corrupt at byte " + std::to_string(file.size()) + ": data after the end record");
  EXPECT_HAS(ReadError(file + Framed(EndRecord(20))), "data after the end record");
}

TEST(HostileTrace, ACrashCutAtAnyByteOfTheLastRecordIsACut) {
  std::string file = Complete(3);
  std::vector<size_t> records = RecordOffsets(file);
  // Cut inside the last chunk (no end record yet) and inside the end record.
  for (size_t len = records[4]; len < file.size(); ++len) {
    EXPECT_EQ(ReadError(file.substr(0, len)), "") << len;
  }
}

// Item 7: a string field that is not UTF-8 is named, and nothing raw is
// printed; strings are printed escaped (base/printable.h, inspect).
TEST(HostileTrace, InvalidUtf8IsNamedAndNotLogged) {
  std::string file = Start();
  size_t arch = file.find("arm64");
  ASSERT_NE(arch, std::string::npos);
  std::string bad = file;
  bad[arch + 1] = static_cast<char>(0xc3);
  testing::internal::CaptureStderr();
  std::string error = ReadError(bad);
  EXPECT_EQ(testing::internal::GetCapturedStderr(), "");
  EXPECT_HAS(error,
             "is not a vmrr trace (its header does not parse: field "
             "vmrr.proto.TraceHeader.arch is not valid UTF-8)");

  // In a later record, at its offset.
  proto::Event e;
  e.mutable_at()->set_instructions(5);
  e.mutable_console_input()->set_data("x");
  proto::TraceRecord end = EndRecord(1);
  end.mutable_end()->set_reason("poweroff");
  std::string body = end.SerializeAsString();
  size_t reason = body.find("poweroff");
  body[reason] = static_cast<char>(0xff);
  std::string framed = "\x0a";
  AppendVarint(framed, body.size());
  std::string raw;
  std::string event = e.SerializeAsString();
  AppendVarint(raw, event.size());
  raw += event;
  testing::internal::CaptureStderr();
  error = ReadError(Start() + Framed(Chunk(0, 1, raw)) + framed + body);
  EXPECT_EQ(testing::internal::GetCapturedStderr(), "");
  EXPECT_HAS(error, "record does not parse: field vmrr.proto.TraceEnd.reason is not valid UTF-8");
}

}  // namespace
}  // namespace vmrr
