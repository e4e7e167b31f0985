#include "vmm/record_session.h"

#include <spdlog/spdlog.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <fstream>
#include <random>
#include <thread>

#include "base/error.h"
#include "devices/mmio_access.h"
#include "replay/recorder.h"
#include "replay/sha256.h"
#include "replay/trace_writer.h"
#include "vmm/cli/version.h"
#include "vmm/dirty_memory_digest.h"
#include "vmm/guest_platform.h"
#include "vmm/guest_session.h"
#include "vmm/recorded_time.h"
#include "vmm/scripted_input.h"

namespace vmrr {

namespace {

constexpr std::chrono::seconds kDigestPeriod{1};
constexpr std::chrono::seconds kStatusPeriod{1};

std::string Sha256Bytes(const void* data, size_t len) {
  Sha256::Digest d = Sha256::Of(data, len);
  return std::string(d.begin(), d.end());
}

std::string Sha256File(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw Error(ErrorKind::kInput, "cannot read " + path);
  Sha256 sha;
  std::vector<char> buf(1 << 20);
  while (in) {
    in.read(buf.data(), static_cast<std::streamsize>(buf.size()));
    sha.Update(buf.data(), static_cast<size_t>(in.gcount()));
  }
  Sha256::Digest d = sha.Finish();
  return std::string(d.begin(), d.end());
}

// Finds "vmrr-workload NAME: FAIL" verdicts and kernel panics in the guest's
// console output (what --until-fail keeps).
class VerdictWatcher {
 public:
  void Feed(uint8_t byte) {
    if (byte != '\n') {
      if (line_.size() < 512) line_.push_back(static_cast<char>(byte));
      return;
    }
    if ((line_.rfind("vmrr-workload ", 0) == 0 && line_.find(": FAIL") != std::string::npos) ||
        line_.find("Kernel panic") != std::string::npos) {
      failed_ = true;
    }
    line_.clear();
  }
  bool failed() const { return failed_; }

 private:
  std::string line_;
  bool failed_ = false;
};

class RecordingObserver : public RunObserver {
 public:
  RecordingObserver(const RecordOptions& options, Recorder& recorder, TraceWriter& writer,
                    GuestCounter& counter, DirtyMemoryDigest& digest)
      : options_(options),
        recorder_(recorder),
        writer_(writer),
        counter_(counter),
        digest_(digest),
        last_digest_(std::chrono::steady_clock::now()),
        last_status_(last_digest_) {}

  void OnStop(bool interrupted) override {
    if (options_.stop_jitter_us) {
      // Testing: the host is slow here, so later stops land elsewhere.
      std::this_thread::sleep_for(
          std::chrono::microseconds(jitter_() % (options_.stop_jitter_us + 1)));
    }
    recorder_.BeginStop(interrupted);
    if (!interrupted) return;
    auto now = std::chrono::steady_clock::now();
    if (now - last_digest_ >= kDigestPeriod) {
      last_digest_ = now;
      std::vector<uint64_t> pages;
      uint64_t digest = digest_.Take(&pages);
      recorder_.MemoryDigest(digest, pages);
    }
    if (options_.status_line && now - last_status_ >= kStatusPeriod) {
      last_status_ = now;
      std::fprintf(stderr, "\rvmrr: recording: %.3f G instructions, %llu events, %.1f MB   ",
                   static_cast<double>(counter_.Read()) / 1e9,
                   static_cast<unsigned long long>(recorder_.events()),
                   static_cast<double>(writer_.bytes_written()) / 1e6);
      status_shown_ = true;
    }
  }

  std::optional<RunOutcome> CheckLimits() override {
    if (options_.max_instructions && counter_.Read() >= *options_.max_instructions) {
      limit_hit_ = true;
      return RunOutcome{GuestExit::kTimeout, "after " + std::to_string(counter_.Read()) +
                                                 " guest instructions " + "(--max-instructions " +
                                                 std::to_string(*options_.max_instructions) + ")"};
    }
    return std::nullopt;
  }

  void OnMmioRead(uint64_t gpa, uint32_t len, const uint8_t* data) override {
    recorder_.MmioRead(gpa, len, LoadLe(data, len <= 8 ? len : 8));
  }

  void BeforeRun() override {
    if (before_run_) before_run_();
    recorder_.EndStop();
    writer_.MaybeFlush();
  }

  // Runs first in BeforeRun(), inside the stop (guest time's timer).
  void set_before_run(std::function<void()> f) { before_run_ = std::move(f); }
  bool limit_hit() const { return limit_hit_; }
  bool status_shown() const { return status_shown_; }

 private:
  const RecordOptions& options_;
  Recorder& recorder_;
  TraceWriter& writer_;
  GuestCounter& counter_;
  DirtyMemoryDigest& digest_;
  std::chrono::steady_clock::time_point last_digest_;
  std::chrono::steady_clock::time_point last_status_;
  bool limit_hit_ = false;
  bool status_shown_ = false;
  std::function<void()> before_run_;
  std::mt19937_64 jitter_{std::random_device{}()};
};

constexpr const char* kBestEffortWarning =
    "best-effort: this host KVM gives the guest its own clock and timers (no time control), so "
    "guests that read time (Linux) may diverge on replay";

proto::TraceHeader MakeHeader(const RunOptions& run, GuestPlatform& platform,
                              const BootFiles& files, const BootImage& boot, CounterEvent counter,
                              const RecordedTime* time) {
  proto::TraceHeader header;
  header.set_vmrr_version(kVmrrVersion);
  header.set_arch(platform.arch());
  header.set_created_unix_seconds(static_cast<uint64_t>(std::time(nullptr)));
  header.set_counter_event(CounterEventName(counter));
  if (time) {
    proto::GuestTime* t = header.mutable_time();
    t->set_owned_by_vmm(true);
    t->set_base_ticks(time->clock().config().base_ticks);
    t->set_instructions_per_tick(time->clock().config().instructions_per_tick);
    t->set_timebase_hz(time->clock().config().timebase_hz);
    t->set_mechanism(platform.time_mechanism());
  } else {
    header.set_best_effort(true);
    header.add_warnings(kBestEffortWarning);
  }
  for (const CpuRegister& reg : platform.CpuRegisters()) {
    proto::CpuRegister* r = header.add_cpu_registers();
    r->set_name(reg.name);
    r->set_id(reg.id);
    r->set_value(reg.value);
    r->set_settable(reg.settable);
  }
  proto::VmConfig* vm = header.mutable_vm();
  vm->set_mem_bytes(run.mem_bytes);
  vm->set_cpus(static_cast<uint32_t>(run.cpus));
  vm->set_append(run.append);
  vm->set_seed(run.seed.value_or(0));
  vm->set_kernel_sha256(Sha256Bytes(files.kernel.data(), files.kernel.size()));
  if (!files.initrd.empty()) {
    vm->set_initrd_sha256(Sha256Bytes(files.initrd.data(), files.initrd.size()));
  }
  if (run.disk) {
    vm->set_disk_sha256(Sha256File(run.disk->path));
    vm->set_disk_read_only(run.disk->read_only);
  }
  proto::HostReport* host = header.mutable_host();
  host->set_vmrr_version(kVmrrVersion);
  host->set_arch(platform.arch());
  utsname u{};
  if (uname(&u) == 0) host->set_kernel(std::string(u.sysname) + " " + u.release);
  host->set_kvm_present(true);
  host->set_chosen_event(CounterEventName(counter));
  proto::BootState* state = header.mutable_boot();
  state->set_entry(boot.layout.kernel);
  state->set_dtb(boot.layout.dtb);
  uint32_t records = TraceWriter::BootRecords(files.kernel.size()) +
                     TraceWriter::BootRecords(files.initrd.size()) +
                     TraceWriter::BootRecords(boot.dtb.size());
  state->set_region_records(records);
  return header;
}

}  // namespace

std::string EndReason(GuestExit exit) {
  switch (exit) {
    case GuestExit::kPowerOff:
      return "poweroff";
    case GuestExit::kReset:
      return "reset";
    case GuestExit::kCrash:
      return "crash";
    case GuestExit::kTimeout:
      return "timeout";
    case GuestExit::kInterrupted:
      return "interrupted";
  }
  return "unknown";
}

std::string DefaultTraceName(const std::string& kernel_path, std::time_t when) {
  std::string base = kernel_path.substr(kernel_path.find_last_of('/') + 1);
  char stamp[32];
  std::tm tm{};
  localtime_r(&when, &tm);
  std::strftime(stamp, sizeof(stamp), "%Y%m%d-%H%M%S", &tm);
  return base + "-" + stamp + ".vmrr";
}

RecordResult RecordGuest(const RecordOptions& options) {
  RunOptions run = options.run;
  run.disk_copy_on_write = !options.persist;
  if (!run.seed) {
    // A real machine boots with different entropy every time.
    std::random_device random;
    run.seed = (uint64_t{random()} << 32) | random();
  }
  BootFiles files = ReadBootFiles(run);
  KvmSystem kvm = KvmSystem::Open();
  std::unique_ptr<GuestPlatform> platform =
      GuestPlatform::Create(kvm, run.mem_bytes, run.cpus, /*own_time=*/true);
  CounterEvent event = options.counter.value_or(platform->default_counter());
  GuestCounter counter = GuestCounter::Open(event);

  std::unique_ptr<TraceWriter> writer;
  Recorder recorder(
      [&] { return ExecutionPoint{counter.Read(), platform->Pc(), platform->RegistersDigest()}; },
      [&writer](const proto::Event& e) {
        if (!writer) throw Error(ErrorKind::kInternal, "a device acted before the trace began");
        writer->Append(e);
      });
  recorder.BeginStop(true);

  Console console(STDIN_FILENO, STDOUT_FILENO);
  VerdictWatcher verdict;
  std::optional<ScriptedInput> script;
  if (!options.input_file.empty()) {
    script =
        ScriptedInput::FromFile(options.input_file, *run.seed, std::chrono::steady_clock::now());
  }
  console.set_output_tap([&verdict, &script](uint8_t byte) {
    verdict.Feed(byte);
    if (script) script->SawOutput(byte, std::chrono::steady_clock::now());
  });
  MmioBus bus;
  LineFactory recorded_line = [&recorder, &platform](uint32_t id) -> IrqLine {
    IrqLine real = platform->Line(id);
    return [&recorder, real, id](bool level) {
      real(level);
      recorder.InterruptLine(id, level);
    };
  };
  GuestDevices devices = platform->AddDevices(run, bus, console, recorded_line);
  std::unique_ptr<RecordedTime> time;
  if (platform->owns_time()) {
    std::vector<IrqLine> timers;
    for (uint32_t i = 0; i < platform->timer_count(); ++i) {
      timers.push_back(recorded_line(GuestPlatform::kTimerLine + i));
    }
    time = std::make_unique<RecordedTime>(*platform, counter, recorder, std::move(timers),
                                          RecordClockConfig(*run.seed, platform->timebase_hz()),
                                          *run.seed);
  }
  BootImage boot = platform->PlanBoot(run, files, devices);
  LoadGuest(run, platform->memory(), boot.layout, files, boot.dtb);
  platform->SetBootRegisters(boot.layout.kernel, boot.layout.dtb);

  RecordResult result;
  result.path =
      options.output.empty() ? DefaultTraceName(run.kernel, std::time(nullptr)) : options.output;
  writer = std::make_unique<TraceWriter>(
      result.path, MakeHeader(run, *platform, files, boot, event, time.get()));
  writer->WriteBootRegion(boot.layout.kernel, files.kernel.data(), files.kernel.size());
  if (!files.initrd.empty()) {
    writer->WriteBootRegion(boot.layout.initrd, files.initrd.data(), files.initrd.size());
  }
  writer->WriteBootRegion(boot.layout.dtb, boot.dtb.data(), boot.dtb.size());
  if (!time) {
    spdlog::warn(
        "recording in best-effort mode: this host's KVM does not hand guest time to vmrr "
        "(Linux guests may diverge on replay; see vmrr doctor)");
  }

  DirtyMemoryDigest digest(platform->vm(), platform->memory());
  platform->memory().set_write_observer(
      [&recorder](uint64_t gpa, const uint8_t* data, uint64_t len) {
        recorder.MemoryWritten(gpa, data, len);
      });
  RecordingObserver observer(options, recorder, *writer, counter, digest);

  RunLoopConfig config;
  if (run.timeout_seconds) config.timeout = std::chrono::seconds(*run.timeout_seconds);
  Uart16550& uart = *devices.uart;
  auto type_input = [&recorder, &uart](const uint8_t* data, size_t len) {
    recorder.ConsoleInput(data, len);
    uart.PushInput(data, len);
  };
  config.console_input = type_input;
  config.arch_exit = [&platform, &recorder, &time](kvm_run& r) {
    if (time && time->HandleExit(r)) return true;
    uint64_t function = 0;
    std::vector<uint64_t> values;
    if (!platform->HandleHypercall(r, &function, &values)) return false;
    recorder.Hypercall(function, values);
    return true;
  };
  if (script && time) {
    // Idle waits in host time only while a line is about to be typed.
    time->set_input_pending([&script] { return script->next_due().has_value(); });
  }
  TestDevice* test = devices.test_device;
  config.poll_devices = [test, &script, type_input] {
    test->PollHostTime();
    if (!script) return;
    std::string typed = script->TakeDue(std::chrono::steady_clock::now());
    if (!typed.empty()) {
      type_input(reinterpret_cast<const uint8_t*>(typed.data()), typed.size());
    }
  };
  config.next_deadline = [test, &script] {
    std::optional<std::chrono::steady_clock::time_point> due = test->NextDeadline();
    if (script && script->next_due() && (!due || *script->next_due() < *due)) {
      due = script->next_due();
    }
    return due;
  };
  config.observer = &observer;
  if (time) observer.set_before_run([&time] { time->BeforeRun(); });

  counter.Reset();
  counter.Enable();
  RunLoop loop(platform->vcpu(), bus, console, config);
  result.outcome = loop.Run();
  counter.Disable();

  proto::TraceEnd end;
  end.set_reason(observer.limit_hit() ? "max-instructions" : EndReason(result.outcome.exit));
  end.set_detail(Describe(result.outcome));
  ToProto(recorder.Point(), end.mutable_at());
  recorder.EndStop();
  writer->Finish(end);
  if (observer.status_shown()) std::fputc('\n', stderr);
  if (script && script->lines_left() > 0) {
    spdlog::warn("--input: {} lines were never typed{}", script->lines_left(),
                 script->waiting_for().empty()
                     ? std::string()
                     : " (the guest never printed '" + script->waiting_for() + "')");
  }

  result.events = writer->events();
  result.instructions = end.at().instructions();
  result.bytes = writer->bytes_written();
  result.seed = *run.seed;
  result.guest_failed = result.outcome.exit != GuestExit::kPowerOff || verdict.failed();
  result.owns_time = time != nullptr;
  if (time) {
    result.time_exits = time->counts();
    result.guest_ticks =
        time->clock().Ticks(result.instructions) - time->clock().config().base_ticks;
    result.timebase_hz = time->clock().config().timebase_hz;
  }
  spdlog::info("{} after {} exits", Describe(result.outcome), loop.exits());
  return result;
}

}  // namespace vmrr
