// Hostile traces end cleanly (issue 19): a few hundred mutants of a small
// real recording (replay/testdata/irqmix-arm64.vmrr, the irqmix payload
// recorded on an arm64 host) go through `vmrr inspect` and `vmrr replay`.
// Every result must be exit 0, 2 or 3 with no signal, in under 10 s and
// 512 MB of RSS, and an error is one line.  On the x86_64 build host replay
// ends, at the latest, after validation ("this host is x86_64", exit 2);
// inspect reads and validates every event.
//
// Mutants: byte flips, truncations, deletions and insertions anywhere, and
// edits inside records whose checksums are then recomputed (header fields,
// boot region data, a chunk's decompressed events), as a careful attacker
// would make them.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>
#include <zstd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <random>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "proto/trace.pb.h"
#include "replay/crc32c.h"

namespace vmrr {
namespace {

constexpr char kVmrr[] = "vmm/cli/vmrr";
constexpr char kSample[] = "replay/testdata/irqmix-arm64.vmrr";
constexpr int kMutants = 300;  // VMRR_MUTANTS=N and VMRR_MUTATION_SEED=S for longer runs
constexpr auto kTimeLimit = std::chrono::seconds(10);
constexpr long kRssLimitKb = 512 << 10;

std::string ReadAll(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

void WriteAll(const std::string& path, const std::string& data) {
  std::ofstream(path, std::ios::binary | std::ios::trunc) << data;
}

struct Outcome {
  int exit_code = -1;  // -1: killed by a signal
  int signal = 0;
  bool timed_out = false;
  long max_rss_kb = 0;
  std::string err;
};

// Runs vmrr ARGS with stdout to /dev/null and stderr to `err_path`.
Outcome RunVmrr(const std::vector<std::string>& args, const std::string& err_path) {
  std::vector<std::string> argv_strings = {kVmrr};
  argv_strings.insert(argv_strings.end(), args.begin(), args.end());
  std::vector<char*> argv;
  for (std::string& a : argv_strings) argv.push_back(a.data());
  argv.push_back(nullptr);
  pid_t pid = fork();
  if (pid == 0) {
    if (freopen("/dev/null", "w", stdout) == nullptr ||
        freopen(err_path.c_str(), "w", stderr) == nullptr ||
        freopen("/dev/null", "r", stdin) == nullptr) {
      _exit(126);
    }
    execv(argv[0], argv.data());
    _exit(127);
  }
  Outcome out;
  int status = 0;
  rusage usage{};
  auto start = std::chrono::steady_clock::now();
  for (;;) {
    pid_t done = wait4(pid, &status, WNOHANG, &usage);
    if (done == pid) break;
    if (std::chrono::steady_clock::now() - start > kTimeLimit) {
      out.timed_out = true;
      kill(pid, SIGKILL);
      wait4(pid, &status, 0, &usage);
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  out.max_rss_kb = usage.ru_maxrss;
  if (WIFEXITED(status)) {
    out.exit_code = WEXITSTATUS(status);
  } else if (WIFSIGNALED(status)) {
    out.signal = WTERMSIG(status);
  }
  out.err = ReadAll(err_path);
  return out;
}

void AppendVarint(std::string& out, uint64_t v) {
  while (v >= 0x80) {
    out.push_back(static_cast<char>(v | 0x80));
    v >>= 7;
  }
  out.push_back(static_cast<char>(v));
}

struct Record {
  size_t offset;
  proto::TraceRecord record;
};

// The records of a well-formed trace.
std::vector<Record> Records(const std::string& file) {
  std::vector<Record> records;
  size_t at = 0;
  while (at < file.size()) {
    size_t p = at + 1;
    uint64_t len = 0;
    for (int shift = 0;; shift += 7) {
      auto b = static_cast<uint8_t>(file[p++]);
      len |= static_cast<uint64_t>(b & 0x7f) << shift;
      if (!(b & 0x80)) break;
    }
    Record r{at, {}};
    EXPECT_TRUE(r.record.ParseFromString(file.substr(p, len)));
    records.push_back(std::move(r));
    at = p + len;
  }
  return records;
}

std::string Serialize(const std::vector<Record>& records) {
  std::string out;
  for (const Record& r : records) {
    std::string body = r.record.SerializeAsString();
    out.push_back(0x0a);
    AppendVarint(out, body.size());
    out += body;
  }
  return out;
}

std::string Zstd(const std::string& raw) {
  std::string z(ZSTD_compressBound(raw.size()), '\0');
  z.resize(ZSTD_compress(z.data(), z.size(), raw.data(), raw.size(), 1));
  return z;
}

std::string Unzstd(const std::string& z, size_t size) {
  std::string raw(size, '\0');
  size_t n = ZSTD_decompress(raw.data(), raw.size(), z.data(), z.size());
  EXPECT_FALSE(ZSTD_isError(n));
  return raw;
}

class Mutator {
 public:
  Mutator(const std::string& sample, uint64_t seed)
      : sample_(sample), records_(Records(sample)), random_(seed) {}

  std::string Next() {
    switch (Below(8)) {
      case 0:
        return FlipBytes();
      case 1:
        return sample_.substr(0, Below(sample_.size()));  // a cut, or a cut length
      case 2: {
        std::string m = sample_;
        size_t at = Below(m.size());
        m.erase(at, 1 + Below(64));
        return m;
      }
      case 3: {
        std::string m = sample_;
        std::string junk(1 + Below(32), '\0');
        for (char& c : junk) c = static_cast<char>(Below(256));
        m.insert(Below(m.size() + 1), junk);
        return m;
      }
      case 4:
        return EditHeader();
      case 5:
        return EditChunkEvents();
      case 6:
        return EditChunkFields();
      default:
        return EditBootRegion();
    }
  }

 private:
  uint64_t Below(uint64_t n) { return n == 0 ? 0 : random_() % n; }

  // A value a careless or hostile edit would put in a field.
  uint64_t Interesting() {
    static constexpr uint64_t kValues[] = {
        0,          1,          2,          3,       4,         7,           50,         63,
        64,         4095,       4096,       0x10000, 0x10001,   0x7fffffff,  0x80000000, 0xffffffff,
        1ull << 32, 1ull << 40, 1ull << 62, ~0ull,   ~0ull - 1, 0x80000000u, 0xbfe00000};
    if (Below(3) == 0) return random_();
    return kValues[Below(std::size(kValues))];
  }

  std::string FlipBytes() {
    std::string m = sample_;
    for (uint64_t n = 1 + Below(8); n > 0; --n) {
      m[Below(m.size())] ^= static_cast<char>(1 + Below(255));
    }
    return m;
  }

  std::string EditHeader() {
    std::vector<Record> r = records_;
    proto::TraceHeader& h = *r[0].record.mutable_header();
    switch (Below(12)) {
      case 0:
        h.mutable_vm()->set_mem_bytes(Interesting());
        break;
      case 1:
        h.mutable_vm()->set_cpus(static_cast<uint32_t>(Interesting()));
        break;
      case 2:
        h.mutable_boot()->set_region_records(static_cast<uint32_t>(Interesting()));
        break;
      case 3:
        h.mutable_boot()->set_entry(Interesting());
        break;
      case 4:
        h.mutable_boot()->set_dtb(Interesting());
        break;
      case 5:
        h.set_counter_event(Below(2) ? "branches" : "");
        break;
      case 6:
        h.set_arch(Below(2) ? "riscv64" : "x86_64\x1b[2J\n");
        break;
      case 7:
        h.mutable_time()->set_owned_by_vmm(true);
        h.mutable_time()->set_timebase_hz(Interesting());
        h.mutable_time()->set_instructions_per_tick(Interesting());
        break;
      case 8:
        if (h.cpu_registers_size() > 0) {
          h.mutable_cpu_registers(static_cast<int>(Below(h.cpu_registers_size())))
              ->set_id(Interesting());
        }
        break;
      case 9:
        h.set_format_version(static_cast<uint32_t>(Interesting()));
        break;
      case 10:
        h.add_warnings(std::string(Below(8192), 'w'));
        break;
      default:
        h.mutable_vm()->set_append("\x1b]0;x\x07\r\n");
        break;
    }
    return Serialize(r);
  }

  // A random chunk, or null when there is none.
  proto::EventChunk* AnyChunk(std::vector<Record>& r) {
    std::vector<proto::EventChunk*> chunks;
    for (Record& rec : r) {
      if (rec.record.has_chunk()) chunks.push_back(rec.record.mutable_chunk());
    }
    return chunks.empty() ? nullptr : chunks[Below(chunks.size())];
  }

  static void Reseal(proto::EventChunk& c, const std::string& raw) {
    c.set_raw_bytes(raw.size());
    c.set_zstd_events(Zstd(raw));
    c.set_crc32c(Crc32c(c.zstd_events().data(), c.zstd_events().size()));
  }

  // One event of a chunk given a field value, or raw bytes of its events
  // flipped; the chunk recompressed and its checksum recomputed.
  std::string EditChunkEvents() {
    std::vector<Record> r = records_;
    proto::EventChunk* c = AnyChunk(r);
    if (c == nullptr) return FlipBytes();
    std::string raw = Unzstd(c->zstd_events(), c->raw_bytes());
    if (Below(2) == 0) {
      for (uint64_t n = 1 + Below(4); n > 0; --n) {
        raw[Below(raw.size())] ^= static_cast<char>(1 + Below(255));
      }
      Reseal(*c, raw);
      return Serialize(r);
    }
    // Re-encode the events with one of them edited.
    std::vector<proto::Event> events;
    size_t at = 0;
    while (at < raw.size()) {
      uint64_t len = 0;
      for (int shift = 0;; shift += 7) {
        auto b = static_cast<uint8_t>(raw[at++]);
        len |= static_cast<uint64_t>(b & 0x7f) << shift;
        if (!(b & 0x80)) break;
      }
      events.emplace_back();
      EXPECT_TRUE(events.back().ParseFromString(raw.substr(at, len)));
      at += len;
    }
    proto::Event& e = events[Below(events.size())];
    switch (Below(9)) {
      case 0:
        e.mutable_interrupt()->set_line(static_cast<uint32_t>(Interesting()));
        break;
      case 1:
        e.mutable_mmio_read()->set_len(static_cast<uint32_t>(Interesting()));
        break;
      case 2:
        e.mutable_mmio_read()->set_gpa(Interesting());
        break;
      case 3:
        e.mutable_memory_write()->set_gpa(Interesting());
        e.mutable_memory_write()->set_data(std::string(Below(5000), 'd'));
        break;
      case 4:
        e.mutable_memory_write()->set_same_data_as(Interesting());
        break;
      case 5:
        e.mutable_memory_digest()->set_pages(Interesting());
        e.mutable_memory_digest()->add_page_gaps(Interesting());
        break;
      case 6:
        e.mutable_at()->set_instructions(Interesting());
        break;
      case 7:
        e.mutable_idle()->set_ticks(Interesting());
        break;
      default:
        e.clear_kind();
        break;
    }
    std::string encoded;
    for (const proto::Event& ev : events) {
      std::string bytes = ev.SerializeAsString();
      AppendVarint(encoded, bytes.size());
      encoded += bytes;
    }
    Reseal(*c, encoded);
    return Serialize(r);
  }

  std::string EditChunkFields() {
    std::vector<Record> r = records_;
    proto::EventChunk* c = AnyChunk(r);
    if (c == nullptr) return FlipBytes();
    switch (Below(4)) {
      case 0:
        c->set_event_count(static_cast<uint32_t>(Interesting()));
        break;
      case 1:
        c->set_first_event(Interesting());
        break;
      case 2:
        c->set_raw_bytes(Interesting());  // the frame says otherwise
        break;
      default:
        c->set_host_ms(Interesting());
        break;
    }
    return Serialize(r);
  }

  std::string EditBootRegion() {
    std::vector<Record> r = records_;
    std::vector<proto::BootRegion*> regions;
    for (Record& rec : r) {
      if (rec.record.has_boot_region()) regions.push_back(rec.record.mutable_boot_region());
    }
    if (regions.empty()) return FlipBytes();
    proto::BootRegion& b = *regions[Below(regions.size())];
    switch (Below(3)) {
      case 0:
        b.set_gpa(Interesting());
        break;
      case 1: {
        // A frame that expands to much more than it says.
        std::string raw(Below(2) ? (64u << 20) : b.raw_bytes() + 1, '\0');
        b.set_zstd_data(Zstd(raw));
        b.set_crc32c(Crc32c(b.zstd_data().data(), b.zstd_data().size()));
        break;
      }
      default: {
        std::string raw = Unzstd(b.zstd_data(), b.raw_bytes());
        raw[Below(raw.size())] ^= 0x55;
        b.set_zstd_data(Zstd(raw));
        b.set_crc32c(Crc32c(b.zstd_data().data(), b.zstd_data().size()));
        break;
      }
    }
    return Serialize(r);
  }

  const std::string& sample_;
  std::vector<Record> records_;
  std::mt19937_64 random_;
};

TEST(TraceMutation, TheSampleIsAGoodTrace) {
  std::string err = ::testing::TempDir() + "/sample.err";
  Outcome inspect = RunVmrr({"inspect", kSample}, err);
  EXPECT_EQ(inspect.exit_code, 0) << inspect.err;
  // The mutator's own re-encoding changes nothing.
  std::string sample = ReadAll(kSample);
  ASSERT_GT(sample.size(), 1000u);
  EXPECT_EQ(Serialize(Records(sample)), sample);
}

TEST(TraceMutation, EveryMutantEndsCleanly) {
  const std::string sample = ReadAll(kSample);
  ASSERT_GT(sample.size(), 1000u);
  const char* count = std::getenv("VMRR_MUTANTS");
  const char* seed = std::getenv("VMRR_MUTATION_SEED");
  const int mutants = count != nullptr ? std::atoi(count) : kMutants;
  Mutator mutator(sample, seed != nullptr ? std::strtoull(seed, nullptr, 10) : 20261204);
  const std::string path = ::testing::TempDir() + "/mutant.vmrr";
  const std::string err = ::testing::TempDir() + "/mutant.err";
  int exits[4] = {};
  for (int i = 0; i < mutants; ++i) {
    std::string mutant = mutator.Next();
    WriteAll(path, mutant);
    for (const char* command : {"inspect", "replay"}) {
      Outcome o = RunVmrr({command, path}, err);
      std::string what = "mutant " + std::to_string(i) + ", vmrr " + command + ": " + o.err;
      EXPECT_FALSE(o.timed_out) << what;
      EXPECT_EQ(o.signal, 0) << what;
      EXPECT_TRUE(o.exit_code == 0 || o.exit_code == 2 || o.exit_code == 3)
          << "exit " << o.exit_code << ", " << what;
      EXPECT_LT(o.max_rss_kb, kRssLimitKb) << what;
      if (o.exit_code != 0) {
        // One line: "vmrr: ...\n".
        EXPECT_EQ(o.err.rfind("vmrr: ", 0), 0u) << what;
        EXPECT_EQ(o.err.find('\n'), o.err.size() - 1) << what;
        EXPECT_EQ(o.err.find("internal error"), std::string::npos) << what;
      }
      if (o.exit_code >= 0 && o.exit_code <= 3) ++exits[o.exit_code];
      if (::testing::Test::HasFailure()) {
        WriteAll(::testing::TempDir() + "/failed-mutant-" + std::to_string(i) + ".vmrr", mutant);
        return;  // the first is enough to debug
      }
    }
  }
  std::printf("%d runs: %d exit 0, %d exit 2, %d exit 3\n", 2 * mutants, exits[0], exits[2],
              exits[3]);
  // The mutants reach both ends: some are refused, some still read.
  EXPECT_GT(exits[2], mutants / 2);
  EXPECT_GT(exits[0], 10);
}

}  // namespace
}  // namespace vmrr
