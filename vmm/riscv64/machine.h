// The riscv64 KVM machine: a VM with guest RAM at kRamBase, one vCPU per
// hart, and the vCPU facts the device tree needs (ISA, MMU, timebase).
// External interrupts come from a PLIC emulated in the VMM (devices/plic)
// and reach a hart through KVM_INTERRUPT, so the VMM decides when.
#pragma once

#include <linux/kvm.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "devices/mmio_device.h"
#include "memory/guest_memory.h"
#include "replay/replay_vcpu.h"
#include "vmm/cpu_registers.h"
#include "vmm/kvm.h"

namespace vmrr::riscv64 {

struct HartDescription {
  std::string isa;       // riscv,isa, hidden extensions removed
  std::string mmu_type;  // riscv,svNN
  uint32_t timebase_hz = 0;
  uint32_t cbom_block_size = 0;  // with Zicbom (0: not offered)
  uint32_t cboz_block_size = 0;  // with Zicboz
};

class Machine {
 public:
  // With `own_time` and a host KVM with the vmrr series, the VMM owns the
  // guest's time (KVM_CAP_RISCV_USER_TIME, host-kvm/riscv64/).
  Machine(const KvmSystem& kvm, uint64_t ram_size, int cpus, bool own_time);

  // "KVM_CAP_RISCV_USER_TIME" when the VMM owns guest time, else "".
  const std::string& time_mechanism() const { return time_mechanism_; }
  // The harts' timer interrupts (VS timer, through the sip register).
  IrqLine TimerInterrupt(int index);

  GuestMemory& memory() { return memory_; }
  KvmVm& vm() { return vm_; }
  KvmVcpu& vcpu(int index) { return vcpus_.at(index); }
  const HartDescription& hart() const { return hart_; }

  // The supervisor external interrupt of hart `index` (a PLIC context output).
  IrqLine ExternalInterrupt(int index);
  // Hart 0 enters the kernel: pc = entry, a0 = hart id, a1 = device tree.
  void SetBootRegisters(uint64_t entry, uint64_t dtb);

  // The identification registers the guest reads (mvendorid, marchid,
  // mimpid; settable before the first run).
  std::vector<CpuRegister> CpuRegisters();
  std::string PresentCpuRegisters(const std::vector<CpuRegister>& recorded);

  // Checkpoints: every hart's registers (the pending-interrupt bits in sip
  // among them) and MP state.  The PLIC is vmrr's own (devices/plic).
  struct State;
  std::shared_ptr<const State> SaveState();
  void RestoreState(const State& state);
  // The registers `vmrr replay --to` shows: x1..x31, PC, the mode and the
  // supervisor CSRs.
  std::vector<std::pair<std::string, uint64_t>> RegisterDump();

  // The debugger's view of hart 0.
  std::optional<uint64_t> TranslateVirtual(uint64_t va);
  std::optional<uint64_t> KernelImageAddress(uint64_t image_pa);
  // ebreak (c.ebreak over a compressed instruction) exits to the VMM.
  void EnableSoftwareBreakpoints(bool on);
  static std::string SoftwareBreakpoint(const std::string& instruction);
  static std::string GdbTargetDescription(const std::string& annex);
  std::vector<std::string> GdbRegisters();

  uint64_t Pc();
  // RegsDigest() of x1..x31 and the privilege mode of hart 0.
  uint64_t RegistersDigest();

 private:
  HartDescription DescribeAndTrimHart(KvmVcpu& vcpu);

  KvmVm vm_;
  GuestMemory memory_;
  std::vector<KvmVcpu> vcpus_;
  HartDescription hart_;
  std::string time_mechanism_;
};

}  // namespace vmrr::riscv64
