#include "replay/trace_validation.h"

#include <algorithm>
#include <cstdio>
#include <set>

#include "base/error.h"
#include "base/printable.h"
#include "replay/replayer.h"
#include "replay/trace_writer.h"

namespace vmrr {

namespace {

constexpr ArchFacts kArches[] = {
    // arm64: SPIs 0-63 of the vGIC; timers: 2n virtual, 2n + 1 physical.
    {"arm64", 0x80000000, 64, false, 2},
    // riscv64: line n is hart n's external interrupt (the PLIC is in the VMM).
    {"riscv64", 0x80000000, 1, true, 1},
};

constexpr const char* kCounterEvents[] = {"instructions", "cpu-cycles"};
constexpr const char* kEndReasons[] = {"poweroff", "reset",       "crash",
                                       "timeout",  "interrupted", "max-instructions"};

// arm64 identification registers (op0 3, CRn 0) and the firmware service
// bitmaps; riscv64 mvendorid, marchid, mimpid (struct kvm_riscv_config).
constexpr uint64_t kKvmRegArm64 = 0x6000000000000000ull;
constexpr uint64_t kKvmRegRiscv = 0x8000000000000000ull;
constexpr uint64_t kKvmRegSizeU64 = 0x0030000000000000ull;
constexpr uint64_t kArm64SysReg = 0x0013ull << 16;
constexpr uint64_t kArm64FwFeatBmap = 0x0016ull << 16;
constexpr uint64_t kRiscvConfig = 0x01ull << 24;

bool KnownCpuRegister(const std::string& arch, uint64_t id) {
  if (arch == "arm64") {
    if ((id & 0xffffffffffff0000ull) == (kKvmRegArm64 | kKvmRegSizeU64 | kArm64FwFeatBmap)) {
      return (id & 0xffff) < 3;  // standard, standard hypervisor, vendor hypervisor
    }
    if ((id & 0xffffffffffff0000ull) != (kKvmRegArm64 | kKvmRegSizeU64 | kArm64SysReg)) {
      return false;
    }
    uint64_t op0 = (id >> 14) & 3, crn = (id >> 7) & 15;
    return op0 == 3 && crn == 0;
  }
  uint64_t index = id & 0xffffff;
  return (id & ~uint64_t{0xffffff}) == (kKvmRegRiscv | kKvmRegSizeU64 | kRiscvConfig) &&
         index >= 2 && index <= 4;
}

std::string Hex(uint64_t v) {
  char buf[24];
  std::snprintf(buf, sizeof(buf), "%#llx", static_cast<unsigned long long>(v));
  return buf;
}

std::string Bytes(uint64_t n) {
  if (n >= (1ull << 30) && n % (1ull << 30) == 0) return std::to_string(n >> 30) + " GiB";
  if (n >= (1ull << 20) && n % (1ull << 20) == 0) return std::to_string(n >> 20) + " MiB";
  return std::to_string(n) + " bytes";
}

std::string Quoted(const std::string& s) { return "\"" + Printable(s.substr(0, 64)) + "\""; }

class Checker {
 public:
  explicit Checker(const std::string& path) : path_(path) {}

  [[noreturn]] void Fail(const std::string& field, const std::string& value,
                         const std::string& range) const {
    throw Error(ErrorKind::kInput,
                path_ + " is corrupt: " + field + " = " + value + " (" + range + ")");
  }
  void Range(const std::string& field, uint64_t value, uint64_t low, uint64_t high) const {
    if (value < low || value > high) {
      Fail(field, std::to_string(value),
           "must be " + std::to_string(low) + " to " + std::to_string(high));
    }
  }
  void String(const std::string& field, const std::string& value) const {
    if (value.size() > kMaxHeaderString) {
      Fail(field, std::to_string(value.size()) + " bytes",
           "at most " + std::to_string(kMaxHeaderString));
    }
  }

 private:
  const std::string& path_;
};

void ValidateHeader(const Checker& c, const proto::TraceHeader& h, const HostLimits& host,
                    const std::string& path) {
  c.Range("format_version", h.format_version(), 1, kTraceFormatVersion);
  c.String("vmrr_version", h.vmrr_version());
  const ArchFacts* arch = FindArch(h.arch());
  if (arch == nullptr) c.Fail("arch", Quoted(h.arch()), "arm64 or riscv64");

  const proto::VmConfig& vm = h.vm();
  if (vm.mem_bytes() < kMinGuestMemBytes || vm.mem_bytes() > kMaxGuestMemBytes ||
      vm.mem_bytes() % kGuestMemGranule != 0) {
    c.Fail("vm.mem_bytes", std::to_string(vm.mem_bytes()),
           "vmrr records " + Bytes(kMinGuestMemBytes) + " to " + Bytes(kMaxGuestMemBytes) +
               " in multiples of " + Bytes(kGuestMemGranule));
  }
  if (vm.mem_bytes() > host.ram_bytes) {
    throw Error(ErrorKind::kUnsupported, path + " needs " + Bytes(vm.mem_bytes()) +
                                             " of guest RAM; this host can give " +
                                             Bytes(host.ram_bytes));
  }
  if (vm.cpus() < 1 || vm.cpus() > kMaxGuestCpus) {
    c.Fail("vm.cpus", std::to_string(vm.cpus()),
           kMaxGuestCpus == 1 ? "vmrr runs 1 vCPU"
                              : "vmrr runs 1 to " + std::to_string(kMaxGuestCpus) + " vCPUs");
  }
  c.String("vm.append", vm.append());
  c.String("vm.cmdline", vm.cmdline());
  for (const auto& [name, digest] :
       {std::pair<const char*, const std::string&>{"vm.kernel_sha256", vm.kernel_sha256()},
        {"vm.initrd_sha256", vm.initrd_sha256()},
        {"vm.disk_sha256", vm.disk_sha256()}}) {
    if (!digest.empty() && digest.size() != 32) {
      c.Fail(name, std::to_string(digest.size()) + " bytes", "a SHA-256: 0 or 32 bytes");
    }
  }

  if (std::find(std::begin(kCounterEvents), std::end(kCounterEvents), h.counter_event()) ==
      std::end(kCounterEvents)) {
    c.Fail("counter_event", Quoted(h.counter_event()), "instructions or cpu-cycles");
  }
  if (h.warnings_size() > kMaxWarnings) {
    c.Fail("warnings", std::to_string(h.warnings_size()) + " lines",
           "at most " + std::to_string(kMaxWarnings));
  }
  for (const std::string& w : h.warnings()) c.String("warnings", w);

  const proto::GuestTime& t = h.time();
  if (t.owned_by_vmm()) {
    c.Range("time.instructions_per_tick", t.instructions_per_tick(), 1, uint64_t{1} << 32);
    c.Range("time.timebase_hz", t.timebase_hz(), 1, uint64_t{1} << 34);
    c.Range("time.base_ticks", t.base_ticks(), 0, uint64_t{1} << 62);
    if (t.mechanism().empty()) c.Fail("time.mechanism", "\"\"", "the KVM capability's name");
    c.String("time.mechanism", t.mechanism());
  }

  if (h.cpu_registers_size() > kMaxCpuRegisters) {
    c.Fail("cpu_registers", std::to_string(h.cpu_registers_size()) + " registers",
           "at most " + std::to_string(kMaxCpuRegisters));
  }
  std::set<uint64_t> ids;
  for (int i = 0; i < h.cpu_registers_size(); ++i) {
    const proto::CpuRegister& r = h.cpu_registers(i);
    std::string field = "cpu_registers[" + std::to_string(i) + "]";
    if (r.name().empty() || r.name().size() > 64) {
      c.Fail(field + ".name", Quoted(r.name()), "a register name");
    }
    if (!KnownCpuRegister(h.arch(), r.id())) {
      c.Fail(field + ".id", Hex(r.id()) + " (" + Printable(r.name()) + ")",
             "an identification register of " + h.arch());
    }
    if (!ids.insert(r.id()).second) {
      c.Fail(field + ".id", Hex(r.id()) + " (" + Printable(r.name()) + ")", "named once");
    }
  }
}

void ValidateBoot(const Checker& c, const proto::TraceHeader& h,
                  const std::vector<TraceReader::BootRegion>& regions) {
  const ArchFacts& arch = *FindArch(h.arch());
  const uint64_t ram_end = arch.ram_base + h.vm().mem_bytes();
  std::string ram = "guest RAM is " + Hex(arch.ram_base) + " to " + Hex(ram_end);
  c.Range("boot.region_records", h.boot().region_records(), 1, kMaxBootRegionRecords);
  // The reader checked that there are exactly region_records of them.
  std::vector<std::pair<uint64_t, uint64_t>> spans;
  for (size_t i = 0; i < regions.size(); ++i) {
    const TraceReader::BootRegion& r = regions[i];
    if (r.gpa < arch.ram_base || r.gpa >= ram_end || r.bytes > ram_end - r.gpa) {
      c.Fail("boot region " + std::to_string(i), Hex(r.gpa) + " + " + std::to_string(r.bytes), ram);
    }
    spans.emplace_back(r.gpa, r.gpa + r.bytes);
  }
  std::sort(spans.begin(), spans.end());
  for (size_t i = 1; i < spans.size(); ++i) {
    if (spans[i].first < spans[i - 1].second) {
      c.Fail("boot regions", Hex(spans[i].first), "no two overlap");
    }
  }
  auto inside = [&](uint64_t gpa) {
    return std::any_of(spans.begin(), spans.end(),
                       [gpa](const auto& s) { return gpa >= s.first && gpa < s.second; });
  };
  if (!inside(h.boot().entry())) {
    c.Fail("boot.entry", Hex(h.boot().entry()), "inside a boot region");
  }
  bool dtb_starts_region = std::any_of(spans.begin(), spans.end(),
                                       [&](const auto& s) { return s.first == h.boot().dtb(); });
  if (!dtb_starts_region || h.boot().dtb() % 8 != 0) {
    c.Fail("boot.dtb", Hex(h.boot().dtb()), "the 8-byte aligned start of a boot region");
  }
}

}  // namespace

const ArchFacts* FindArch(const std::string& arch) {
  for (const ArchFacts& a : kArches) {
    if (arch == a.arch) return &a;
  }
  return nullptr;
}

bool ValidInterruptLine(const ArchFacts& arch, uint32_t cpus, uint32_t line) {
  if (line >= kTimerLineBase) {
    return line - kTimerLineBase < static_cast<uint64_t>(arch.timers_per_cpu) * cpus;
  }
  return line < (arch.lines_per_cpu ? arch.device_lines * cpus : arch.device_lines);
}

std::string DescribeInterruptLines(const ArchFacts& arch, uint32_t cpus) {
  uint32_t devices = arch.lines_per_cpu ? arch.device_lines * cpus : arch.device_lines;
  uint32_t timers = arch.timers_per_cpu * cpus;
  std::string out = std::string(arch.lines_per_cpu ? "external lines" : "SPIs") + " 0-" +
                    std::to_string(devices - 1) + " and timer lines " + Hex(kTimerLineBase);
  if (timers > 1) out += "-" + Hex(kTimerLineBase + timers - 1);
  return out;
}

void ValidateTrace(const TraceReader& reader, const HostLimits& host) {
  Checker c(reader.path());
  ValidateHeader(c, reader.header(), host, reader.path());
  ValidateBoot(c, reader.header(), reader.boot_regions());
  if (reader.complete()) {
    const std::string& reason = reader.end().reason();
    if (std::find(std::begin(kEndReasons), std::end(kEndReasons), reason) ==
        std::end(kEndReasons)) {
      c.Fail("end.reason", Quoted(reason),
             "poweroff, reset, crash, timeout, interrupted or "
             "max-instructions");
    }
    c.String("end.detail", reader.end().detail());
  }
}

std::string CheckEvent(const proto::Event& event, uint64_t index,
                       const proto::TraceHeader& header) {
  const ArchFacts& arch = *FindArch(header.arch());
  const uint64_t ram_end = arch.ram_base + header.vm().mem_bytes();
  auto in_ram = [&](uint64_t gpa, uint64_t len) {
    return gpa >= arch.ram_base && gpa <= ram_end && len <= ram_end - gpa;
  };
  switch (event.kind_case()) {
    case proto::Event::kMmioRead: {
      uint32_t len = event.mmio_read().len();
      if (len != 1 && len != 2 && len != 4 && len != 8) {
        return "an MMIO read of " + std::to_string(len) + " bytes (1, 2, 4 or 8)";
      }
      if (in_ram(event.mmio_read().gpa(), 1)) {
        return "an MMIO read inside guest RAM, at " + Hex(event.mmio_read().gpa());
      }
      return "";
    }
    case proto::Event::kMemoryWrite: {
      const proto::MemoryWrite& w = event.memory_write();
      if (w.same_data_as() != 0) {
        if (!w.data().empty()) return "a memory write with data and a reference to other data";
        if (w.same_data_as() > index) {
          return "a memory write with the data of event " + std::to_string(w.same_data_as() - 1) +
                 ", which is not an earlier one";
        }
        return in_ram(w.gpa(), 1) ? "" : "a memory write outside guest RAM, at " + Hex(w.gpa());
      }
      if (w.data().empty()) return "a memory write of no bytes";
      if (!in_ram(w.gpa(), w.data().size())) {
        return "a memory write of " + std::to_string(w.data().size()) +
               " bytes outside guest RAM, at " + Hex(w.gpa());
      }
      return "";
    }
    case proto::Event::kInterrupt:
      if (!ValidInterruptLine(arch, header.vm().cpus(), event.interrupt().line())) {
        return "interrupt line " + Hex(event.interrupt().line()) + ", which the " + arch.arch +
               " machine does not have (" + DescribeInterruptLines(arch, header.vm().cpus()) + ")";
      }
      return "";
    case proto::Event::kConsoleInput:
      if (event.console_input().data().empty()) return "console input of no bytes";
      return "";
    case proto::Event::kHypercall:
      if (static_cast<uint64_t>(event.hypercall().values_size()) >
          TraceReader::kMaxHypercallValues) {
        return "a hypercall result of " + std::to_string(event.hypercall().values_size()) +
               " values (at most " + std::to_string(TraceReader::kMaxHypercallValues) + ")";
      }
      return "";
    case proto::Event::kMemoryDigest: {
      const proto::MemoryDigest& d = event.memory_digest();
      const uint64_t ram_pages = header.vm().mem_bytes() / kGuestPageBytes;
      if (d.page_gaps_size() == 0) {
        return d.pages() <= ram_pages ? "" : "a memory digest of more pages than RAM has";
      }
      if (static_cast<uint64_t>(d.page_gaps_size()) != d.pages()) {
        return "a memory digest of " + std::to_string(d.pages()) + " pages listing " +
               std::to_string(d.page_gaps_size());
      }
      uint64_t page = 0;
      for (int i = 0; i < d.page_gaps_size(); ++i) {
        uint64_t gap = d.page_gaps(i);
        if ((i > 0 && gap == 0) || gap >= ram_pages || page + gap >= ram_pages) {
          return "a memory digest whose page list is not ascending pages of guest RAM";
        }
        page += gap;
      }
      return "";
    }
    case proto::Event::kIdle:
      if (!header.time().owned_by_vmm())
        return "an idle event in a trace whose time vmrr did not own";
      if (event.idle().ticks() > (uint64_t{1} << 62)) return "an idle of more than 2^62 ticks";
      return "";
    case proto::Event::kClockRead:
      if (!header.time().owned_by_vmm())
        return "a counter read in a trace whose time vmrr did not own";
      if (event.clock_read().counter() > 2) {
        return "a read of counter " + std::to_string(event.clock_read().counter()) +
               " (0 time, 1 cycles, 2 instructions)";
      }
      return "";
    case proto::Event::KIND_NOT_SET:
      break;
  }
  return "an event of no known kind";
}

Error VmrrBugInReplay(const std::string& trace, uint64_t index, const proto::Event* event,
                      const std::string& what) {
  std::string which = "event " + std::to_string(index);
  if (event != nullptr) which += " (" + Replayer::Describe(*event) + ")";
  return Error(ErrorKind::kInternal, "vmrr bug: " + what + ", replaying " + which + " of " + trace +
                                         ", a trace that passed validation; please report it "
                                         "with the trace");
}

bool ValidatedEvents::Next(proto::Event* event) {
  if (!reader_.Next(event)) return false;
  uint64_t index = next_++;
  if (std::string why = CheckEvent(*event, index, reader_.header()); !why.empty()) {
    throw Error(ErrorKind::kInput, reader_.path() + " is corrupt: event " + std::to_string(index) +
                                       " (" + Replayer::Describe(*event) + "): " + why);
  }
  return true;
}

void ValidatedEvents::Seek(uint64_t index) {
  reader_.Seek(index);
  next_ = index;
}

}  // namespace vmrr
