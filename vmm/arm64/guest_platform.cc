// The arm64 GuestPlatform: the Image at the boot protocol's place, a
// generated device tree, an in-kernel GICv3 (boundary lines are its SPIs),
// the UART console, PL031 RTC, the test device, virtio-blk.  When the VMM
// owns guest time, the counters read the GuestClock and the EL1 timers are
// emulated here (devices/arm_generic_timer) with their PPIs.
#include "vmm/guest_platform.h"

#include <chrono>
#include <ctime>
#include <optional>

#include "devices/rtc_pl031.h"
#include "vmm/arm64/device_tree.h"
#include "vmm/arm64/exits.h"
#include "vmm/arm64/kernel_image.h"
#include "vmm/arm64/layout.h"
#include "vmm/arm64/machine.h"
#include "vmm/elf_kernel.h"

namespace vmrr {

namespace {

class Arm64Machine : public GuestMachine {
 public:
  Arm64Machine(const KvmSystem& kvm, uint64_t ram_size, int cpus, bool own_time)
      : machine_(kvm, ram_size, cpus, own_time) {}

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

  const std::string& time_mechanism() const override { return machine_.time_mechanism(); }
  uint64_t timebase_hz() const override { return arm64::Machine::CounterFrequency(); }

  std::vector<CpuRegister> CpuRegisters() override { return machine_.CpuRegisters(); }
  std::string PresentCpuRegisters(const std::vector<CpuRegister>& recorded) override {
    return machine_.PresentCpuRegisters(recorded);
  }
  std::any SaveMachineState() override { return machine_.SaveState(); }
  void RestoreMachineState(const std::any& state) override {
    machine_.RestoreState(*std::any_cast<std::shared_ptr<const arm64::Machine::State>>(state));
  }
  std::vector<std::pair<std::string, uint64_t>> RegisterDump() override {
    return machine_.RegisterDump();
  }
  std::string ExplainCodeAt(uint64_t pc) override { return machine_.ExplainCodeAt(pc); }

  std::optional<uint64_t> TranslateVirtual(uint64_t va) override {
    return machine_.TranslateVirtual(va);
  }
  std::optional<uint64_t> KernelImageAddress(uint64_t image_pa) override {
    return machine_.KernelImageAddress(image_pa);
  }
  bool SetHardwareBreakpoints(const std::vector<uint64_t>& pcs) override {
    return machine_.SetHardwareBreakpoints(pcs);
  }
  // Hardware breakpoints only (QEMU's max CPU has six).
  std::string SoftwareBreakpoint(const std::string&) const override { return ""; }
  void EnableSoftwareBreakpoints(bool) override {}
  bool IsStepExit(const kvm_run& run) const override { return arm64::Machine::IsStepExit(run); }
  std::string GdbTargetDescription(const std::string& annex) override {
    return arm64::Machine::GdbTargetDescription(annex);
  }
  std::vector<std::string> GdbRegisters() override { return machine_.GdbRegisters(); }

 private:
  arm64::Machine machine_;
};

class Arm64Board : public Board {
 public:
  Arm64Board(GuestMachine& machine, int cpus) : machine_(machine), cpus_(cpus) {}

  uint64_t uart_base() const override { return arm64::kUartBase; }

  GuestDevices AddDevices(const RunOptions& options, MmioBus& bus, Console& console,
                          const LineFactory& line) override {
    using namespace arm64;
    GuestDevices devices;
    devices.Adopt(AddStandardDevices(
        options, machine_.memory(), bus, console, kUartBase, line(kUartSpi), kVirtioBase,
        [&line](int slot) { return line(kVirtioFirstSpi + static_cast<uint32_t>(slot)); }));
    // Host time: the RTC's one input (recorded as the values the guest reads).
    devices.Add(bus, kRtcBase,
                std::make_unique<RtcPl031>([] { return static_cast<uint64_t>(std::time(nullptr)); },
                                           line(kRtcSpi)));
    devices.test_device = &devices.Add(bus, kTestDeviceBase, MakeTestDevice(line(kTestDeviceSpi)));
    return devices;
  }

  BootImage PlanBoot(const RunOptions& options, BootFiles& files,
                     const GuestDevices& devices) override {
    using namespace arm64;
    BootImage boot;
    if (std::optional<BootLayout> elf =
            PlanBareMetalBoot(options, files, {kElfMachineAarch64, "arm64", kRamBase, 0x80000})) {
      boot.layout = *elf;
    } else {
      KernelImage image = ParseKernelImage(files.kernel, options.kernel);
      boot.layout = vmrr::PlanBoot(image.text_offset, image.image_size, kRamBase, options.mem_bytes,
                                   files.initrd.size());
    }
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
  GuestMachine& machine_;
  int cpus_;
};

}  // namespace

GuestPlatform GuestPlatform::Create(const KvmSystem& kvm, uint64_t ram_size, int cpus,
                                    bool own_time) {
  auto machine = std::make_unique<Arm64Machine>(kvm, ram_size, cpus, own_time);
  GuestPlatform platform;
  platform.exits = std::make_unique<arm64::Arm64Exits>(machine->owns_time());
  platform.board = std::make_unique<Arm64Board>(*machine, cpus);
  platform.machine = std::move(machine);
  return platform;
}

}  // namespace vmrr
