// trace_edit: rewrites a trace with deliberate changes, for rig tests that
// check replay notices them (tests/rig/record_replay.sh).
//   trace_edit move-interrupt IN OUT   the first asynchronous interrupt
//                                      raised after event 10 moves one
//                                      instruction later; prints its index
//   trace_edit bad-values IN DIR       one trace per row of issue 20's table
//                                      (a header or event value out of its
//                                      range, a boot region missing, a record
//                                      length changed to 2^32), DIR/ROW.vmrr;
//                                      prints the rows' names
#include <cstdio>
#include <fstream>
#include <functional>
#include <iterator>
#include <string>
#include <vector>

#include "base/error.h"
#include "replay/trace_reader.h"
#include "replay/trace_writer.h"

namespace vmrr {
namespace {

struct Edit {
  std::function<void(proto::TraceHeader&)> header = [](proto::TraceHeader&) {};
  // Whether the boot region starting at this address is copied.
  std::function<bool(uint64_t gpa)> keep_region = [](uint64_t) { return true; };
  // Changes event `index`; returns whether it did.
  std::function<bool(long index, proto::Event&)> event = [](long, proto::Event&) { return false; };
};

// Copies IN to OUT through `edit`; returns the index of the first event it
// changed, or -1.
long Rewrite(const std::string& in, const std::string& out, const Edit& edit) {
  TraceReader reader(in);
  proto::TraceHeader header = reader.header();
  edit.header(header);
  TraceWriter writer(out, header);
  for (size_t i = 0; i < reader.boot_regions().size(); ++i) {
    if (!edit.keep_region(reader.boot_regions()[i].gpa)) continue;
    std::string data = reader.ReadBootRegion(i);
    writer.WriteBootRegion(reader.boot_regions()[i].gpa,
                           reinterpret_cast<const uint8_t*>(data.data()), data.size());
  }
  proto::Event event;
  long edited = -1;
  for (long i = 0; reader.Next(&event); ++i) {
    if (edit.event(i, event) && edited < 0) edited = i;
    writer.Append(event);
  }
  if (!reader.complete()) throw Error(ErrorKind::kInput, in + " is not a complete trace");
  writer.Finish(reader.end());
  return edited;
}

int MoveInterrupt(const std::string& in, const std::string& out) {
  Edit edit;
  bool moved = false;
  edit.event = [&moved](long i, proto::Event& event) {
    if (moved || i <= 10 || !event.asynchronous() || !event.has_interrupt() ||
        !event.interrupt().level()) {
      return false;
    }
    event.mutable_at()->set_instructions(event.at().instructions() + 1);
    return moved = true;
  };
  long edited = Rewrite(in, out, edit);
  if (edited < 0) throw Error(ErrorKind::kInput, in + " has no asynchronous interrupt to move");
  std::printf("%ld\n", edited);
  return 0;
}

std::string ReadFile(const std::string& path) {
  std::ifstream file(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(file), {}};
}

// The length of the file's third record after the header and boot regions
// (an event chunk, not the last one), changed to 2^32; the rest unchanged.
void HugeRecordLength(const std::string& in, const std::string& out) {
  std::string file = ReadFile(in);
  std::vector<size_t> records;  // each record: 0x0a, its length as a varint, its body
  for (size_t at = 0; at < file.size();) {
    records.push_back(at);
    size_t p = at + 1;
    uint64_t len = 0;
    for (int shift = 0; p < file.size() && shift < 64; shift += 7) {
      auto byte = static_cast<uint8_t>(file[p++]);
      len |= static_cast<uint64_t>(byte & 0x7f) << shift;
      if (!(byte & 0x80)) break;
    }
    at = p + len;
  }
  TraceReader reader(in);
  size_t first_chunk = 1 + reader.header().boot().region_records();
  if (records.size() < first_chunk + 3) {
    throw Error(ErrorKind::kInput, in + " has fewer than 3 event chunks");
  }
  size_t at = records[first_chunk + 1];
  size_t body = at + 1;
  while (static_cast<uint8_t>(file[body]) & 0x80) ++body;
  ++body;
  std::string edited = file.substr(0, at + 1);
  for (uint64_t v = uint64_t{1} << 32; v != 0; v >>= 7) {
    edited.push_back(static_cast<char>((v & 0x7f) | (v >= 0x80 ? 0x80 : 0)));
  }
  edited += file.substr(body);
  std::ofstream(out, std::ios::binary | std::ios::trunc) << edited;
}

int BadValues(const std::string& in, const std::string& dir) {
  const uint64_t dtb = TraceReader(in).header().boot().dtb();
  auto interrupt = [](auto change) {
    return [change, done = false](long, proto::Event& event) mutable {
      if (done || !event.has_interrupt()) return false;
      change(*event.mutable_interrupt());
      return done = true;
    };
  };
  struct Row {
    const char* name;
    Edit edit;
  };
  std::vector<Row> rows;
  auto header_row = [&rows](const char* name, std::function<void(proto::VmConfig&)> change) {
    Edit edit;
    edit.header = [change](proto::TraceHeader& h) { change(*h.mutable_vm()); };
    rows.push_back({name, edit});
  };
  header_row("mem-zero", [](proto::VmConfig& vm) { vm.set_mem_bytes(0); });
  header_row("mem-1tib", [](proto::VmConfig& vm) { vm.set_mem_bytes(uint64_t{1} << 40); });
  header_row("mem-unaligned", [](proto::VmConfig& vm) { vm.set_mem_bytes(vm.mem_bytes() + 4095); });
  header_row("cpus-zero", [](proto::VmConfig& vm) { vm.set_cpus(0); });
  header_row("cpus-four", [](proto::VmConfig& vm) { vm.set_cpus(4); });
  Edit line;
  line.event = interrupt([](proto::InterruptLine& irq) { irq.set_line(0xffffffff); });
  rows.push_back({"line-ffffffff", line});
  Edit timer;
  timer.event = interrupt([](proto::InterruptLine& irq) { irq.set_line(0x10000 + 50); });
  rows.push_back({"timer-line-50", timer});
  Edit no_dtb;
  no_dtb.keep_region = [dtb](uint64_t gpa) { return gpa != dtb; };
  rows.push_back({"no-dtb-region", no_dtb});
  for (const Row& row : rows) {
    Rewrite(in, dir + "/" + row.name + ".vmrr", row.edit);
    std::printf("%s\n", row.name);
  }
  HugeRecordLength(in, dir + "/record-length-2p32.vmrr");
  std::printf("record-length-2p32\n");
  return 0;
}

}  // namespace
}  // namespace vmrr

int main(int argc, char** argv) {
  try {
    if (argc == 4 && std::string(argv[1]) == "move-interrupt") {
      return vmrr::MoveInterrupt(argv[2], argv[3]);
    }
    if (argc == 4 && std::string(argv[1]) == "bad-values") {
      return vmrr::BadValues(argv[2], argv[3]);
    }
    std::fprintf(stderr, "usage: trace_edit move-interrupt IN OUT | bad-values IN DIR\n");
    return 2;
  } catch (const vmrr::Error& e) {
    std::fprintf(stderr, "trace_edit: %s\n", e.what());
    return 2;
  }
}
