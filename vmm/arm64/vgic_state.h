// The state of KVM's GICv3 that a checkpoint saves, as device attributes
// (Documentation/virt/kvm/devices/arm-vgic-v3.rst): distributor registers of
// the SPIs, each vCPU's redistributor (SGIs and PPIs) and CPU interface
// system registers, and the input line levels.  Pure: which attributes, in
// which order, and how set/clear register pairs are put back.  No KVM
// headers (the group numbers are the uapi's), so it is tested on any host.
#pragma once

#include <cstdint>
#include <vector>

namespace vmrr::arm64 {

// KVM_DEV_ARM_VGIC_GRP_* (arm64 uapi).
enum class VgicGroup : uint32_t {
  kDistRegs = 1,
  kRedistRegs = 5,
  kCpuSysregs = 6,
  kLevelInfo = 7,
};

struct VgicRegister {
  VgicGroup group;
  uint64_t attr;  // offset (or sysreg encoding / vINTID) | mpidr << 32
  bool wide;      // a 64-bit value (CPU system registers)
  // A set/clear pair: restoring first writes all ones to this attr (the
  // clear register), then the saved value to `attr`.  0: a plain register.
  uint64_t clear_attr;
  bool optional;  // KVM may not have it (priority bits decide the APnR count)
};

// The registers in restore order, for a GIC with `spis` SPIs and vCPUs whose
// MPIDR_EL1 values are `mpidrs`.
std::vector<VgicRegister> VgicRegisters(uint32_t spis, const std::vector<uint64_t>& mpidrs);

// The mpidr field of an attribute (bits 63..32: Aff3.Aff2.Aff1.Aff0) from an
// MPIDR_EL1 value.
uint64_t VgicMpidrField(uint64_t mpidr_el1);

}  // namespace vmrr::arm64
