#include "replay/trace_inspection.h"

#include <google/protobuf/util/json_util.h>
#include <sys/stat.h>

#include <map>
#include <sstream>

#include "base/error.h"
#include "base/printable.h"
#include "replay/trace_reader.h"
#include "replay/trace_validation.h"

namespace vmrr {

namespace {

std::string KindName(const proto::Event& event) {
  const auto* field = proto::Event::descriptor()->FindFieldByNumber(event.kind_case());
  return field == nullptr ? "none" : field->name();
}

}  // namespace

proto::TraceInspection InspectTrace(const std::string& path) {
  proto::TraceInspection out;
  out.set_path(path);
  struct stat st{};
  if (stat(path.c_str(), &st) == 0) out.set_file_bytes(st.st_size);
  TraceReader reader(path);
  // What replay would refuse as corrupt is not a complete trace here either.
  ValidateTrace(reader);
  ValidatedEvents events(reader);
  *out.mutable_header() = reader.header();
  std::map<std::string, proto::EventKindStats> kinds;
  std::map<uint64_t, uint64_t> per_second;
  proto::Event event;
  while (events.Next(&event)) {
    if (out.events() == 0) out.set_first_instruction(event.at().instructions());
    out.set_last_instruction(event.at().instructions());
    out.set_events(out.events() + 1);
    proto::EventKindStats& k = kinds[KindName(event)];
    k.set_count(k.count() + 1);
    k.set_bytes(k.bytes() + event.ByteSizeLong());
    ++per_second[reader.event_host_ms() / 1000];
    out.set_host_ms(reader.event_host_ms());
  }
  out.set_complete(reader.complete());
  if (reader.complete()) out.set_end_reason(reader.end().reason());
  for (auto& [name, stats] : kinds) {
    stats.set_kind(name);
    *out.add_kinds() = stats;
  }
  for (const auto& [second, events] : per_second) {
    proto::SecondStats* s = out.add_timeline();
    s->set_second(second);
    s->set_events(events);
  }
  return out;
}

static std::string HexBytes(const std::string& bytes) {
  static const char kHex[] = "0123456789abcdef";
  std::string out;
  for (char c : bytes) {
    out.push_back(kHex[(static_cast<uint8_t>(c) >> 4) & 15]);
    out.push_back(kHex[static_cast<uint8_t>(c) & 15]);
  }
  return out.empty() ? "-" : out;
}

std::string RenderInspectionHuman(const proto::TraceInspection& t) {
  std::ostringstream out;
  const proto::TraceHeader& h = t.header();
  out << Printable(t.path()) << ": vmrr trace format " << h.format_version() << ", "
      << Printable(h.arch()) << ", recorded by vmrr " << Printable(h.vmrr_version()) << ", "
      << t.file_bytes() << " bytes\n";
  out << "  vm          " << (h.vm().mem_bytes() >> 20) << " MiB, " << h.vm().cpus() << " vCPU, "
      << (h.vm().cmdline().empty() ? "append \"" + Printable(h.vm().append())
                                   : "cmdline \"" + Printable(h.vm().cmdline()))
      << "\", seed " << h.vm().seed() << "\n";
  if (!h.host().chosen_event().empty()) {
    out << "  host        " << Printable(h.host().kernel()) << ", counter "
        << Printable(h.host().chosen_event()) << "\n";
  }
  if (h.has_boot()) {
    out << "  boot        entry " << std::hex << "0x" << h.boot().entry() << ", device tree 0x"
        << h.boot().dtb() << std::dec << ", " << h.boot().region_records()
        << " memory records, kernel sha256 " << HexBytes(h.vm().kernel_sha256()) << "\n";
  }
  out << "  mode        " << (h.best_effort() ? "best-effort" : "deterministic") << "\n";
  for (const std::string& w : h.warnings()) out << "    " << Printable(w) << "\n";
  out << "  ending      "
      << (t.complete() ? "complete: " + Printable(t.end_reason())
                       : std::string("cut (no end record)"))
      << "\n";
  out << "  events      " << t.events() << " from instruction " << t.first_instruction() << " to "
      << t.last_instruction() << " over " << t.host_ms() / 1000.0 << " s of host time\n";
  for (const auto& k : t.kinds()) {
    out << "    " << Printable(k.kind()) << ": " << k.count() << " events, " << k.bytes()
        << " bytes\n";
  }
  out << "  timeline    (host second: events)";
  for (const auto& s : t.timeline()) out << " " << s.second() << ":" << s.events();
  out << "\n";
  return out.str();
}

std::string RenderInspectionJson(const proto::TraceInspection& inspection) {
  std::string json;
  google::protobuf::util::JsonPrintOptions options;
  options.add_whitespace = true;
  options.always_print_primitive_fields = true;
  options.preserve_proto_field_names = true;
  auto status = google::protobuf::util::MessageToJsonString(inspection, &json, options);
  if (!status.ok()) throw Error(ErrorKind::kInternal, "JSON encoding: " + status.ToString());
  return json;
}

std::string RenderEvents(const std::string& path, uint64_t first, uint64_t last) {
  TraceReader reader(path);
  std::ostringstream out;
  proto::Event event;
  for (uint64_t index = 0; index <= last && reader.Next(&event); ++index) {
    if (index < first) continue;
    if (event.has_memory_write() && event.memory_write().data().size() > 16) {
      size_t bytes = event.memory_write().data().size();
      event.mutable_memory_write()->mutable_data()->resize(16);
      event.mutable_memory_write()->mutable_data()->append("... (" + std::to_string(bytes) +
                                                           " bytes)");
    }
    proto::Event kind = event;
    kind.clear_at();
    kind.clear_asynchronous();
    char head[128];
    std::snprintf(head, sizeof(head), "%llu at #%llu pc=%#llx regs=%016llx%s ",
                  static_cast<unsigned long long>(index),
                  static_cast<unsigned long long>(event.at().instructions()),
                  static_cast<unsigned long long>(event.at().pc()),
                  static_cast<unsigned long long>(event.at().regs_digest()),
                  event.asynchronous() ? " async" : "");
    out << head << kind.ShortDebugString() << "\n";
  }
  return out.str();
}

}  // namespace vmrr
