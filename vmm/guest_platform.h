// One architecture's machine as run, record and replay use it: the KVM VM
// with its RAM and vCPU, interrupt lines at the VM boundary, registers for
// execution points, stepping, and (for run and record) the devices and the
// boot plan.  Implemented per architecture in vmm/<arch>/guest_platform.cc.
#pragma once

#include <linux/kvm.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "devices/mmio_bus.h"
#include "devices/mmio_device.h"
#include "devices/test_device.h"
#include "devices/uart16550.h"
#include "memory/guest_memory.h"
#include "replay/replay_vcpu.h"
#include "vmm/boot_layout.h"
#include "vmm/console.h"
#include "vmm/cpu_registers.h"
#include "vmm/guest_counter.h"
#include "vmm/guest_session.h"
#include "vmm/kvm.h"
#include "vmm/run_options.h"

namespace vmrr {

// The devices of `vmrr run` and `vmrr record`, registered on a bus.
struct GuestDevices {
  std::vector<std::unique_ptr<MmioDevice>> owned;
  Uart16550* uart = nullptr;
  TestDevice* test_device = nullptr;
  int virtio_devices = 0;

  // Registers `device` at `base` on `bus` and keeps it.
  template <typename T>
  T& Add(MmioBus& bus, uint64_t base, std::unique_ptr<T> device) {
    T& ref = *device;
    bus.Register(base, ref);
    owned.push_back(std::move(device));
    return ref;
  }
  // Keeps the UART and disk AddStandardDevices registered.
  void Adopt(StandardDevices standard) {
    uart = standard.uart.get();
    owned.push_back(std::move(standard.uart));
    if (standard.disk) owned.push_back(std::move(standard.disk));
    virtio_devices = standard.virtio_devices;
  }
};

// Interrupt lines at the VM boundary by number (arm64: SPI n; riscv64: the
// external interrupt of hart n): record wraps them to log each change.
using LineFactory = std::function<IrqLine(uint32_t id)>;

struct BootImage {
  BootLayout layout;
  std::vector<uint8_t> dtb;
};

class GuestPlatform {
 public:
  // Line(kTimerLine + n) is timer n's interrupt when the VMM owns time
  // (AccessTimer).
  static constexpr uint32_t kTimerLine = 0x10000;

  // Creates the VM (RAM, vCPUs, interrupt controller) on this host.  With
  // `own_time`, and a host KVM that allows it (the vmrr series), the VMM
  // owns the guest's counters, timer and idle (owns_time()).
  static std::unique_ptr<GuestPlatform> Create(const KvmSystem& kvm, uint64_t ram_size, int cpus,
                                               bool own_time = false);
  virtual ~GuestPlatform() = default;

  virtual const char* arch() const = 0;
  virtual GuestMemory& memory() = 0;
  virtual KvmVm& vm() = 0;
  virtual KvmVcpu& vcpu() = 0;
  virtual IrqLine Line(uint32_t id) = 0;
  virtual void SetBootRegisters(uint64_t entry, uint64_t dtb) = 0;

  virtual uint64_t Pc() = 0;
  // RegsDigest() of the general registers.
  virtual uint64_t RegistersDigest() = 0;
  // arm64 steps with KVM single-step; riscv64 has none (period-1 overflow).
  virtual bool has_single_step() const = 0;
  virtual void SetSingleStep(bool on) = 0;
  // The guest-instruction event this architecture counts with in the rig.
  virtual CounterEvent default_counter() const = 0;
  // How many instructions early replay arms the overflow before stepping
  // (--skid-margin overrides).  The rig's counters stop with skid 0 (vmrr
  // doctor) on both arches, and every step costs (~0.3 ms single-step on
  // arm64, a 30-60 ms period-1 overflow on riscv64), so 0 on both.
  virtual uint64_t default_skid_margin() const = 0;

  // Exits other than MMIO and system events (riscv64 SBI calls KVM leaves
  // to the VMM): answers them; true when handled, with the call and the
  // values answered for the trace.
  virtual bool HandleHypercall(kvm_run& run, uint64_t* function, std::vector<uint64_t>* values) = 0;
  virtual void CompleteHypercall(kvm_run& run, const std::vector<uint64_t>& values) = 0;
  // Which hypercall an exit is (for replay); false when it is none.
  virtual bool IsHypercall(const kvm_run& run, uint64_t* function) const = 0;

  // Guest time owned by the VMM (replay/guest_clock.h): the capability that
  // gave it ("" when the guest reads the host's clock), the guest's tick rate,
  // and the exits that read counters, arm the timer and wait for interrupts.
  virtual const std::string& time_mechanism() const = 0;
  bool owns_time() const { return !time_mechanism().empty(); }
  virtual uint64_t timebase_hz() const = 0;
  virtual std::optional<ClockCounter> CounterRead(const kvm_run& run) const = 0;
  virtual void CompleteCounterRead(kvm_run& run, uint64_t value) = 0;
  // An exit where the guest programs or reads one of its timers (riscv64:
  // SBI set_timer; arm64: the CNTV_*/CNTP_* registers), answered here with
  // the guest's counter `ticks()` (read only when needed).  The trace
  // records it as a Hypercall event (`function`, `values`) that replay
  // answers with the same values.
  struct TimerAccess {
    uint64_t function = 0;
    std::vector<uint64_t> values;
    uint32_t timer = 0;                // its interrupt: Line(kTimerLine + timer)
    std::optional<uint64_t> deadline;  // when it fires now; nullopt: it cannot
  };
  virtual std::optional<TimerAccess> AccessTimer(kvm_run& run,
                                                 const std::function<uint64_t()>& ticks) = 0;
  // The guest's timers: Line(kTimerLine + i) for i below this.
  virtual uint32_t timer_count() const = 0;
  virtual bool IsIdle(const kvm_run& run) const = 0;

  // The identification registers the guest will read.  Create() already
  // hid what leaks host nondeterminism (arm64: RNDR, WFxT).
  virtual std::vector<CpuRegister> CpuRegisters() = 0;
  // Before the first run: presents a recording's registers to the guest.
  // Returns "" or why this host cannot (naming the first register).
  virtual std::string PresentCpuRegisters(const std::vector<CpuRegister>& recorded) = 0;

  // For divergence reports: what the code at guest address `pc` does that
  // can make runs differ (arm64: a load/store-exclusive loop), or "".
  virtual std::string ExplainCodeAt(uint64_t /*pc*/) { return ""; }

  virtual uint64_t uart_base() const = 0;
  virtual GuestDevices AddDevices(const RunOptions& options, MmioBus& bus, Console& console,
                                  const LineFactory& line) = 0;
  // Parses the kernel, places it, the initrd and the device tree in RAM.
  virtual BootImage PlanBoot(const RunOptions& options, const BootFiles& files,
                             const GuestDevices& devices) = 0;
};

}  // namespace vmrr
