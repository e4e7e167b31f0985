#include "vmm/kvm_host_probe.h"

#include <sys/utsname.h>

#include <csignal>

#include "base/error.h"
#include "replay/run_to_point.h"
#include "vmm/guest_counter.h"
#include "vmm/guest_platform.h"
#include "vmm/kvm_steppable_vcpu.h"
#include "vmm/probe_guest.h"
#include "vmm/probe_loop.h"

namespace vmrr {

namespace {

constexpr int kOverflowSignal = SIGUSR2;

// Runs until a KVM exit that userspace must handle; true for MMIO (the loop's
// store), false when a signal interrupted KVM_RUN.  Other exits are errors.
bool RunToMmioOrSignal(KvmVcpu& vcpu) {
  if (!vcpu.Run()) return false;
  uint32_t reason = vcpu.run()->exit_reason;
  if (reason == KVM_EXIT_MMIO) return true;
  throw Error(ErrorKind::kSystem, "probe guest: unexpected KVM exit " + ExitReasonName(reason));
}

}  // namespace

std::string KvmHostProbe::Arch() {
  std::string arch = ProbeArch();
  if (!arch.empty()) return arch;
  utsname u{};
  uname(&u);
  return u.machine;
}

std::string KvmHostProbe::KernelRelease() {
  utsname u{};
  uname(&u);
  return u.release;
}

int KvmHostProbe::OpenKvm() {
  kvm_ = KvmSystem::Open();
  return kvm_->api_version();
}

std::vector<std::pair<std::string, int>> KvmHostProbe::Capabilities() {
  std::vector<std::pair<std::string, int>> caps;
  for (const auto& [name, cap] : ArchCapabilities()) {
    caps.emplace_back(name, kvm_->CheckExtension(cap));
  }
  return caps;
}

std::vector<uint64_t> KvmHostProbe::CountPasses(CounterEvent event, uint64_t n, int passes) {
  auto guest = CreateProbeGuest(*kvm_, n);
  GuestCounter counter = GuestCounter::Open(event);
  std::vector<uint64_t> counts;
  for (int pass = 0; pass <= passes; ++pass) {
    counter.Reset();
    counter.Enable();
    bool mmio = RunToMmioOrSignal(guest->vcpu());
    counter.Disable();
    if (!mmio) throw Error(ErrorKind::kSystem, "probe guest: KVM_RUN interrupted");
    if (pass > 0) counts.push_back(counter.Read());  // pass 0 has no jump back
  }
  return counts;
}

std::optional<OverflowStop> KvmHostProbe::StopByOverflow(CounterEvent event, uint64_t n,
                                                         uint64_t period) {
  InstallInterruptingSignalHandler(kOverflowSignal);
  auto guest = CreateProbeGuest(*kvm_, n);
  GuestCounter counter = GuestCounter::Open(event);
  counter.RouteOverflowToThisThread(kOverflowSignal);
  counter.Reset();
  counter.ArmOverflow(period);
  bool mmio = RunToMmioOrSignal(guest->vcpu());
  counter.Disable();
  if (mmio) return std::nullopt;  // the loop finished: no overflow stopped it
  OverflowStop stop;
  stop.count = counter.Read();
  auto [pc, value] = guest->PcAndCounter();
  stop.retired = RetiredInFirstPass(n, pc, value);
  return stop;
}

StepResult KvmHostProbe::SingleStep(CounterEvent event, int steps) {
  StepResult result;
  if (kvm_->CheckExtension(KVM_CAP_SET_GUEST_DEBUG) <= 0) {
    result.note = "KVM_CAP_SET_GUEST_DEBUG absent";
    return result;
  }
  const uint64_t n = 1000;
  auto guest = CreateProbeGuest(*kvm_, n);
  GuestCounter counter = GuestCounter::Open(event);
  try {
    guest->EnableSingleStep(true);
  } catch (const Error& e) {
    result.tried = 1;
    result.note = e.what();
    return result;
  }
  for (int i = 0; i < steps; ++i) {
    counter.Reset();
    counter.Enable();
    bool exited = guest->vcpu().Run();
    counter.Disable();
    ++result.tried;
    if (!exited) continue;
    uint32_t reason = guest->vcpu().run()->exit_reason;
    if (reason != KVM_EXIT_DEBUG) {
      result.note =
          "KVM_RUN ran on to a " + ExitReasonName(reason) + " exit: single-step flag ignored";
      result.supported = false;
      return result;
    }
    auto [pc, value] = guest->PcAndCounter();
    bool one = counter.Read() == 1 && RetiredInFirstPass(n, pc, value) == i + 1;
    if (one) ++result.exact;
  }
  result.supported = result.exact > 0;
  return result;
}

StepResult KvmHostProbe::OverflowStep(CounterEvent event, int steps) {
  StepResult result;
  InstallInterruptingSignalHandler(kOverflowSignal);
  const uint64_t n = 1000;
  auto guest = CreateProbeGuest(*kvm_, n);
  GuestCounter counter = GuestCounter::Open(event);
  counter.RouteOverflowToThisThread(kOverflowSignal);
  counter.Reset();
  uint64_t previous = 0;
  // A warm-up arm: some hosts drop the first overflow (QEMU 11 riscv64).
  for (int i = 0; i < steps + 1; ++i) {
    counter.ArmOverflow(1);
    bool exited = RunToMmioOrSignal(guest->vcpu());
    counter.Disable();
    if (exited) {
      ++result.tried;
      result.note = "the guest ran to its MMIO exit: no per-instruction overflow";
      return result;
    }
    uint64_t now = counter.Read();
    if (i > 0) {
      ++result.tried;
      auto [pc, value] = guest->PcAndCounter();
      if (now == previous + 1 && RetiredInFirstPass(n, pc, value) == static_cast<int64_t>(now)) {
        ++result.exact;
      }
    }
    previous = now;
  }
  result.supported = result.exact == result.tried;
  if (!result.supported) result.note = "some overflow steps retired other than one instruction";
  return result;
}

proto::RunToPointProbe KvmHostProbe::RunToPoints(CounterEvent event, bool single_step,
                                                 uint64_t margin,
                                                 const std::vector<uint64_t>& targets) {
  proto::RunToPointProbe probe;
  probe.set_margin(margin);
  probe.set_method(single_step ? "single-step" : "period-1 overflow");
  InstallInterruptingSignalHandler(kOverflowSignal);
  const uint64_t n = 100'000'000;  // the loop outlasts every target
  for (uint64_t target : targets) {
    auto guest = CreateProbeGuest(*kvm_, n);
    GuestCounter counter = GuestCounter::Open(event);
    counter.RouteOverflowToThisThread(kOverflowSignal);
    counter.Reset();
    KvmSteppableVcpu vcpu(
        guest->vcpu(), counter,
        single_step ? KvmSteppableVcpu::StepMethod::kSingleStep
                    : KvmSteppableVcpu::StepMethod::kOverflow,
        [&guest](bool on) { guest->EnableSingleStep(on); },
        // The probe sets no breakpoints: every debug exit is a step.
        [](const kvm_run& run) { return run.exit_reason == KVM_EXIT_DEBUG; });
    if (!single_step) {
      // A warm-up overflow: QEMU 11's riscv64 can drop the first one.
      counter.ArmOverflow(1);
      if (guest->vcpu().Run()) probe.set_note("the warm-up overflow did not stop the guest");
      counter.Disable();
    }
    RunToPointResult result = RunToPoint(vcpu, margin).Run(target);
    probe.set_stops(probe.stops() + 1);
    probe.add_steps(result.steps);
    auto [pc, value] = guest->PcAndCounter();
    if (result.reached && RetiredInFirstPass(n, pc, value) == static_cast<int64_t>(target)) {
      probe.set_exact(probe.exact() + 1);
    } else if (probe.note().empty()) {
      probe.set_note("target " + std::to_string(target) + ": stopped at count " +
                     std::to_string(vcpu.Instructions()) +
                     (result.overshot ? " (overshot)"
                      : result.exited ? " (guest exit)"
                                      : ""));
    }
  }
  return probe;
}

bool KvmHostProbe::HostTimeControl(std::string* note) {
  // A small VM asks for guest time the way record does (host-kvm/ARCH/).
  try {
    KvmSystem kvm = KvmSystem::Open();
    GuestPlatform platform = GuestPlatform::Create(kvm, 16 << 20, 1, /*own_time=*/true);
    if (platform.machine->owns_time()) {
      *note = "the host KVM hands guest counters, timer and idle to vmrr (" +
              platform.machine->time_mechanism() + ")";
      return true;
    }
  } catch (const Error& e) {
    *note = std::string("cannot create a VM to ask: ") + e.what();
    return false;
  }
  *note =
      "stock KVM: guest counter and timer reads do not exit to the VMM (host-kvm/ has the "
      "series that makes them)";
  return false;
}

}  // namespace vmrr
