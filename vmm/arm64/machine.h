// The arm64 KVM machine: a VM with guest RAM at kRamBase, an in-kernel GICv3,
// vCPUs with PSCI 0.2 (handled by KVM), and SPI lines for devices.  On a
// host with the vmrr KVM series (host-kvm/arm64/), the VMM can own the
// guest's counters and EL1 timers: their accesses exit to it
// (KVM_EXIT_ARM_SYSREG), it raises the timer PPIs, and an idle WFI exits.
#pragma once

#include <linux/kvm.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "devices/mmio_device.h"
#include "memory/guest_memory.h"
#include "vmm/cpu_registers.h"
#include "vmm/kvm.h"

namespace vmrr::arm64 {

class Machine {
 public:
  // Creates the VM, its RAM (`ram_size` bytes) and `cpus` vCPUs, and the
  // vGIC.  With `own_time`, asks KVM for the guest's time
  // (KVM_CAP_ARM_USER_TIME).
  Machine(const KvmSystem& kvm, uint64_t ram_size, int cpus, bool own_time);

  // "KVM_CAP_ARM_USER_TIME" when the VMM owns guest time, else "".
  const std::string& time_mechanism() const { return time_mechanism_; }
  // The counter's frequency the guest reads in CNTFRQ_EL0 (the host's).
  static uint64_t CounterFrequency();
  // The EL1 timer interrupt (PPI) of vCPU `cpu`: the virtual timer's, or
  // the physical one's.
  IrqLine TimerPpi(int cpu, bool physical);

  GuestMemory& memory() { return memory_; }
  KvmVm& vm() { return vm_; }
  KvmVcpu& vcpu(int index) { return vcpus_.at(index); }

  // A level-triggered line to the vGIC's SPI `spi` (INTID 32 + spi).
  IrqLine SpiLine(uint32_t spi);
  // Sets vCPU 0 to enter the kernel: PC = entry, x0 = device tree, EL1h,
  // interrupts masked (the arm64 boot protocol).
  void SetBootRegisters(uint64_t entry, uint64_t dtb);

  // The identification registers the guest reads (vCPU 0's; every vCPU is
  // given the same), the firmware service bitmaps with them.  Creation
  // already hid RNDR, WFxT, SMCCC TRNG, PV time and KVM PTP.
  std::vector<CpuRegister> CpuRegisters();
  std::string PresentCpuRegisters(const std::vector<CpuRegister>& recorded);

  // A note when the code at guest virtual address `pc` is a
  // load/store-exclusive loop (a divergence there is a failed
  // store-exclusive), else "".
  std::string ExplainCodeAt(uint64_t pc);

  // Checkpoints: every vCPU's registers, MP state and pending events, and the
  // vGIC (vmm/arm64/vgic_state.h).  The vCPUs must not be running.
  struct State;
  std::shared_ptr<const State> SaveState();
  void RestoreState(const State& state);
  // The registers `vmrr replay --to` shows: x0..x30, SP, PC, PSTATE and the
  // EL1 system registers a kernel developer reads first.
  std::vector<std::pair<std::string, uint64_t>> RegisterDump();

  uint64_t Pc();
  // RegsDigest() of x0..x30, SP_EL1 and PSTATE of vCPU 0.
  uint64_t RegistersDigest();
  // KVM's single-step and hardware breakpoints share KVM_SET_GUEST_DEBUG:
  // each keeps the other.  False when the host has fewer breakpoints.
  void SetSingleStep(bool on);
  bool SetHardwareBreakpoints(const std::vector<uint64_t>& pcs);
  // A KVM_EXIT_DEBUG from a finished single step (ESR class 0x32), not a
  // breakpoint.
  static bool IsStepExit(const kvm_run& run);

  // The debugger's view of vCPU 0.
  std::optional<uint64_t> TranslateVirtual(uint64_t va);
  std::optional<uint64_t> KernelImageAddress(uint64_t image_pa);
  static std::string GdbTargetDescription(const std::string& annex);
  std::vector<std::string> GdbRegisters();

 private:
  // Hides CPU features and firmware services whose results come from the
  // host: RNDR (random numbers; the instruction still works, but Linux no
  // longer uses it), WFxT (WFIT's deadline is on the host's counter), SMCCC
  // TRNG, PV time and KVM PTP.
  void HideNondeterministicFeatures(KvmVcpu& vcpu);

  KvmVm vm_;
  GuestMemory memory_;
  std::vector<KvmVcpu> vcpus_;
  void ApplyGuestDebug();

  UniqueFd vgic_;
  std::string time_mechanism_;
  bool single_step_ = false;
  std::vector<uint64_t> hardware_breakpoints_;
};

}  // namespace vmrr::arm64
