// One architecture's machine as run, record and replay use it, in three
// parts along its seams:
//   GuestMachine  the KVM VM with its RAM and vCPUs: interrupt lines at the
//                 VM boundary, registers for execution points, stepping,
//                 the CPU identification, checkpoints of its state;
//   ArchExits     the exits only this architecture has (exit_decoder.h);
//   Board         the devices of `vmrr run` and `vmrr record` and the boot
//                 plan (where the kernel, initrd and device tree go).
// Implemented per architecture in vmm/<arch>/guest_platform.cc.
#pragma once

#include <any>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "devices/mmio_bus.h"
#include "devices/mmio_device.h"
#include "devices/test_device.h"
#include "devices/uart16550.h"
#include "memory/guest_memory.h"
#include "vmm/boot_layout.h"
#include "vmm/console.h"
#include "vmm/cpu_registers.h"
#include "vmm/exit_decoder.h"
#include "vmm/guest_counter.h"
#include "vmm/guest_session.h"
#include "vmm/kvm.h"
#include "vmm/run_options.h"

namespace vmrr {

class GuestMachine {
 public:
  // Line(kTimerLine + n) is timer n's interrupt when the VMM owns time.
  static constexpr uint32_t kTimerLine = 0x10000;

  virtual ~GuestMachine() = default;

  virtual const char* arch() const = 0;
  virtual GuestMemory& memory() = 0;
  virtual KvmVm& vm() = 0;
  virtual KvmVcpu& vcpu() = 0;
  // Interrupt lines at the VM boundary by number (arm64: SPI n; riscv64:
  // the external interrupt of hart n; kTimerLine + n: timer n).
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

  // Guest time owned by the VMM (replay/guest_clock.h): the capability that
  // gave it ("" when the guest reads the host's clock) and the guest's tick
  // rate.
  virtual const std::string& time_mechanism() const = 0;
  bool owns_time() const { return !time_mechanism().empty(); }
  virtual uint64_t timebase_hz() const = 0;

  // The identification registers the guest will read.  Creation already
  // hid what leaks host nondeterminism (arm64: RNDR, WFxT).
  virtual std::vector<CpuRegister> CpuRegisters() = 0;
  // Before the first run: presents a recording's registers to the guest.
  // Returns "" or why this host cannot (naming the first register).
  virtual std::string PresentCpuRegisters(const std::vector<CpuRegister>& recorded) = 0;

  // Replay's checkpoints: every vCPU's registers and the interrupt
  // controller in the kernel (arm64: the vGIC), while no vCPU runs.
  virtual std::any SaveMachineState() = 0;
  virtual void RestoreMachineState(const std::any& state) = 0;
  // The registers a kernel developer reads first (`vmrr replay --to`), in
  // order: the general ones, the PC, the main system registers or CSRs.
  virtual std::vector<std::pair<std::string, uint64_t>> RegisterDump() = 0;

  // For divergence reports: what the code at guest address `pc` does that
  // can make runs differ (arm64: a load/store-exclusive loop), or "".
  virtual std::string ExplainCodeAt(uint64_t /*pc*/) { return ""; }

  // The debugger's view (`vmrr replay --gdb`).  A guest virtual address
  // through the guest's page tables as they are now (physical while the
  // MMU is off); nullopt when unmapped.
  virtual std::optional<uint64_t> TranslateVirtual(uint64_t va) = 0;
  // Where the guest's kernel mapped the image it booted from (its first
  // byte at physical `image_pa`): the KASLR'd link address of `_text`.
  virtual std::optional<uint64_t> KernelImageAddress(uint64_t image_pa) = 0;
  // Hardware breakpoints on vCPU 0 (arm64); false when there are none or
  // too few (riscv64: software breakpoints instead).
  virtual bool SetHardwareBreakpoints(const std::vector<uint64_t>& pcs) = 0;
  // The breakpoint instruction to put over `instruction` (its first bytes,
  // at least 4), same length; "" when the arch has none.
  virtual std::string SoftwareBreakpoint(const std::string& instruction) const = 0;
  // Breakpoint instructions exit to the VMM (KVM_EXIT_DEBUG) while on.
  virtual void EnableSoftwareBreakpoints(bool on) = 0;
  // A KVM_EXIT_DEBUG that ends a single step (not a breakpoint).
  virtual bool IsStepExit(const kvm_run& run) const = 0;
  // gdb's target description (qXfer:features:read annex) and the
  // registers in its order, as target bytes.
  virtual std::string GdbTargetDescription(const std::string& annex) = 0;
  virtual std::vector<std::string> GdbRegisters() = 0;
};

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

// Interrupt lines at the VM boundary by number: record wraps them to log
// each change.
using LineFactory = std::function<IrqLine(uint32_t id)>;

struct BootImage {
  BootLayout layout;
  std::vector<uint8_t> dtb;
};

class Board {
 public:
  virtual ~Board() = default;
  virtual uint64_t uart_base() const = 0;
  virtual GuestDevices AddDevices(const RunOptions& options, MmioBus& bus, Console& console,
                                  const LineFactory& line) = 0;
  // Parses the kernel, places it, the initrd and the device tree in RAM
  // (an ELF kernel's flat image replaces files.kernel: PlanBareMetalBoot).
  virtual BootImage PlanBoot(const RunOptions& options, BootFiles& files,
                             const GuestDevices& devices) = 0;
};

struct GuestPlatform {
  // Creates the VM (RAM, vCPUs, interrupt controller) on this host.  With
  // `own_time`, and a host KVM that allows it (the vmrr series), the VMM
  // owns the guest's counters, timer and idle (machine->owns_time()).
  static GuestPlatform Create(const KvmSystem& kvm, uint64_t ram_size, int cpus,
                              bool own_time = false);

  std::unique_ptr<GuestMachine> machine;
  std::unique_ptr<ArchExits> exits;
  std::unique_ptr<Board> board;
};

}  // namespace vmrr
