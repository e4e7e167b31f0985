#include "vmm/replay_session.h"

#include <signal.h>
#include <spdlog/spdlog.h>

#include <atomic>
#include <chrono>
#include <cstdio>

#include "base/error.h"
#include "base/printable.h"
#include "devices/mmio_access.h"
#include "devices/mmio_bus.h"
#include "devices/uart16550.h"
#include "replay/guest_clock.h"
#include "replay/trace_reader.h"
#include "replay/trace_validation.h"
#include "vmm/dirty_memory_digest.h"
#include "vmm/guest_platform.h"
#include "vmm/kvm_replay_vcpu.h"
#include "vmm/trace_limits.h"

namespace vmrr {

namespace {

// Instructions either side of an asynchronous point's count searched for
// its PC and registers (ReplayConfig::drift_window).
constexpr uint64_t kDriftWindow = 32;

constexpr int kOverflowSignal = SIGUSR2;
std::atomic<bool> g_stop{false};

void OnStop(int) { g_stop = true; }

void InstallStopHandlers() {
  g_stop = false;
  struct sigaction action{};
  action.sa_handler = OnStop;
  sigemptyset(&action.sa_mask);
  action.sa_flags = 0;  // no SA_RESTART: KVM_RUN returns EINTR
  for (int sig : {SIGINT, SIGTERM}) {
    if (sigaction(sig, &action, nullptr) < 0) ThrowErrno("sigaction");
  }
}

CounterEvent ParseCounterEvent(const std::string& name, const std::string& path) {
  if (name == CounterEventName(CounterEvent::kInstructions)) return CounterEvent::kInstructions;
  if (name == CounterEventName(CounterEvent::kCpuCycles)) return CounterEvent::kCpuCycles;
  throw Error(ErrorKind::kInput,
              path + " was recorded with counter event '" + name + "', which vmrr does not know");
}

// The console: the guest's output so far, echoed to stdout; a restore cuts
// it back to what it was at the checkpoint.  Only bytes past any printed
// before are echoed: after going back, replaying on prints nothing twice.
class ConsoleLog : public Checkpointable {
 public:
  void Append(uint8_t byte) {
    text_.push_back(static_cast<char>(byte));
    if (!echo_ || text_.size() <= printed_) return;
    printed_ = text_.size();
    std::fputc(byte, stdout);
    if (byte == '\n') std::fflush(stdout);
  }
  const std::string& text() const { return text_; }
  void set_echo(bool on) { echo_ = on; }
  std::any SaveState() override { return text_.size(); }
  void RestoreState(const std::any& state) override { text_.resize(std::any_cast<size_t>(state)); }

 private:
  std::string text_;
  size_t printed_ = 0;
  bool echo_ = true;
};

class UartState : public Checkpointable {
 public:
  explicit UartState(Uart16550& uart) : uart_(uart) {}
  std::any SaveState() override { return uart_.state(); }
  void RestoreState(const std::any& state) override {
    uart_.set_state(std::any_cast<const Uart16550::State&>(state));
  }

 private:
  Uart16550& uart_;
};

class ClockState : public Checkpointable {
 public:
  explicit ClockState(GuestClock& clock) : clock_(clock) {}
  std::any SaveState() override { return clock_.idle_ticks(); }
  void RestoreState(const std::any& state) override {
    clock_.set_idle_ticks(std::any_cast<uint64_t>(state));
  }

 private:
  GuestClock& clock_;
};

}  // namespace

struct ReplaySession::Parts {
  explicit Parts(const ReplayOptions& o) : options(o), reader(o.trace), events(reader) {}

  ReplayOptions options;
  TraceReader reader;
  ValidatedEvents events;  // the reader's, each checked as it is read
  std::optional<KvmSystem> kvm;
  GuestPlatform platform;
  std::optional<GuestCounter> counter;
  std::unique_ptr<DirtyPageLog> dirty_log;
  std::unique_ptr<DirtyMemoryDigest> digest;
  std::unique_ptr<KvmReplayVcpu> vcpu;
  std::optional<GuestClock> clock;
  ConsoleLog console;
  std::unique_ptr<Uart16550> uart;
  MmioBus output;
  std::vector<std::unique_ptr<Checkpointable>> states;
  std::unique_ptr<Replayer> replayer;
  std::unique_ptr<ReplayTimeline> timeline;
  std::chrono::steady_clock::time_point last_status;
  bool status_shown = false;

  void Build();
};

void ReplaySession::Parts::Build() {
  const std::string& path = options.trace;
  const proto::TraceHeader& header = reader.header();
  // Every header value in its range before the first KVM call.
  ValidateTrace(reader, ThisHostLimits());
  CheckThisHostReplays(path, header.arch());
  if (reader.boot_regions().empty()) {
    throw Error(ErrorKind::kInput, path + " holds no guest memory to start from");
  }
  CounterEvent event = ParseCounterEvent(header.counter_event(), path);
  for (const std::string& warning : header.warnings()) {
    spdlog::warn("trace: {}", Printable(warning));
  }

  kvm.emplace(KvmSystem::Open());
  bool owned_time = header.time().owned_by_vmm();
  platform = GuestPlatform::Create(*kvm, header.vm().mem_bytes(),
                                   static_cast<int>(header.vm().cpus()), owned_time);
  GuestMachine& machine = *platform.machine;
  if (owned_time && !machine.owns_time()) {
    throw Error(ErrorKind::kUnsupported,
                path + " was recorded with guest time owned by vmrr (" + header.time().mechanism() +
                    "); this host's KVM cannot hand guest time to vmrr (see vmrr doctor; in the "
                    "rig: tools/rig ARCH --host-kvm patched)");
  }
  std::vector<CpuRegister> cpu;
  for (const proto::CpuRegister& r : header.cpu_registers()) {
    cpu.push_back(CpuRegister{r.name(), r.id(), r.value(), r.settable()});
  }
  if (std::string why = machine.PresentCpuRegisters(cpu); !why.empty()) {
    throw Error(ErrorKind::kUnsupported, path + " cannot be replayed on this host's CPU: " + why);
  }
  if (owned_time && header.format_version() < 2) {
    throw Error(ErrorKind::kInput, path +
                                       " was recorded by an older vmrr whose traces of VMM-owned "
                                       "guest time cannot be replayed (trace format " +
                                       std::to_string(header.format_version()) +
                                       "); record it again");
  }
  if (owned_time) {
    if (header.time().instructions_per_tick() == 0) {
      throw Error(ErrorKind::kInput, path + " is corrupt: its guest clock has no rate");
    }
    // The guest reads the counter's frequency itself (arm64 CNTFRQ_EL0;
    // riscv64 from the device tree KVM's timebase went into): another rate
    // would change every time it computes.
    if (header.time().timebase_hz() != machine.timebase_hz()) {
      throw Error(ErrorKind::kUnsupported, path + " was recorded on a host whose counter runs at " +
                                               std::to_string(header.time().timebase_hz()) +
                                               " Hz; this host's runs at " +
                                               std::to_string(machine.timebase_hz()) +
                                               " Hz, and the guest would compute other times");
    }
    clock.emplace(GuestClockConfig{header.time().base_ticks(),
                                   header.time().instructions_per_tick(),
                                   header.time().timebase_hz()});
  }

  InstallInterruptingSignalHandler(kOverflowSignal);
  counter.emplace(GuestCounter::Open(event));
  counter->RouteOverflowToThisThread(kOverflowSignal);
  counter->Reset();
  dirty_log = std::make_unique<DirtyPageLog>(machine.vm(), machine.memory());
  digest = std::make_unique<DirtyMemoryDigest>(*dirty_log, machine.memory());
  // Before RAM is loaded: checkpoint 0's memory is the boot regions.
  vcpu = std::make_unique<KvmReplayVcpu>(machine, *platform.exits, *counter, *dirty_log, *digest);
  for (size_t i = 0; i < reader.boot_regions().size(); ++i) {
    std::string data = reader.ReadBootRegion(i);
    if (!machine.memory().Write(reader.boot_regions()[i].gpa, data.data(), data.size())) {
      throw Error(ErrorKind::kInput, path + " is corrupt: a boot region lies outside RAM");
    }
  }
  machine.SetBootRegisters(header.boot().entry(), header.boot().dtb());

  // The console: the UART model turns the guest's register writes into bytes.
  console.set_echo(options.echo_console);
  uart = std::make_unique<Uart16550>([](bool) {}, [this](uint8_t byte) { console.Append(byte); });
  output.Register(platform.board->uart_base(), *uart);

  InstallStopHandlers();
  ReplayConfig config;
  config.skid_margin = options.skid_margin.value_or(machine.default_skid_margin());
  config.mmio_write = [this](uint64_t gpa, uint64_t value, uint32_t len) {
    uint8_t data[8];
    StoreLe(data, len <= 8 ? len : 8, value);
    output.Write(gpa, data, len);
  };
  config.stop_requested = [] { return g_stop.load(); };
  // Where a step is cheap (arm64 single-step, ~0.3 ms), asynchronous points
  // of a guest that reads the clock are found by PC and registers near
  // their count: the skew can change between exits (measured: 2 of 10
  // arm64 Linux replays missed a point by one instruction).  riscv64 steps
  // cost 30-60 ms.
  if (machine.has_single_step()) config.drift_window = kDriftWindow;
  // Elsewhere (riscv64: a step is a period-1 overflow) only where a point
  // would otherwise diverge, forward: a skew that grew since the last exit.
  config.forward_search = kDriftWindow;
  if (clock) {
    config.clock_read = [this](ClockCounter which, uint64_t instructions) {
      switch (which) {
        case ClockCounter::kTime:
          return clock->Ticks(instructions);
        case ClockCounter::kCycles:
          return clock->Cycles(instructions);
        case ClockCounter::kInstructions:
          break;
      }
      return instructions;
    };
    config.idle = [this](uint64_t ticks) { clock->Idle(ticks); };
  }
  last_status = std::chrono::steady_clock::now();
  if (options.status_line) {
    config.progress = [this](uint64_t events, uint64_t instructions) {
      if ((events & 255) != 0) return;
      auto now = std::chrono::steady_clock::now();
      if (now - last_status < std::chrono::seconds(1)) return;
      last_status = now;
      std::fprintf(stderr, "\rvmrr: replaying: %.3f G instructions, %llu events   ",
                   static_cast<double>(instructions) / 1e9,
                   static_cast<unsigned long long>(events));
      status_shown = true;
    };
  }
  replayer = std::make_unique<Replayer>(*vcpu, events, config);
  std::vector<Checkpointable*> others = {&console};
  states.push_back(std::make_unique<UartState>(*uart));
  if (clock) states.push_back(std::make_unique<ClockState>(*clock));
  for (auto& s : states) others.push_back(s.get());
  timeline = std::make_unique<ReplayTimeline>(*replayer, *vcpu, others);
  timeline->set_automatic(options.automatic_checkpoints);
}

ReplaySession::ReplaySession(const ReplayOptions& options)
    : parts_(std::make_unique<Parts>(options)) {
  parts_->Build();
}

ReplaySession::~ReplaySession() {
  if (parts_ && parts_->status_shown) std::fputc('\n', stderr);
}

ReplayStop ReplaySession::Step(const StepConstraints& constraints) {
  ReplayStop stop;
  try {
    stop = parts_->timeline->Step(constraints);
  } catch (const Error& e) {
    if (e.kind() != ErrorKind::kSystem && e.kind() != ErrorKind::kInternal) throw;
    // The trace's values passed validation: KVM refusing what replay did
    // with them is vmrr's bug, not the trace's.
    const Replayer& r = *parts_->replayer;
    throw VmrrBugInReplay(parts_->options.trace, r.next_event_index(), r.next_event(), e.what());
  } catch (const std::logic_error& e) {
    const Replayer& r = *parts_->replayer;
    throw VmrrBugInReplay(parts_->options.trace, r.next_event_index(), r.next_event(), e.what());
  }
  std::fflush(stdout);
  return stop;
}

const CheckpointInfo& ReplaySession::TakeCheckpoint() { return parts_->timeline->Take(false); }

void ReplaySession::RestoreCheckpoint(uint64_t id) { parts_->timeline->Restore(id); }

const std::vector<CheckpointInfo>& ReplaySession::checkpoints() const {
  return parts_->timeline->checkpoints();
}

std::optional<CheckpointInfo> ReplaySession::last_restored() const {
  return parts_->timeline->last_restored();
}

CheckpointCosts ReplaySession::checkpoint_costs() const {
  CheckpointCosts costs;
  for (const CheckpointInfo& cp : parts_->timeline->checkpoints()) {
    ++costs.taken;
    costs.take_time += cp.take_time;
    costs.memory_bytes += cp.bytes;
  }
  costs.restored = parts_->timeline->restores();
  costs.restore_time = parts_->timeline->total_restore_time();
  return costs;
}

const ReplayResult& ReplaySession::result() const { return parts_->replayer->result(); }
bool ReplaySession::finished() const { return parts_->replayer->finished(); }
bool ReplaySession::settled() const { return parts_->replayer->settled(); }
const proto::TraceHeader& ReplaySession::header() const { return parts_->reader.header(); }

std::optional<uint64_t> ReplaySession::total_events() const {
  const proto::TraceEnd* end = parts_->reader.End();
  if (end == nullptr) return std::nullopt;
  return end->events();
}

std::optional<uint64_t> ReplaySession::end_instructions() const {
  const proto::TraceEnd* end = parts_->reader.End();
  if (end == nullptr) return std::nullopt;
  return end->at().instructions();
}

uint64_t ReplaySession::next_event_index() const { return parts_->replayer->next_event_index(); }
const proto::Event* ReplaySession::next_event() const { return parts_->replayer->next_event(); }
uint64_t ReplaySession::instructions() const { return parts_->replayer->RecordedInstructions(); }
uint64_t ReplaySession::pc() { return parts_->vcpu->Pc(); }
const std::string& ReplaySession::console_output() const { return parts_->console.text(); }
void ReplaySession::set_console_echo(bool on) { parts_->console.set_echo(on); }

std::vector<std::pair<std::string, uint64_t>> ReplaySession::Registers() {
  return parts_->platform.machine->RegisterDump();
}

DebugVcpu& ReplaySession::debug_vcpu() { return *parts_->vcpu; }

std::unique_ptr<ReplayDebugger> ReplaySession::MakeDebugger(std::function<bool()> interrupted) {
  return std::make_unique<ReplayDebugger>(*parts_->replayer, *parts_->timeline, *parts_->vcpu,
                                          std::move(interrupted));
}

uint64_t ReplaySession::kernel_physical_address() const {
  return parts_->reader.header().boot().entry();
}

std::optional<uint64_t> ReplaySession::KernelImageAddress() {
  return parts_->platform.machine->KernelImageAddress(kernel_physical_address());
}

std::optional<double> ReplaySession::GuestSeconds() const {
  if (!parts_->clock) return std::nullopt;
  const GuestClockConfig& c = parts_->clock->config();
  uint64_t ticks = parts_->clock->Ticks(parts_->replayer->RecordedInstructions()) - c.base_ticks;
  return c.timebase_hz ? static_cast<double>(ticks) / static_cast<double>(c.timebase_hz) : 0.0;
}

const std::string& ReplaySession::trace_path() const { return parts_->options.trace; }

ReplayResult ReplayTrace(const ReplayOptions& options) {
  ReplaySession session(options);
  while (session.Step(StepConstraints{}).reason != ReplayStop::Reason::kEnd) {
  }
  return session.result();
}

}  // namespace vmrr
