// The arm64 GuestPlatform: the Image at the boot protocol's place, a
// generated device tree, an in-kernel GICv3 (boundary lines are its SPIs),
// the UART console, PL031 RTC, the test device, virtio-blk.
#include "vmm/guest_platform.h"

#include <chrono>
#include <ctime>
#include <random>

#include "devices/rtc_pl031.h"
#include "vmm/arm64/device_tree.h"
#include "vmm/arm64/kernel_image.h"
#include "vmm/arm64/layout.h"
#include "vmm/arm64/machine.h"

namespace vmrr {

namespace {

class Arm64Platform : public GuestPlatform {
 public:
  Arm64Platform(const KvmSystem& kvm, uint64_t ram_size, int cpus)
      : machine_(kvm, ram_size, cpus), cpus_(cpus) {}

  const char* arch() const override { return "arm64"; }
  GuestMemory& memory() override { return machine_.memory(); }
  KvmVm& vm() override { return machine_.vm(); }
  KvmVcpu& vcpu() override { return machine_.vcpu(0); }
  IrqLine Line(uint32_t id) override { return machine_.SpiLine(id); }
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

  // PSCI is KVM's: nothing reaches the VMM.
  bool HandleHypercall(kvm_run&, uint64_t*, std::vector<uint64_t>*) override { return false; }
  void CompleteHypercall(kvm_run&, const std::vector<uint64_t>&) override {}
  bool IsHypercall(const kvm_run&, uint64_t*) const override { return false; }

  // Stock arm64 KVM: the guest reads the host's counters (issue 7).
  const std::string& time_mechanism() const override { return no_time_; }
  uint64_t timebase_hz() const override { return 0; }
  std::optional<ClockCounter> CounterRead(const kvm_run&) const override { return std::nullopt; }
  void CompleteCounterRead(kvm_run&, uint64_t) override {}
  std::optional<uint64_t> TimerDeadline(const kvm_run&) const override { return std::nullopt; }
  bool IsIdle(const kvm_run&) const override { return false; }

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
  std::string no_time_;
  int cpus_;
};

}  // namespace

std::unique_ptr<GuestPlatform> GuestPlatform::Create(const KvmSystem& kvm, uint64_t ram_size,
                                                     int cpus, bool /*own_time*/) {
  return std::make_unique<Arm64Platform>(kvm, ram_size, cpus);
}

}  // namespace vmrr
