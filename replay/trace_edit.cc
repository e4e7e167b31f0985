// trace_edit: rewrites a trace with one deliberate change, for tests that
// check replay notices it (tests/rig/record_replay.sh).
//   trace_edit move-interrupt IN OUT   the first asynchronous interrupt
//                                      raised after event 10 moves one
//                                      instruction later
// Prints the index of the edited event.
#include <cstdio>
#include <string>

#include "base/error.h"
#include "replay/trace_reader.h"
#include "replay/trace_writer.h"

namespace vmrr {
namespace {

int MoveInterrupt(const std::string& in, const std::string& out) {
  TraceReader reader(in);
  TraceWriter writer(out, reader.header());
  for (size_t i = 0; i < reader.boot_regions().size(); ++i) {
    std::string data = reader.ReadBootRegion(i);
    writer.WriteBootRegion(reader.boot_regions()[i].gpa,
                           reinterpret_cast<const uint8_t*>(data.data()), data.size());
  }
  proto::Event event;
  long edited = -1;
  for (long i = 0; reader.Next(&event); ++i) {
    if (edited < 0 && i > 10 && event.asynchronous() && event.has_interrupt() &&
        event.interrupt().level()) {
      event.mutable_at()->set_instructions(event.at().instructions() + 1);
      edited = i;
    }
    writer.Append(event);
  }
  if (!reader.complete()) throw Error(ErrorKind::kInput, in + " is not a complete trace");
  if (edited < 0) throw Error(ErrorKind::kInput, in + " has no asynchronous interrupt to move");
  writer.Finish(reader.end());
  std::printf("%ld\n", edited);
  return 0;
}

}  // namespace
}  // namespace vmrr

int main(int argc, char** argv) {
  try {
    if (argc == 4 && std::string(argv[1]) == "move-interrupt") {
      return vmrr::MoveInterrupt(argv[2], argv[3]);
    }
    std::fprintf(stderr, "usage: trace_edit move-interrupt IN OUT\n");
    return 2;
  } catch (const vmrr::Error& e) {
    std::fprintf(stderr, "trace_edit: %s\n", e.what());
    return 2;
  }
}
