// The riscv64 GuestPlatform: the Image at RAM + text_offset, a device tree
// built from what KVM offers, a PLIC in the VMM (boundary lines are the
// harts' external interrupts), the UART console, goldfish RTC, the test
// device and virtio-blk; SBI calls KVM leaves to the VMM are hypercalls.
#include "vmm/guest_platform.h"

#include <chrono>

#include "devices/plic.h"
#include "devices/rtc_goldfish.h"
#include "vmm/riscv64/device_tree.h"
#include "vmm/riscv64/kernel_image.h"
#include "vmm/riscv64/layout.h"
#include "vmm/riscv64/machine.h"

namespace vmrr {

namespace {

class Riscv64Platform : public GuestPlatform {
 public:
  Riscv64Platform(const KvmSystem& kvm, uint64_t ram_size, int cpus, bool own_time)
      : machine_(kvm, ram_size, cpus, own_time), cpus_(cpus) {}

  const char* arch() const override { return "riscv64"; }
  GuestMemory& memory() override { return machine_.memory(); }
  KvmVm& vm() override { return machine_.vm(); }
  KvmVcpu& vcpu() override { return machine_.vcpu(0); }
  IrqLine Line(uint32_t id) override {
    if (id >= kTimerLine) return machine_.TimerInterrupt(static_cast<int>(id - kTimerLine));
    return machine_.ExternalInterrupt(static_cast<int>(id));
  }
  void SetBootRegisters(uint64_t entry, uint64_t dtb) override {
    machine_.SetBootRegisters(entry, dtb);
  }
  uint64_t Pc() override { return machine_.Pc(); }
  uint64_t RegistersDigest() override { return machine_.RegistersDigest(); }
  // KVM_SET_GUEST_DEBUG with SINGLESTEP fails with EINVAL on riscv64.
  bool has_single_step() const override { return false; }
  void SetSingleStep(bool) override {}
  CounterEvent default_counter() const override { return CounterEvent::kInstructions; }
  uint64_t default_skid_margin() const override { return 0; }

  bool HandleHypercall(kvm_run& run, uint64_t* function, std::vector<uint64_t>* values) override {
    if (!riscv64::Machine::HandleSbiExit(run)) return false;
    IsHypercall(run, function);
    *values = {run.riscv_sbi.ret[0], run.riscv_sbi.ret[1]};
    return true;
  }
  void CompleteHypercall(kvm_run& run, const std::vector<uint64_t>& values) override {
    for (size_t i = 0; i < 2; ++i) run.riscv_sbi.ret[i] = i < values.size() ? values[i] : 0;
  }
  bool IsHypercall(const kvm_run& run, uint64_t* function) const override {
    if (run.exit_reason != KVM_EXIT_RISCV_SBI) return false;
    *function = (uint64_t{run.riscv_sbi.extension_id} << 32) | run.riscv_sbi.function_id;
    return true;
  }

  const std::string& time_mechanism() const override { return machine_.time_mechanism(); }
  uint64_t timebase_hz() const override { return machine_.hart().timebase_hz; }
  std::optional<ClockCounter> CounterRead(const kvm_run& run) const override {
    return owns_time() ? riscv64::Machine::CounterRead(run) : std::nullopt;
  }
  void CompleteCounterRead(kvm_run& run, uint64_t value) override {
    riscv64::Machine::CompleteCounterRead(run, value);
  }
  // SBI set_timer (hart 0's timer), answered success.  All ones stops the
  // timer (Linux's shutdown).
  std::optional<TimerAccess> AccessTimer(kvm_run& run,
                                         const std::function<uint64_t()>& /*ticks*/) override {
    if (!owns_time()) return std::nullopt;
    std::optional<uint64_t> deadline = riscv64::Machine::TimerDeadline(run);
    if (!deadline) return std::nullopt;
    TimerAccess access;
    IsHypercall(run, &access.function);
    access.values = {0, 0};
    CompleteHypercall(run, access.values);
    if (*deadline != UINT64_MAX) access.deadline = deadline;
    return access;
  }
  uint32_t timer_count() const override { return 1; }
  bool IsIdle(const kvm_run& run) const override {
    return owns_time() && run.exit_reason == KVM_EXIT_HLT;
  }

  std::vector<CpuRegister> CpuRegisters() override { return machine_.CpuRegisters(); }
  std::string PresentCpuRegisters(const std::vector<CpuRegister>& recorded) override {
    return machine_.PresentCpuRegisters(recorded);
  }

  uint64_t uart_base() const override { return riscv64::kUartBase; }

  GuestDevices AddDevices(const RunOptions& options, MmioBus& bus, Console& console,
                          const LineFactory& line) override {
    using namespace riscv64;
    GuestDevices devices;
    std::vector<IrqLine> contexts;
    for (int i = 0; i < cpus_; ++i) contexts.push_back(line(static_cast<uint32_t>(i)));
    Plic& p =
        devices.Add(bus, kPlicBase, std::make_unique<Plic>(kPlicSources, std::move(contexts)));
    devices.Adopt(AddStandardDevices(
        options, memory(), bus, console, kUartBase, p.SourceLine(kUartIrq), kVirtioBase,
        [&p](int slot) { return p.SourceLine(kVirtioFirstIrq + static_cast<uint32_t>(slot)); }));
    // Host time: the RTC's one input (recorded as the values the guest reads).
    devices.Add(
        bus, kRtcBase,
        std::make_unique<RtcGoldfish>(
            [] {
              return static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::nanoseconds>(
                                               std::chrono::system_clock::now().time_since_epoch())
                                               .count());
            },
            p.SourceLine(kRtcIrq)));
    devices.test_device =
        &devices.Add(bus, kTestDeviceBase, MakeTestDevice(p.SourceLine(kTestDeviceIrq)));
    return devices;
  }

  BootImage PlanBoot(const RunOptions& options, const BootFiles& files,
                     const GuestDevices& devices) override {
    using namespace riscv64;
    KernelImage image = ParseKernelImage(files.kernel, options.kernel);
    BootImage boot;
    boot.layout = vmrr::PlanBoot(image.text_offset, image.image_size, kRamBase, options.mem_bytes,
                                 files.initrd.size());
    DeviceTreeConfig dt;
    dt.ram_base = kRamBase;
    dt.ram_size = options.mem_bytes;
    dt.cpus = cpus_;
    dt.isa = machine_.hart().isa;
    dt.mmu_type = machine_.hart().mmu_type;
    dt.timebase_hz = machine_.hart().timebase_hz;
    dt.cbom_block_size = machine_.hart().cbom_block_size;
    dt.cboz_block_size = machine_.hart().cboz_block_size;
    dt.virtio_devices = devices.virtio_devices;
    dt.chosen = MakeChosen(options, boot.layout);
    boot.dtb = BuildDeviceTree(dt);
    return boot;
  }

 private:
  riscv64::Machine machine_;
  int cpus_;
};

}  // namespace

std::unique_ptr<GuestPlatform> GuestPlatform::Create(const KvmSystem& kvm, uint64_t ram_size,
                                                     int cpus, bool own_time) {
  return std::make_unique<Riscv64Platform>(kvm, ram_size, cpus, own_time);
}

}  // namespace vmrr
