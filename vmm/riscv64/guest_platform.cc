// The riscv64 GuestPlatform: the Image at RAM + text_offset, a device tree
// built from what KVM offers, a PLIC in the VMM (boundary lines are the
// harts' external interrupts), the UART console, goldfish RTC, the test
// device and virtio-blk; SBI calls KVM leaves to the VMM are hypercalls.
#include "vmm/guest_platform.h"

#include <chrono>
#include <optional>

#include "devices/plic.h"
#include "devices/rtc_goldfish.h"
#include "vmm/elf_kernel.h"
#include "vmm/riscv64/device_tree.h"
#include "vmm/riscv64/exits.h"
#include "vmm/riscv64/kernel_image.h"
#include "vmm/riscv64/layout.h"
#include "vmm/riscv64/machine.h"

namespace vmrr {

namespace {

class Riscv64Machine : public GuestMachine {
 public:
  Riscv64Machine(const KvmSystem& kvm, uint64_t ram_size, int cpus, bool own_time)
      : machine_(kvm, ram_size, cpus, own_time) {}

  riscv64::Machine& machine() { return machine_; }

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
  // KVM/riscv accepts KVM_GUESTDBG_SINGLESTEP and ignores it (no per-instruction exits).
  bool has_single_step() const override { return false; }
  void SetSingleStep(bool) override {}
  CounterEvent default_counter() const override { return CounterEvent::kInstructions; }
  uint64_t default_skid_margin() const override { return 0; }

  const std::string& time_mechanism() const override { return machine_.time_mechanism(); }
  uint64_t timebase_hz() const override { return machine_.hart().timebase_hz; }

  std::vector<CpuRegister> CpuRegisters() override { return machine_.CpuRegisters(); }
  std::string PresentCpuRegisters(const std::vector<CpuRegister>& recorded) override {
    return machine_.PresentCpuRegisters(recorded);
  }
  std::any SaveMachineState() override { return machine_.SaveState(); }
  void RestoreMachineState(const std::any& state) override {
    machine_.RestoreState(*std::any_cast<std::shared_ptr<const riscv64::Machine::State>>(state));
  }
  std::vector<std::pair<std::string, uint64_t>> RegisterDump() override {
    return machine_.RegisterDump();
  }

  std::optional<uint64_t> TranslateVirtual(uint64_t va) override {
    return machine_.TranslateVirtual(va);
  }
  std::optional<uint64_t> KernelImageAddress(uint64_t image_pa) override {
    return machine_.KernelImageAddress(image_pa);
  }
  // KVM has no riscv64 hardware breakpoints: software ones (ebreak).
  bool SetHardwareBreakpoints(const std::vector<uint64_t>& pcs) override { return pcs.empty(); }
  std::string SoftwareBreakpoint(const std::string& instruction) const override {
    return riscv64::Machine::SoftwareBreakpoint(instruction);
  }
  void EnableSoftwareBreakpoints(bool on) override { machine_.EnableSoftwareBreakpoints(on); }
  // No single-step on riscv64: every debug exit is an ebreak.
  bool IsStepExit(const kvm_run&) const override { return false; }
  std::string GdbTargetDescription(const std::string& annex) override {
    return riscv64::Machine::GdbTargetDescription(annex);
  }
  std::vector<std::string> GdbRegisters() override { return machine_.GdbRegisters(); }

 private:
  riscv64::Machine machine_;
};

class Riscv64Board : public Board {
 public:
  Riscv64Board(Riscv64Machine& machine, int cpus) : machine_(machine), cpus_(cpus) {}

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
        options, machine_.memory(), bus, console, kUartBase, p.SourceLine(kUartIrq), kVirtioBase,
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

  BootImage PlanBoot(const RunOptions& options, BootFiles& files,
                     const GuestDevices& devices) override {
    using namespace riscv64;
    BootImage boot;
    if (std::optional<BootLayout> elf =
            PlanBareMetalBoot(options, files, {kElfMachineRiscv, "riscv64", kRamBase, 0x200000})) {
      boot.layout = *elf;
    } else {
      KernelImage image = ParseKernelImage(files.kernel, options.kernel);
      boot.layout = vmrr::PlanBoot(image.text_offset, image.image_size, kRamBase, options.mem_bytes,
                                   files.initrd.size());
    }
    const HartDescription& hart = machine_.machine().hart();
    DeviceTreeConfig dt;
    dt.ram_base = kRamBase;
    dt.ram_size = options.mem_bytes;
    dt.cpus = cpus_;
    dt.isa = hart.isa;
    dt.mmu_type = hart.mmu_type;
    dt.timebase_hz = hart.timebase_hz;
    dt.cbom_block_size = hart.cbom_block_size;
    dt.cboz_block_size = hart.cboz_block_size;
    dt.virtio_devices = devices.virtio_devices;
    dt.chosen = MakeChosen(options, boot.layout);
    boot.dtb = BuildDeviceTree(dt);
    return boot;
  }

 private:
  Riscv64Machine& machine_;
  int cpus_;
};

}  // namespace

GuestPlatform GuestPlatform::Create(const KvmSystem& kvm, uint64_t ram_size, int cpus,
                                    bool own_time) {
  auto machine = std::make_unique<Riscv64Machine>(kvm, ram_size, cpus, own_time);
  GuestPlatform platform;
  platform.exits = std::make_unique<riscv64::Riscv64Exits>(machine->owns_time());
  platform.board = std::make_unique<Riscv64Board>(*machine, cpus);
  platform.machine = std::move(machine);
  return platform;
}

}  // namespace vmrr
