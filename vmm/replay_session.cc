#include "vmm/replay_session.h"

#include <signal.h>
#include <spdlog/spdlog.h>

#include <atomic>
#include <chrono>
#include <cstdio>

#include "base/error.h"
#include "devices/mmio_access.h"
#include "devices/mmio_bus.h"
#include "devices/uart16550.h"
#include "replay/guest_clock.h"
#include "replay/trace_reader.h"
#include "vmm/dirty_memory_digest.h"
#include "vmm/guest_platform.h"
#include "vmm/kvm_replay_vcpu.h"
#include "vmm/probe_guest.h"

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

}  // namespace

ReplayResult ReplayTrace(const ReplayOptions& options) {
  TraceReader reader(options.trace);
  const proto::TraceHeader& header = reader.header();
  std::string arch = ProbeArch();
  if (header.arch() != arch) {
    throw Error(ErrorKind::kInput, options.trace + " was recorded on " + header.arch() +
                                       "; this host is " + (arch.empty() ? "neither" : arch));
  }
  if (reader.boot_regions().empty()) {
    throw Error(ErrorKind::kInput, options.trace + " holds no guest memory to start from");
  }
  CounterEvent event = ParseCounterEvent(header.counter_event(), options.trace);
  for (const std::string& warning : header.warnings()) spdlog::warn("trace: {}", warning);

  KvmSystem kvm = KvmSystem::Open();
  bool owned_time = header.time().owned_by_vmm();
  std::unique_ptr<GuestPlatform> platform = GuestPlatform::Create(
      kvm, header.vm().mem_bytes(), static_cast<int>(header.vm().cpus()), owned_time);
  if (owned_time && !platform->owns_time()) {
    throw Error(ErrorKind::kUnsupported,
                options.trace + " was recorded with guest time owned by vmrr (" +
                    header.time().mechanism() +
                    "); this host's KVM cannot hand guest time to vmrr (see vmrr doctor; in the "
                    "rig: tools/rig ARCH --host-kvm patched)");
  }
  std::vector<CpuRegister> cpu;
  for (const proto::CpuRegister& r : header.cpu_registers()) {
    cpu.push_back(CpuRegister{r.name(), r.id(), r.value(), r.settable()});
  }
  if (std::string why = platform->PresentCpuRegisters(cpu); !why.empty()) {
    throw Error(ErrorKind::kUnsupported,
                options.trace + " cannot be replayed on this host's CPU: " + why);
  }
  std::optional<GuestClock> clock;
  if (owned_time && header.format_version() < 2) {
    throw Error(ErrorKind::kInput,
                options.trace +
                    " was recorded by an older vmrr whose traces of VMM-owned guest "
                    "time cannot be replayed (trace format " +
                    std::to_string(header.format_version()) + "); record it again");
  }
  if (owned_time) {
    if (header.time().instructions_per_tick() == 0) {
      throw Error(ErrorKind::kInput, options.trace + " is corrupt: its guest clock has no rate");
    }
    // The guest reads the counter's frequency itself (arm64 CNTFRQ_EL0;
    // riscv64 from the device tree KVM's timebase went into): another rate
    // would change every time it computes.
    if (header.time().timebase_hz() != platform->timebase_hz()) {
      throw Error(ErrorKind::kUnsupported,
                  options.trace + " was recorded on a host whose counter runs at " +
                      std::to_string(header.time().timebase_hz()) + " Hz; this host's runs at " +
                      std::to_string(platform->timebase_hz()) +
                      " Hz, and the guest would compute other times");
    }
    clock.emplace(GuestClockConfig{header.time().base_ticks(),
                                   header.time().instructions_per_tick(),
                                   header.time().timebase_hz()});
  }
  for (const TraceReader::BootRegion& region : reader.boot_regions()) {
    if (!platform->memory().Write(region.gpa, region.data.data(), region.data.size())) {
      throw Error(ErrorKind::kInput, options.trace + " is corrupt: a boot region lies outside RAM");
    }
  }
  platform->SetBootRegisters(header.boot().entry(), header.boot().dtb());
  DirtyMemoryDigest digest(platform->vm(), platform->memory());

  InstallInterruptingSignalHandler(kOverflowSignal);
  GuestCounter counter = GuestCounter::Open(event);
  counter.RouteOverflowToThisThread(kOverflowSignal);
  counter.Reset();
  KvmReplayVcpu vcpu(*platform, counter, &digest);

  // The console: the UART model turns the guest's register writes into bytes.
  Uart16550 uart([](bool) {},
                 [](uint8_t byte) {
                   std::fputc(byte, stdout);
                   if (byte == '\n') std::fflush(stdout);
                 });
  MmioBus output;
  output.Register(platform->uart_base(), uart);

  InstallStopHandlers();
  ReplayConfig config;
  config.skid_margin = options.skid_margin.value_or(platform->default_skid_margin());
  config.mmio_write = [&output](uint64_t gpa, uint64_t value, uint32_t len) {
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
  if (platform->has_single_step()) config.drift_window = kDriftWindow;
  if (clock) {
    config.clock_read = [&clock](ClockCounter counter, uint64_t instructions) {
      switch (counter) {
        case ClockCounter::kTime:
          return clock->Ticks(instructions);
        case ClockCounter::kCycles:
          return clock->Cycles(instructions);
        case ClockCounter::kInstructions:
          break;
      }
      return instructions;
    };
    config.idle = [&clock](uint64_t ticks) { clock->Idle(ticks); };
  }
  auto last_status = std::chrono::steady_clock::now();
  bool status_shown = false;
  if (options.status_line) {
    config.progress = [&](uint64_t events, uint64_t instructions) {
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
  Replayer replayer(
      vcpu, [&reader](proto::Event* e) { return reader.Next(e); },
      [&reader]() -> const proto::TraceEnd* { return reader.complete() ? &reader.end() : nullptr; },
      config);
  ReplayResult result = replayer.Run();
  std::fflush(stdout);
  if (status_shown) std::fputc('\n', stderr);
  return result;
}

}  // namespace vmrr
