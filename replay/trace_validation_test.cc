#include "replay/trace_validation.h"

#include <gtest/gtest.h>

#include <fstream>
#include <functional>
#include <optional>
#include <sstream>

#include "base/error.h"
#include "replay/trace_writer.h"

namespace vmrr {
namespace {

constexpr uint64_t kRam = 0x80000000;
constexpr uint64_t kMidr = 0x603000000013c000;     // ARM64_SYS_REG(3, 0, 0, 0, 0)
constexpr uint64_t kSctlr = 0x603000000013c080;    // ARM64_SYS_REG(3, 0, 1, 0, 0): not an ID
constexpr uint64_t kStdBmap = 0x6030000000160000;  // KVM_REG_ARM_STD_BMAP
constexpr uint64_t kMvendorid = 0x8030000001000002;
constexpr uint64_t kRiscvIsa = 0x8030000001000000;

struct Region {
  uint64_t gpa;
  size_t bytes;
};

// A trace as the tests edit it: a valid arm64 one to start from.
struct Trace {
  proto::TraceHeader header;
  std::vector<Region> regions = {{kRam, 4096}, {kRam + (1 << 30) - (2 << 20), 4096}};
  std::vector<proto::Event> events;
  std::optional<proto::TraceEnd> end = proto::TraceEnd();
  bool count_regions = true;  // region_records = regions.size()
  std::optional<uint32_t> format_version;

  Trace() {
    header.set_arch("arm64");
    header.set_vmrr_version("0.1.0");
    header.set_counter_event("cpu-cycles");
    header.mutable_vm()->set_mem_bytes(1 << 30);
    header.mutable_vm()->set_cpus(1);
    header.mutable_vm()->set_kernel_sha256(std::string(32, 'k'));
    header.mutable_boot()->set_entry(kRam);
    header.mutable_boot()->set_dtb(kRam + (1 << 30) - (2 << 20));
    proto::GuestTime* t = header.mutable_time();
    t->set_owned_by_vmm(true);
    t->set_base_ticks(12345);
    t->set_instructions_per_tick(16);
    t->set_timebase_hz(62500000);
    t->set_mechanism("KVM_CAP_ARM_USER_TIME");
    for (auto [name, id] : {std::pair<const char*, uint64_t>{"MIDR_EL1", kMidr},
                            {"KVM_REG_ARM_STD_BMAP", kStdBmap}}) {
      proto::CpuRegister* r = header.add_cpu_registers();
      r->set_name(name);
      r->set_id(id);
    }
    end->set_reason("poweroff");
  }
  void Riscv64() {
    header.set_arch("riscv64");
    header.clear_cpu_registers();
    proto::CpuRegister* r = header.add_cpu_registers();
    r->set_name("mvendorid");
    r->set_id(kMvendorid);
  }
  proto::Event& Add() {
    events.emplace_back();
    events.back().mutable_at()->set_instructions(100 * events.size());
    return events.back();
  }
};

std::string ReadAll(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

void AppendVarint(std::string& out, uint64_t v) {
  while (v >= 0x80) {
    out.push_back(static_cast<char>(v | 0x80));
    v >>= 7;
  }
  out.push_back(static_cast<char>(v));
}

std::string Write(Trace trace) {
  std::string path = ::testing::TempDir() + "/validation.vmrr";
  if (trace.count_regions) {
    trace.header.mutable_boot()->set_region_records(static_cast<uint32_t>(trace.regions.size()));
  }
  {
    TraceWriter writer(path, trace.header);
    for (const Region& r : trace.regions) {
      std::string bytes(r.bytes, 'r');
      writer.WriteBootRegion(r.gpa, reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size());
    }
    for (const proto::Event& e : trace.events) writer.Append(e);
    if (trace.end) {
      writer.Finish(*trace.end);
    } else {
      writer.Flush();
    }
  }
  if (trace.format_version) {
    // The writer sets its own version: put the header back with another.
    std::string file = ReadAll(path);
    size_t len_bytes = 1;
    uint64_t len = 0;
    for (int shift = 0;; shift += 7, ++len_bytes) {
      auto b = static_cast<uint8_t>(file[len_bytes]);
      len |= static_cast<uint64_t>(b & 0x7f) << shift;
      if (!(b & 0x80)) break;
    }
    proto::TraceRecord record;
    record.mutable_header()->CopyFrom(trace.header);
    record.mutable_header()->set_magic(kTraceMagic);
    record.mutable_header()->set_format_version(*trace.format_version);
    std::string body = record.SerializeAsString();
    std::string out = "\x0a";
    AppendVarint(out, body.size());
    out += body + file.substr(1 + len_bytes + len);
    std::ofstream(path, std::ios::binary | std::ios::trunc) << out;
  }
  return path;
}

// Validates the trace and reads its events as replay does: "" or the
// error's line (whose kind must be `kind`).
std::string Check(const Trace& trace, const HostLimits& host = {},
                  ErrorKind kind = ErrorKind::kInput) {
  try {
    TraceReader reader(Write(trace));
    ValidateTrace(reader, host);
    ValidatedEvents events(reader);
    proto::Event e;
    while (events.Next(&e)) {
    }
    return "";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), kind) << e.what();
    return e.what();
  }
}

#define EXPECT_HAS(text, part) EXPECT_NE((text).find(part), std::string::npos) << (text)

struct Case {
  const char* name;
  std::function<void(Trace&)> edit;
  const char* error;
};

void ExpectAll(const std::vector<Case>& cases) {
  for (const Case& c : cases) {
    Trace trace;
    c.edit(trace);
    std::string error = Check(trace);
    EXPECT_HAS(error, c.error) << c.name;
    EXPECT_EQ(error.find('\n'), std::string::npos) << c.name;
  }
}

TEST(TraceValidation, AValidTraceOfEitherArchPasses) {
  Trace trace;
  trace.Add().mutable_interrupt()->set_line(63);
  trace.Add().mutable_interrupt()->set_line(0x10001);
  trace.Add().mutable_mmio_read()->set_gpa(0x09000000);
  trace.events.back().mutable_mmio_read()->set_len(4);
  EXPECT_EQ(Check(trace), "");
  trace.end.reset();  // cut
  EXPECT_EQ(Check(trace), "");
  Trace riscv;
  riscv.Riscv64();
  riscv.Add().mutable_interrupt()->set_line(0);
  riscv.Add().mutable_interrupt()->set_line(0x10000);
  EXPECT_EQ(Check(riscv), "");
}

// The rows of the table in issue 20 that the header decides.
TEST(TraceValidation, Issue20HeaderRows) {
  ExpectAll({
      {"mem_bytes 0", [](Trace& t) { t.header.mutable_vm()->set_mem_bytes(0); },
       "is corrupt: vm.mem_bytes = 0 (vmrr records 64 MiB to 64 GiB in multiples of 2 MiB)"},
      {"mem_bytes 1 TiB", [](Trace& t) { t.header.mutable_vm()->set_mem_bytes(1ull << 40); },
       "is corrupt: vm.mem_bytes = 1099511627776 (vmrr records 64 MiB to 64 GiB"},
      {"mem_bytes not a page multiple",
       [](Trace& t) { t.header.mutable_vm()->set_mem_bytes((1 << 30) + 4095); },
       "is corrupt: vm.mem_bytes = 1073745919 ("},
      {"cpus 0", [](Trace& t) { t.header.mutable_vm()->set_cpus(0); },
       "is corrupt: vm.cpus = 0 (vmrr runs 1 vCPU)"},
      {"cpus 4", [](Trace& t) { t.header.mutable_vm()->set_cpus(4); },
       "is corrupt: vm.cpus = 4 (vmrr runs 1 vCPU)"},
      {"the device tree's region removed, count kept",
       [](Trace& t) {
         t.regions.pop_back();
         t.count_regions = false;
         t.header.mutable_boot()->set_region_records(2);
       },
       "the header names 2 boot regions; 1 come before the events"},
      {"the device tree's region removed, count fixed", [](Trace& t) { t.regions.pop_back(); },
       "is corrupt: boot.dtb = 0xbfe00000 (the 8-byte aligned start of a boot region)"},
  });
}

TEST(TraceValidation, MoreRamThanTheHostHasIsUnsupported) {
  Trace trace;
  trace.header.mutable_vm()->set_mem_bytes(32ull << 30);
  trace.regions[1].gpa = kRam + (32ull << 30) - (2 << 20);
  trace.header.mutable_boot()->set_dtb(trace.regions[1].gpa);
  EXPECT_HAS(Check(trace, HostLimits{8ull << 30}, ErrorKind::kUnsupported),
             "needs 32 GiB of guest RAM; this host can give 8 GiB");
  EXPECT_EQ(Check(trace), "");
}

// The rows of the table that events decide: the lines a machine has.
TEST(TraceValidation, Issue20InterruptLineRows) {
  ExpectAll({
      {"line 0xffffffff", [](Trace& t) { t.Add().mutable_interrupt()->set_line(0xffffffff); },
       "is corrupt: event 0 (interrupt line 4294967295 lowered): interrupt line 0xffffffff, "
       "which the arm64 machine does not have (SPIs 0-63 and timer lines 0x10000-0x10001)"},
      {"timer line 50",
       [](Trace& t) {
         t.Add().mutable_interrupt()->set_line(5);
         t.Add().mutable_interrupt()->set_line(0x10000 + 50);
         t.events.back().mutable_interrupt()->set_level(true);
       },
       "is corrupt: event 1 (interrupt line 65586 raised): interrupt line 0x10032"},
      {"SPI 64", [](Trace& t) { t.Add().mutable_interrupt()->set_line(64); },
       "interrupt line 0x40, which the arm64 machine"},
      {"riscv64 hart 1's line",
       [](Trace& t) {
         t.Riscv64();
         t.Add().mutable_interrupt()->set_line(1);
       },
       "which the riscv64 machine does not have (external lines 0-0 and timer lines 0x10000)"},
      {"riscv64 timer 1",
       [](Trace& t) {
         t.Riscv64();
         t.Add().mutable_interrupt()->set_line(0x10001);
       },
       "interrupt line 0x10001, which the riscv64 machine"},
  });
}

TEST(TraceValidation, EveryHeaderField) {
  ExpectAll({
      {"format_version 0", [](Trace& t) { t.format_version = 0; },
       "is corrupt: format_version = 0 (must be 1 to 2)"},
      {"vmrr_version", [](Trace& t) { t.header.set_vmrr_version(std::string(5000, 'v')); },
       "vmrr_version = 5000 bytes (at most 4096)"},
      {"arch", [](Trace& t) { t.header.set_arch("x86_64"); },
       "is corrupt: arch = \"x86_64\" (arm64 or riscv64)"},
      {"arch escaped", [](Trace& t) { t.header.set_arch("\x1b[2J\n"); },
       "arch = \"\\e[2J\\n\" (arm64 or riscv64)"},
      {"mem_bytes small", [](Trace& t) { t.header.mutable_vm()->set_mem_bytes(32 << 20); },
       "vm.mem_bytes = 33554432"},
      {"mem_bytes 1 MiB over", [](Trace& t) { t.header.mutable_vm()->set_mem_bytes(65 << 20); },
       "vm.mem_bytes = 68157440"},
      {"append", [](Trace& t) { t.header.mutable_vm()->set_append(std::string(5000, 'a')); },
       "vm.append = 5000 bytes"},
      {"cmdline", [](Trace& t) { t.header.mutable_vm()->set_cmdline(std::string(4097, 'c')); },
       "vm.cmdline = 4097 bytes (at most 4096)"},
      {"kernel_sha256", [](Trace& t) { t.header.mutable_vm()->set_kernel_sha256("short"); },
       "vm.kernel_sha256 = 5 bytes (a SHA-256: 0 or 32 bytes)"},
      {"initrd_sha256", [](Trace& t) { t.header.mutable_vm()->set_initrd_sha256("x"); },
       "vm.initrd_sha256 = 1 bytes"},
      {"disk_sha256", [](Trace& t) { t.header.mutable_vm()->set_disk_sha256("xy"); },
       "vm.disk_sha256 = 2 bytes"},
      {"counter_event", [](Trace& t) { t.header.set_counter_event("branches"); },
       "counter_event = \"branches\" (instructions or cpu-cycles)"},
      {"warnings",
       [](Trace& t) {
         for (int i = 0; i < 65; ++i) t.header.add_warnings("w");
       },
       "warnings = 65 lines (at most 64)"},
      {"a warning", [](Trace& t) { t.header.add_warnings(std::string(4097, 'w')); },
       "warnings = 4097 bytes"},
      {"instructions_per_tick",
       [](Trace& t) { t.header.mutable_time()->set_instructions_per_tick(0); },
       "time.instructions_per_tick = 0 (must be 1 to 4294967296)"},
      {"timebase_hz", [](Trace& t) { t.header.mutable_time()->set_timebase_hz(0); },
       "time.timebase_hz = 0 (must be 1 to 17179869184)"},
      {"base_ticks", [](Trace& t) { t.header.mutable_time()->set_base_ticks(1ull << 63); },
       "time.base_ticks = 9223372036854775808"},
      {"mechanism", [](Trace& t) { t.header.mutable_time()->clear_mechanism(); },
       "time.mechanism = \"\""},
      {"cpu_registers",
       [](Trace& t) {
         for (int i = 0; i < 65; ++i) t.header.add_cpu_registers()->set_name("r");
       },
       "cpu_registers = 67 registers (at most 64)"},
      {"a register that is not an ID register",
       [](Trace& t) { t.header.mutable_cpu_registers(1)->set_id(kSctlr); },
       "cpu_registers[1].id = 0x603000000013c080 (KVM_REG_ARM_STD_BMAP) (an identification "
       "register of arm64)"},
      {"riscv64 isa",
       [](Trace& t) {
         t.Riscv64();
         t.header.mutable_cpu_registers(0)->set_id(kRiscvIsa);
       },
       "cpu_registers[0].id = 0x8030000001000000 (mvendorid) (an identification register of "
       "riscv64)"},
      {"an arm64 register on riscv64",
       [](Trace& t) {
         t.Riscv64();
         t.header.mutable_cpu_registers(0)->set_id(kMidr);
       },
       "cpu_registers[0].id = 0x603000000013c000"},
      {"a register twice", [](Trace& t) { t.header.mutable_cpu_registers(1)->set_id(kMidr); },
       "cpu_registers[1].id = 0x603000000013c000 (KVM_REG_ARM_STD_BMAP) (named once)"},
      {"a register without a name",
       [](Trace& t) { t.header.mutable_cpu_registers(0)->clear_name(); },
       "cpu_registers[0].name = \"\""},
  });
}

TEST(TraceValidation, BootRegionsAndEntry) {
  ExpectAll({
      {"no boot regions", [](Trace& t) { t.regions.clear(); },
       "boot.region_records = 0 (must be 1 to 65536)"},
      {"a region below RAM", [](Trace& t) { t.regions.push_back({0x1000, 100}); },
       "boot region 2 = 0x1000 + 100 (guest RAM is 0x80000000 to 0xc0000000)"},
      {"a region across RAM's end",
       [](Trace& t) { t.regions.push_back({kRam + (1 << 30) - 100, 200}); },
       "boot region 2 = 0xbfffff9c + 200"},
      {"overlapping regions", [](Trace& t) { t.regions.push_back({kRam + 4000, 100}); },
       "boot regions = 0x80000fa0 (no two overlap)"},
      {"entry outside", [](Trace& t) { t.header.mutable_boot()->set_entry(kRam + 8192); },
       "boot.entry = 0x80002000 (inside a boot region)"},
      {"dtb unaligned",
       [](Trace& t) {
         t.regions[1].gpa += 4;
         t.header.mutable_boot()->set_dtb(t.regions[1].gpa);
       },
       "boot.dtb = 0xbfe00004"},
      {"end reason", [](Trace& t) { t.end->set_reason("exploded"); },
       "end.reason = \"exploded\" (poweroff, reset, crash"},
      {"end detail", [](Trace& t) { t.end->set_detail(std::string(5000, 'd')); },
       "end.detail = 5000 bytes"},
  });
}

TEST(TraceValidation, EveryEventField) {
  auto digest = [](Trace& t, std::vector<uint64_t> gaps, uint64_t pages) {
    proto::MemoryDigest* d = t.Add().mutable_memory_digest();
    for (uint64_t g : gaps) d->add_page_gaps(g);
    d->set_pages(pages);
  };
  ExpectAll({
      {"no kind", [](Trace& t) { t.Add(); },
       "event 0 (an event of unknown kind): an event of no known kind"},
      {"MMIO length",
       [](Trace& t) {
         t.Add().mutable_mmio_read()->set_len(3);
         t.events.back().mutable_mmio_read()->set_gpa(0x09000000);
       },
       "an MMIO read of 3 bytes (1, 2, 4 or 8)"},
      {"MMIO in RAM",
       [](Trace& t) {
         t.Add().mutable_mmio_read()->set_len(4);
         t.events.back().mutable_mmio_read()->set_gpa(kRam + 16);
       },
       "an MMIO read inside guest RAM, at 0x80000010"},
      {"write of nothing", [](Trace& t) { t.Add().mutable_memory_write()->set_gpa(kRam); },
       "a memory write of no bytes"},
      {"write outside RAM",
       [](Trace& t) {
         t.Add().mutable_memory_write()->set_gpa(kRam + (1 << 30) - 2);
         t.events.back().mutable_memory_write()->set_data("abcd");
       },
       "a memory write of 4 bytes outside guest RAM, at 0xbffffffe"},
      {"write with the data of a later event",
       [](Trace& t) {
         t.Add().mutable_memory_write()->set_gpa(kRam);
         t.events.back().mutable_memory_write()->set_same_data_as(1);
       },
       "the data of event 0, which is not an earlier one"},
      {"write with data and a reference",
       [](Trace& t) {
         t.Add().mutable_console_input()->set_data("x");
         t.Add().mutable_memory_write()->set_gpa(kRam);
         t.events.back().mutable_memory_write()->set_same_data_as(1);
         t.events.back().mutable_memory_write()->set_data("y");
       },
       "event 1 (device write to guest memory at 0x80000000): a memory write with data and a "
       "reference"},
      {"console input of nothing", [](Trace& t) { t.Add().mutable_console_input(); },
       "console input of no bytes"},
      {"hypercall values",
       [](Trace& t) {
         proto::HypercallResult* h = t.Add().mutable_hypercall();
         for (int i = 0; i < 9; ++i) h->add_values(i);
       },
       "a hypercall result of 9 values (at most 8)"},
      {"digest count", [&](Trace& t) { digest(t, {1, 1}, 3); },
       "a memory digest of 3 pages listing 2"},
      {"digest order", [&](Trace& t) { digest(t, {5, 0}, 2); },
       "a memory digest whose page list is not ascending pages of guest RAM"},
      {"digest beyond RAM", [&](Trace& t) { digest(t, {262143, 1}, 2); },
       "not ascending pages of guest RAM"},
      {"old digest beyond RAM", [&](Trace& t) { digest(t, {}, 262145); },
       "a memory digest of more pages than RAM has"},
      {"idle without owned time",
       [](Trace& t) {
         t.header.clear_time();
         t.Add().mutable_idle()->set_ticks(5);
       },
       "an idle event in a trace whose time vmrr did not own"},
      {"idle ticks", [](Trace& t) { t.Add().mutable_idle()->set_ticks(~0ull); },
       "an idle of more than 2^62 ticks"},
      {"counter", [](Trace& t) { t.Add().mutable_clock_read()->set_counter(3); },
       "a read of counter 3 (0 time, 1 cycles, 2 instructions)"},
      {"counter read without owned time",
       [](Trace& t) {
         t.header.clear_time();
         t.Add().mutable_clock_read();
       },
       "a counter read in a trace whose time vmrr did not own"},
  });
}

TEST(TraceValidation, EventNumbersFollowSeeks) {
  Trace trace;
  for (int i = 0; i < 30; ++i) trace.Add().mutable_interrupt()->set_line(i == 25 ? 99 : 1);
  TraceReader reader(Write(trace));
  ValidatedEvents events(reader);
  events.Seek(20);
  proto::Event e;
  for (int i = 20; i < 25; ++i) ASSERT_TRUE(events.Next(&e));
  try {
    events.Next(&e);
    FAIL();
  } catch (const Error& error) {
    EXPECT_HAS(std::string(error.what()), "is corrupt: event 25 (interrupt line 99 lowered)");
  }
}

TEST(TraceValidation, AKvmErrorAfterValidationIsAVmrrBugNamingTheEvent) {
  proto::Event event;
  event.mutable_interrupt()->set_line(3);
  event.mutable_interrupt()->set_level(true);
  Error e = VmrrBugInReplay("t.vmrr", 17, &event, "KVM_IRQ_LINE: Invalid argument");
  EXPECT_EQ(e.kind(), ErrorKind::kInternal);
  EXPECT_EQ(std::string(e.what()),
            "vmrr bug: KVM_IRQ_LINE: Invalid argument, replaying event 17 (interrupt line 3 "
            "raised) of t.vmrr, a trace that passed validation; please report it with the trace");
  EXPECT_EQ(ExitCodeFor(e.kind()), 1);
}

}  // namespace
}  // namespace vmrr
