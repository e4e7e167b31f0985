#include "vmm/record_session.h"

#include <spdlog/spdlog.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <random>
#include <thread>

#include "base/error.h"
#include "devices/mmio_access.h"
#include "replay/recorder.h"
#include "replay/trace_writer.h"
#include "vmm/dirty_memory_digest.h"
#include "vmm/guest_platform.h"
#include "vmm/guest_session.h"
#include "vmm/scripted_input.h"
#include "vmm/trace_output.h"

namespace vmrr {

namespace {

constexpr std::chrono::seconds kDigestPeriod{1};
constexpr std::chrono::seconds kStatusPeriod{1};

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

}  // namespace

struct RecordSession::Parts {
  explicit Parts(const RecordOptions& o) : options(o) {}

  RecordOptions options;
  RunOptions run;
  BootFiles files;
  std::optional<KvmSystem> kvm;
  GuestPlatform platform;
  std::optional<GuestCounter> counter;
  std::optional<TraceOutput> output;
  std::unique_ptr<TraceWriter> writer;
  std::unique_ptr<Recorder> recorder;
  std::unique_ptr<Console> console;
  VerdictWatcher verdict;
  std::optional<ScriptedInput> script;
  MmioBus bus;
  GuestDevices devices;
  std::unique_ptr<RecordedTime> time;
  std::unique_ptr<DirtyPageLog> dirty_log;
  std::unique_ptr<DirtyMemoryDigest> digest;
  std::unique_ptr<RecordingObserver> observer;
  std::unique_ptr<RunLoop> loop;
  RecordResult result;
  bool finished = false;

  void Build();
  void Finish(const RunOutcome& outcome);
};

void RecordSession::Parts::Build() {
  run = options.run;
  run.disk_copy_on_write = !options.persist;
  if (!run.seed) {
    // A real machine boots with different entropy every time.
    std::random_device random;
    run.seed = (uint64_t{random()} << 32) | random();
  }
  files = ReadBootFiles(run);
  kvm.emplace(KvmSystem::Open());
  platform = GuestPlatform::Create(*kvm, run.mem_bytes, run.cpus, /*own_time=*/true);
  GuestMachine& machine = *platform.machine;
  CounterEvent event = options.counter.value_or(machine.default_counter());
  counter.emplace(GuestCounter::Open(event));

  recorder = std::make_unique<Recorder>(
      [this] {
        return ExecutionPoint{counter->Read(), platform.machine->Pc(),
                              platform.machine->RegistersDigest()};
      },
      [this](const proto::Event& e) {
        if (!writer) throw Error(ErrorKind::kInternal, "a device acted before the trace began");
        writer->Append(e);
      });
  recorder->BeginStop(true);

  console = std::make_unique<Console>(STDIN_FILENO, STDOUT_FILENO);
  if (!options.input_file.empty()) {
    script =
        ScriptedInput::FromFile(options.input_file, *run.seed, std::chrono::steady_clock::now());
  }
  console->set_output_tap([this](uint8_t byte) {
    verdict.Feed(byte);
    if (script) script->SawOutput(byte, std::chrono::steady_clock::now());
  });
  LineFactory recorded_line = [this](uint32_t id) -> IrqLine {
    IrqLine real = platform.machine->Line(id);
    return [this, real, id](bool level) {
      real(level);
      recorder->InterruptLine(id, level);
    };
  };
  devices = platform.board->AddDevices(run, bus, *console, recorded_line);
  if (machine.owns_time()) {
    std::vector<IrqLine> timers;
    for (uint32_t i = 0; i < platform.exits->timer_count(); ++i) {
      timers.push_back(recorded_line(GuestMachine::kTimerLine + i));
    }
    time = std::make_unique<RecordedTime>(
        *platform.exits, [this] { return counter->Read(); }, *recorder, std::move(timers),
        RecordClockConfig(*run.seed, machine.timebase_hz()), *run.seed);
  }
  BootImage boot = platform.board->PlanBoot(run, files, devices);
  LoadGuest(run, machine.memory(), boot.layout, files, boot.dtb);
  machine.SetBootRegisters(boot.layout.entry, boot.layout.dtb);

  output.emplace(TraceOutput::Create(
      options.output.empty() ? DefaultTraceName(run.kernel, std::time(nullptr)) : options.output,
      RecordInputFiles(options), options.force));
  result.path = output->path();
  writer = std::make_unique<TraceWriter>(output->TakeFd(), output->writing_path(),
                                         MakeHeader(run, machine, files, boot, event, time.get()));
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

  dirty_log = std::make_unique<DirtyPageLog>(machine.vm(), machine.memory());
  digest = std::make_unique<DirtyMemoryDigest>(*dirty_log, machine.memory());
  machine.memory().set_write_observer([this](uint64_t gpa, const uint8_t* data, uint64_t len) {
    recorder->MemoryWritten(gpa, data, len);
  });
  observer = std::make_unique<RecordingObserver>(options, *recorder, *writer, *counter, *digest);

  RunLoopConfig config;
  config.explain_crash = [this] {
    GuestMachine& m = *platform.machine;
    return DescribeCrashedVcpu([&m] { return m.Pc(); }, m.memory());
  };
  if (run.timeout_seconds) config.timeout = std::chrono::seconds(*run.timeout_seconds);
  Uart16550& uart = *devices.uart;
  auto type_input = [this, &uart](const uint8_t* data, size_t len) {
    recorder->ConsoleInput(data, len);
    uart.PushInput(data, len);
  };
  config.console_input = type_input;
  config.arch_exit = [this](const VcpuStop& stop, kvm_run& r) {
    if (time && time->HandleExit(stop, r)) return true;
    if (stop.kind != VcpuStop::Kind::kHypercall) return false;
    recorder->Hypercall(stop.function, platform.exits->AnswerHypercall(r));
    return true;
  };
  if (script && time) {
    // Idle waits in host time only while a line is about to be typed.
    time->set_input_pending([this] { return script->next_due().has_value(); });
  }
  TestDevice* test = devices.test_device;
  config.poll_devices = [this, test, type_input] {
    test->PollHostTime();
    if (!script) return;
    std::string typed = script->TakeDue(std::chrono::steady_clock::now());
    if (!typed.empty()) {
      type_input(reinterpret_cast<const uint8_t*>(typed.data()), typed.size());
    }
  };
  config.next_deadline = [this, test] {
    std::optional<std::chrono::steady_clock::time_point> due = test->NextDeadline();
    if (script && script->next_due() && (!due || *script->next_due() < *due)) {
      due = script->next_due();
    }
    return due;
  };
  config.observer = observer.get();
  if (time) observer->set_before_run([this] { time->BeforeRun(); });

  counter->Reset();
  counter->Enable();
  loop = std::make_unique<RunLoop>(machine.vcpu(), *platform.exits, bus, *console, config);
}

void RecordSession::Parts::Finish(const RunOutcome& outcome) {
  counter->Disable();
  result.outcome = outcome;
  proto::TraceEnd end;
  end.set_reason(observer->limit_hit() ? "max-instructions" : EndReason(outcome.exit));
  end.set_detail(Describe(outcome));
  ToProto(recorder->Point(), end.mutable_at());
  recorder->EndStop();
  writer->Finish(end);
  output->Commit();
  if (observer->status_shown()) std::fputc('\n', stderr);
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
  result.guest_failed = outcome.exit != GuestExit::kPowerOff || verdict.failed();
  result.owns_time = time != nullptr;
  if (time) {
    result.time_exits = time->counts();
    result.guest_ticks =
        time->clock().Ticks(result.instructions) - time->clock().config().base_ticks;
    result.timebase_hz = time->clock().config().timebase_hz;
  }
  spdlog::info("{} after {} exits", Describe(outcome), loop->exits());
  loop.reset();
  finished = true;
}

std::vector<std::string> RecordInputFiles(const RecordOptions& options) {
  const RunOptions& run = options.run;
  return {run.kernel, run.initrd.value_or(""), run.disk ? run.disk->path : "", options.input_file};
}

RecordSession::RecordSession(const RecordOptions& options)
    : parts_(std::make_unique<Parts>(options)) {
  parts_->Build();
}

RecordSession::~RecordSession() = default;

RecordStop RecordSession::Step(const RecordConstraints& constraints) {
  RecordStop stop;
  if (parts_->finished) return stop;
  const uint64_t events_before = parts_->recorder->events();
  for (;;) {
    if (std::optional<RunOutcome> outcome = parts_->loop->Step()) {
      parts_->Finish(*outcome);
      stop.reason = RecordStop::Reason::kEnd;
      return stop;
    }
    if (constraints.instructions && parts_->counter->Read() >= *constraints.instructions) {
      stop.reason = RecordStop::Reason::kInstructions;
      return stop;
    }
    if (constraints.one_event && parts_->recorder->events() > events_before) {
      stop.reason = RecordStop::Reason::kEvent;
      return stop;
    }
  }
}

bool RecordSession::finished() const { return parts_->finished; }
const RecordResult& RecordSession::result() const { return parts_->result; }
uint64_t RecordSession::instructions() const { return parts_->counter->Read(); }
uint64_t RecordSession::events() const { return parts_->recorder->events(); }

RecordResult RecordGuest(const RecordOptions& options) {
  RecordSession session(options);
  while (session.Step(RecordConstraints{}).reason != RecordStop::Reason::kEnd) {
  }
  return session.result();
}

}  // namespace vmrr
