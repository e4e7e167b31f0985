#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>
#include <sstream>

#include "base/error.h"
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

proto::Event MakeEvent(uint64_t i) {
  proto::Event e;
  e.mutable_at()->set_instructions(1000 * i);
  e.mutable_at()->set_pc(0xffff000000000000 + i);
  if (i % 2) {
    e.mutable_mmio_read()->set_gpa(0x9000000 + i);
    e.mutable_mmio_read()->set_value(i * i);
  } else {
    e.mutable_memory_write()->set_gpa(0x80000000 + i);
    e.mutable_memory_write()->set_data(std::string(100 + i % 7, static_cast<char>(i)));
  }
  return e;
}

std::string BootBytes() {
  std::string boot(3000, '\0');
  for (size_t i = 0; i < boot.size(); ++i) boot[i] = static_cast<char>(i * 7 + i / 256);
  return boot;
}

// A trace of `n` events in chunks of `per_chunk`, finished or not.
std::string WriteTrace(const std::string& name, int n, int per_chunk, bool finish) {
  proto::TraceHeader header;
  header.set_arch("arm64");
  header.mutable_vm()->set_mem_bytes(1 << 30);
  std::string boot = BootBytes();
  header.mutable_boot()->set_region_records(TraceWriter::BootRecords(boot.size()));
  std::string path = Path(name);
  TraceWriter writer(path, header);
  writer.WriteBootRegion(0x80000000, reinterpret_cast<const uint8_t*>(boot.data()), boot.size());
  for (int i = 0; i < n; ++i) {
    writer.Append(MakeEvent(i));
    if ((i + 1) % per_chunk == 0) writer.Flush();
  }
  if (finish) {
    proto::TraceEnd end;
    end.set_reason("poweroff");
    writer.Finish(end);
  } else {
    writer.Flush();
  }
  return path;
}

std::vector<proto::Event> ReadEvents(TraceReader& reader) {
  std::vector<proto::Event> events;
  proto::Event e;
  while (reader.Next(&e)) events.push_back(e);
  return events;
}

TEST(Trace, RoundTrip) {
  std::string path = WriteTrace("roundtrip.vmrr", 25, 10, true);
  TraceReader reader(path, "arm64");
  EXPECT_EQ(reader.header().magic(), "vmrr-trace");
  EXPECT_EQ(reader.header().format_version(), kTraceFormatVersion);
  EXPECT_EQ(reader.header().vm().mem_bytes(), 1u << 30);
  ASSERT_EQ(reader.boot_regions().size(), 1u);
  EXPECT_EQ(reader.boot_regions()[0].gpa, 0x80000000u);
  EXPECT_EQ(reader.boot_regions()[0].bytes, BootBytes().size());
  EXPECT_EQ(reader.ReadBootRegion(0), BootBytes());
  std::vector<proto::Event> events = ReadEvents(reader);
  ASSERT_EQ(events.size(), 25u);
  for (int i = 0; i < 25; ++i) {
    EXPECT_EQ(events[i].SerializeAsString(), MakeEvent(i).SerializeAsString()) << i;
  }
  EXPECT_TRUE(reader.complete());
  EXPECT_FALSE(reader.cut());
  EXPECT_EQ(reader.end().reason(), "poweroff");
  EXPECT_EQ(reader.end().events(), 25u);
}

TEST(Trace, TruncatedAtEveryByteReadsAWholeChunkPrefix) {
  std::string full = ReadAll(WriteTrace("full.vmrr", 12, 4, true));
  std::string cut = Path("cut.vmrr");
  size_t header_end = 0;
  for (size_t len = 0; len <= full.size(); ++len) {
    WriteAll(cut, full.substr(0, len));
    try {
      TraceReader reader(cut);
      if (header_end == 0) header_end = len;
      std::vector<proto::Event> events = ReadEvents(reader);
      ASSERT_TRUE(events.size() % 4 == 0) << len;  // whole chunks only
      for (size_t i = 0; i < events.size(); ++i) {
        ASSERT_EQ(events[i].SerializeAsString(), MakeEvent(i).SerializeAsString());
      }
      ASSERT_EQ(reader.complete(), len == full.size()) << len;
      ASSERT_EQ(reader.cut(), len != full.size()) << len;
    } catch (const Error& e) {
      // Only a file cut before its header and boot regions ended may be refused.
      ASSERT_EQ(header_end, 0u) << "length " << len << ": " << e.what();
      ASSERT_EQ(e.kind(), ErrorKind::kInput);
    }
  }
  EXPECT_GT(header_end, 0u);
}

TEST(Trace, CorruptChunkIsAnError) {
  std::string full = ReadAll(WriteTrace("corrupt.vmrr", 12, 4, true));
  // Flip a byte in the middle: inside the second chunk's compressed events.
  std::string bad = full;
  size_t at = full.size() / 2;
  bad[at] = static_cast<char>(bad[at] ^ 0x55);
  WriteAll(Path("corrupt2.vmrr"), bad);
  try {
    TraceReader reader(Path("corrupt2.vmrr"));
    ReadEvents(reader);
    FAIL() << "corruption went unnoticed";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::kInput);
    EXPECT_NE(std::string(e.what()).find("corrupt"), std::string::npos) << e.what();
  }
}

TEST(Trace, LargeBootRegionsComeBackInPieces) {
  proto::TraceHeader header;
  header.set_arch("arm64");
  std::string big(TraceWriter::kBootPieceBytes * 2 + 5, 'k');
  big[TraceWriter::kBootPieceBytes] = 'x';
  header.mutable_boot()->set_region_records(TraceWriter::BootRecords(big.size()));
  std::string path = Path("big.vmrr");
  {
    TraceWriter writer(path, header);
    writer.WriteBootRegion(0x1000, reinterpret_cast<const uint8_t*>(big.data()), big.size());
  }
  TraceReader reader(path);
  ASSERT_EQ(reader.boot_regions().size(), 3u);
  std::string joined;
  for (size_t i = 0; i < reader.boot_regions().size(); ++i) {
    EXPECT_EQ(reader.boot_regions()[i].gpa, 0x1000 + joined.size());
    joined += reader.ReadBootRegion(i);
  }
  EXPECT_EQ(joined, big);
}

TEST(Trace, NewerVersionWrongArchAndNotATrace) {
  proto::TraceHeader header;
  header.set_arch("riscv64");
  std::string path = Path("v.vmrr");
  {
    TraceWriter writer(path, header);
  }
  EXPECT_THROW(TraceReader(path, "arm64"), Error);
  EXPECT_NO_THROW(TraceReader(path, "riscv64"));

  // Rewrite the version field: a header from the future.
  proto::TraceRecord record;
  record.mutable_header()->set_magic("vmrr-trace");
  record.mutable_header()->set_format_version(kTraceFormatVersion + 1);
  std::string body = record.SerializeAsString();
  WriteAll(path, std::string(1, '\x0a') + static_cast<char>(body.size()) + body);
  try {
    TraceReader reader(path);
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("upgrade vmrr"), std::string::npos) << e.what();
  }

  WriteAll(path, "#!/bin/sh\necho not a trace\n");
  EXPECT_THROW(TraceReader reader(path), Error);
  WriteAll(path, "");
  EXPECT_THROW(TraceReader reader(path), Error);
}

// The file format promise: plain protoc decodes a complete trace.
TEST(Trace, ProtocDecodesACompleteTrace) {
  std::string path = WriteTrace("protoc.vmrr", 5, 2, true);
  std::string out = Path("protoc.txt");
  std::string cmd = "protoc --proto_path=. --decode=vmrr.proto.TraceFile proto/trace.proto < " +
                    path + " > " + out + " 2>&1";
  ASSERT_EQ(std::system(cmd.c_str()), 0) << ReadAll(out);
  std::string text = ReadAll(out);
  EXPECT_NE(text.find("magic: \"vmrr-trace\""), std::string::npos) << text;
  EXPECT_NE(text.find("arch: \"arm64\""), std::string::npos) << text;
  EXPECT_NE(text.find("reason: \"poweroff\""), std::string::npos) << text;
  EXPECT_NE(text.find("event_count: 2"), std::string::npos) << text;
}

TEST(Trace, UnfinishedTraceIsCutNotComplete) {
  std::string path = WriteTrace("unfinished.vmrr", 9, 4, false);
  TraceReader reader(path);
  EXPECT_EQ(ReadEvents(reader).size(), 9u);
  EXPECT_TRUE(reader.cut());
}

TEST(Trace, SeeksToAnyEventForwardAndBack) {
  std::string path = WriteTrace("seek.vmrr", 57, 10, true);
  TraceReader reader(path);
  proto::Event e;
  // Before any chunk was read, then inside, across and at the end.
  for (uint64_t index : {30u, 0u, 56u, 9u, 10u, 11u, 57u, 42u, 1u}) {
    reader.Seek(index);
    if (index == 57) {
      EXPECT_FALSE(reader.Next(&e));
      EXPECT_TRUE(reader.complete());
      continue;
    }
    ASSERT_TRUE(reader.Next(&e)) << index;
    EXPECT_EQ(e.at().instructions(), 1000 * index);
    // And on from there to the end, in order.
    std::vector<proto::Event> rest = ReadEvents(reader);
    ASSERT_EQ(rest.size(), 56 - index) << index;
    if (!rest.empty()) {
      EXPECT_EQ(rest.back().at().instructions(), 56000u);
    }
    EXPECT_NE(reader.End(), nullptr);
  }
}

TEST(Trace, ANonRegularFileIsRefused) {
  try {
    TraceReader reader("/dev/zero");
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("not a regular file"), std::string::npos) << e.what();
  }
}

TEST(Trace, AMissingBootRegionIsCorruptionNotACompleteTrace) {
  proto::TraceHeader header;
  header.set_arch("arm64");
  std::string boot = BootBytes();
  header.mutable_boot()->set_region_records(2);  // one more than written
  std::string path = Path("missing-region.vmrr");
  {
    TraceWriter writer(path, header);
    writer.WriteBootRegion(0x80000000, reinterpret_cast<const uint8_t*>(boot.data()), boot.size());
    writer.Append(MakeEvent(1));
    proto::TraceEnd end;
    end.set_reason("poweroff");
    writer.Finish(end);
  }
  try {
    TraceReader reader(path);
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("is corrupt at byte"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("boot regions"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace vmrr
