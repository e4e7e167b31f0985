// The arm64 KVM machine: a VM with guest RAM at kRamBase, an in-kernel GICv3,
// vCPUs with PSCI 0.2 (handled by KVM), and SPI lines for devices.
#pragma once

#include <cstdint>
#include <memory>
#include <vector>

#include "devices/mmio_device.h"
#include "vmm/guest_memory.h"
#include "vmm/kvm.h"

namespace vmrr::arm64 {

class Machine {
 public:
  // Creates the VM, its RAM (`ram_size` bytes) and `cpus` vCPUs, and the vGIC.
  Machine(const KvmSystem& kvm, uint64_t ram_size, int cpus);

  GuestMemory& memory() { return memory_; }
  KvmVm& vm() { return vm_; }
  KvmVcpu& vcpu(int index) { return vcpus_.at(index); }

  // A level-triggered line to the vGIC's SPI `spi` (INTID 32 + spi).
  IrqLine SpiLine(uint32_t spi);
  // Sets vCPU 0 to enter the kernel: PC = entry, x0 = device tree, EL1h,
  // interrupts masked (the arm64 boot protocol).
  void SetBootRegisters(uint64_t entry, uint64_t dtb);

  uint64_t Pc();
  // RegsDigest() of x0..x30, SP_EL1 and PSTATE of vCPU 0.
  uint64_t RegistersDigest();
  void SetSingleStep(bool on);

 private:
  KvmVm vm_;
  GuestMemory memory_;
  std::vector<KvmVcpu> vcpus_;
  UniqueFd vgic_;
};

}  // namespace vmrr::arm64
