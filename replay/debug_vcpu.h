// What a debugger needs of the replayed machine beyond replay itself:
// breakpoints the vCPU stops at (a kDebug exit, before the instruction
// runs), memory by guest virtual or physical address, and the registers in
// the order of the target description gdb reads (qXfer:features:read).
// vmm/ implements it over KVM (arm64 hardware breakpoints, riscv64 ebreak);
// replay/'s tests over the simulated guest.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace vmrr {

class DebugVcpu {
 public:
  virtual ~DebugVcpu() = default;
  // From now on the vCPU stops before executing any of `pcs` (guest
  // virtual addresses); empty: none.  False when it cannot hold them all
  // (the set is then unchanged).
  virtual bool SetBreakpoints(const std::vector<uint64_t>& pcs) = 0;
  // `len` bytes at a guest virtual (or physical) address as the guest sees
  // them; false when some of it is not mapped or not RAM.
  virtual bool ReadMemory(uint64_t address, bool physical, uint64_t len, std::string* out) = 0;
  // The target description gdb asks for (annex "target.xml" and what it
  // includes); "" when there is no such annex.
  virtual std::string TargetDescription(const std::string& annex) = 0;
  // Every register's bytes (target byte order), in the description's order.
  virtual std::vector<std::string> Registers() = 0;
  virtual uint64_t DebugPc() = 0;
};

}  // namespace vmrr
