// The arm64 GuestPlatform: the Image at the boot protocol's place, a
// generated device tree, an in-kernel GICv3 (boundary lines are its SPIs),
// the UART console, PL031 RTC, the test device, virtio-blk.  When the VMM
// owns guest time, the counters read the GuestClock and the EL1 timers are
// emulated here (devices/arm_generic_timer) with their PPIs.
#include "vmm/guest_platform.h"

#include <chrono>
#include <ctime>
#include <random>

#include "devices/arm_generic_timer.h"
#include "devices/rtc_pl031.h"
#include "vmm/arm64/device_tree.h"
#include "vmm/arm64/kernel_image.h"
#include "vmm/arm64/layout.h"
#include "vmm/arm64/machine.h"

namespace vmrr {

namespace {

constexpr uint64_t SysReg(uint64_t op0, uint64_t op1, uint64_t crn, uint64_t crm, uint64_t op2) {
  return ARM64_SYS_REG(op0, op1, crn, crm, op2);
}
constexpr uint64_t kCntvct = SysReg(3, 3, 14, 0, 2), kCntvctss = SysReg(3, 3, 14, 0, 6);
constexpr uint64_t kCntpct = SysReg(3, 3, 14, 0, 1), kCntpctss = SysReg(3, 3, 14, 0, 5);
// CNTV_{TVAL,CTL,CVAL}_EL0 are (3,3,14,3,{0,1,2}); CNTP_ the same with CRm 2.
constexpr uint64_t kCntvTimer = SysReg(3, 3, 14, 3, 0), kCntpTimer = SysReg(3, 3, 14, 2, 0);
// A timer write's Hypercall function: the register id with this bit.
constexpr uint64_t kWriteBit = uint64_t{1} << 32;

struct TimerRegister {
  uint32_t timer;  // 0: virtual, 1: physical
  ArmGenericTimer::Register reg;
};

std::optional<TimerRegister> DecodeTimerRegister(uint64_t id) {
  uint64_t op2 = id & 7;
  uint64_t base = id & ~uint64_t{7};
  if ((base != kCntvTimer && base != kCntpTimer) || op2 > 2) return std::nullopt;
  static constexpr ArmGenericTimer::Register kRegs[] = {ArmGenericTimer::Register::kTval,
                                                        ArmGenericTimer::Register::kCtl,
                                                        ArmGenericTimer::Register::kCval};
  return TimerRegister{base == kCntvTimer ? 0u : 1u, kRegs[op2]};
}

class Arm64Platform : public GuestPlatform {
 public:
  Arm64Platform(const KvmSystem& kvm, uint64_t ram_size, int cpus, bool own_time)
      : machine_(kvm, ram_size, cpus, own_time), cpus_(cpus) {}

  const char* arch() const override { return "arm64"; }
  GuestMemory& memory() override { return machine_.memory(); }
  KvmVm& vm() override { return machine_.vm(); }
  KvmVcpu& vcpu() override { return machine_.vcpu(0); }
  // Timer lines: 2n is vCPU n's virtual timer, 2n + 1 its physical one.
  IrqLine Line(uint32_t id) override {
    if (id >= kTimerLine) {
      uint32_t timer = id - kTimerLine;
      return machine_.TimerPpi(static_cast<int>(timer / 2), timer % 2 == 1);
    }
    return machine_.SpiLine(id);
  }
  void SetBootRegisters(uint64_t entry, uint64_t dtb) override {
    machine_.SetBootRegisters(entry, dtb);
  }
  uint64_t Pc() override { return machine_.Pc(); }
  uint64_t RegistersDigest() override { return machine_.RegistersDigest(); }
  bool has_single_step() const override { return true; }
  void SetSingleStep(bool on) override { machine_.SetSingleStep(on); }
  // Under QEMU's -icount the INST_RETIRED overflow comes millions of
  // instructions late; cycles equal instructions there and stop exactly.
  CounterEvent default_counter() const override { return CounterEvent::kCpuCycles; }
  uint64_t default_skid_margin() const override { return 0; }

  // PSCI is KVM's: only timer accesses (with owned time) reach the VMM.
  bool HandleHypercall(kvm_run&, uint64_t*, std::vector<uint64_t>*) override { return false; }
  void CompleteHypercall(kvm_run& run, const std::vector<uint64_t>& values) override {
    std::optional<arm64::Machine::SysregAccess> access = arm64::Machine::Sysreg(run);
    if (access && !access->is_write && !values.empty()) {
      arm64::Machine::CompleteSysregRead(run, values[0]);
    }
  }
  bool IsHypercall(const kvm_run& run, uint64_t* function) const override {
    std::optional<arm64::Machine::SysregAccess> access = arm64::Machine::Sysreg(run);
    if (!owns_time() || !access || !DecodeTimerRegister(access->reg)) return false;
    *function = access->reg | (access->is_write ? kWriteBit : 0);
    return true;
  }

  const std::string& time_mechanism() const override { return machine_.time_mechanism(); }
  uint64_t timebase_hz() const override { return arm64::Machine::CounterFrequency(); }
  // The virtual and physical counters read the same guest clock.
  std::optional<ClockCounter> CounterRead(const kvm_run& run) const override {
    std::optional<arm64::Machine::SysregAccess> access = arm64::Machine::Sysreg(run);
    if (!owns_time() || !access || access->is_write) return std::nullopt;
    if (access->reg == kCntvct || access->reg == kCntvctss || access->reg == kCntpct ||
        access->reg == kCntpctss) {
      return ClockCounter::kTime;
    }
    return std::nullopt;
  }
  void CompleteCounterRead(kvm_run& run, uint64_t value) override {
    arm64::Machine::CompleteSysregRead(run, value);
  }
  // vCPU 0's timers; a read is recorded with its value, a write without.
  std::optional<TimerAccess> AccessTimer(kvm_run& run,
                                         const std::function<uint64_t()>& ticks) override {
    uint64_t function = 0;
    if (!IsHypercall(run, &function)) return std::nullopt;
    arm64::Machine::SysregAccess sysreg = *arm64::Machine::Sysreg(run);
    TimerRegister reg = *DecodeTimerRegister(sysreg.reg);
    ArmGenericTimer& timer = timers_[reg.timer];
    TimerAccess access;
    access.function = function;
    access.timer = reg.timer;
    if (sysreg.is_write) {
      timer.Write(reg.reg, sysreg.value, ticks());
    } else {
      access.values = {timer.Read(reg.reg, ticks())};
      arm64::Machine::CompleteSysregRead(run, access.values[0]);
    }
    access.deadline = timer.Deadline();
    return access;
  }
  uint32_t timer_count() const override { return 2; }
  bool IsIdle(const kvm_run& run) const override {
    return owns_time() && run.exit_reason == KVM_EXIT_HLT;
  }

  std::vector<CpuRegister> CpuRegisters() override { return machine_.CpuRegisters(); }
  std::string PresentCpuRegisters(const std::vector<CpuRegister>& recorded) override {
    return machine_.PresentCpuRegisters(recorded);
  }

  std::string ExplainCodeAt(uint64_t pc) override { return machine_.ExplainCodeAt(pc); }

  uint64_t uart_base() const override { return arm64::kUartBase; }

  GuestDevices AddDevices(const RunOptions& options, MmioBus& bus, Console& console,
                          const LineFactory& line) override {
    using namespace arm64;
    GuestDevices devices;
    devices.Adopt(AddStandardDevices(
        options, memory(), bus, console, kUartBase, line(kUartSpi), kVirtioBase,
        [&line](int slot) { return line(kVirtioFirstSpi + static_cast<uint32_t>(slot)); }));
    // Host time: the RTC's one input (recorded as the values the guest reads).
    devices.Add(bus, kRtcBase,
                std::make_unique<RtcPl031>([] { return static_cast<uint64_t>(std::time(nullptr)); },
                                           line(kRtcSpi)));
    devices.test_device = &devices.Add(bus, kTestDeviceBase, MakeTestDevice(line(kTestDeviceSpi)));
    return devices;
  }

  BootImage PlanBoot(const RunOptions& options, const BootFiles& files,
                     const GuestDevices& devices) override {
    using namespace arm64;
    KernelImage image = ParseKernelImage(files.kernel, options.kernel);
    BootImage boot;
    boot.layout = vmrr::PlanBoot(image.text_offset, image.image_size, kRamBase, options.mem_bytes,
                                 files.initrd.size());
    DeviceTreeConfig dt;
    dt.ram_base = kRamBase;
    dt.ram_size = options.mem_bytes;
    dt.cpus = cpus_;
    dt.virtio_devices = devices.virtio_devices;
    dt.chosen = MakeChosen(options, boot.layout);
    boot.dtb = BuildDeviceTree(dt);
    return boot;
  }

 private:
  arm64::Machine machine_;
  ArmGenericTimer timers_[2];  // vCPU 0's virtual and physical EL1 timers
  int cpus_;
};

}  // namespace

std::unique_ptr<GuestPlatform> GuestPlatform::Create(const KvmSystem& kvm, uint64_t ram_size,
                                                     int cpus, bool own_time) {
  return std::make_unique<Arm64Platform>(kvm, ram_size, cpus, own_time);
}

}  // namespace vmrr
