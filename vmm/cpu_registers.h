// The CPU identification registers a guest reads (arm64 ID registers,
// riscv64 config registers), as KVM ONE_REGs: record reads them for the
// trace header, replay presents the recorded values (setting those KVM lets
// the VMM choose, comparing the rest) or says which one it cannot.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "vmm/kvm.h"

namespace vmrr {

struct CpuRegister {
  std::string name;
  uint64_t id = 0;
  uint64_t value = 0;
  bool settable = false;  // KVM takes a value (up to what the host has)
};

struct CpuRegisterSpec {
  const char* name;
  uint64_t id;
  bool settable;
};

using OneRegGet = std::function<std::optional<uint64_t>(uint64_t id)>;
using OneRegSet = std::function<bool(uint64_t id, uint64_t value)>;

// The registers of `specs` this host's KVM has (one it cannot read is left
// out: an older KVM).
std::vector<CpuRegister> ReadCpuRegisters(const std::vector<CpuRegisterSpec>& specs,
                                          const OneRegGet& get);

// Sets every settable recorded register, then checks that each reads back
// as recorded.  "" when all do, else one line naming the first that does not.
std::string PresentCpuRegisters(const std::vector<CpuRegister>& recorded, const OneRegGet& get,
                                const OneRegSet& set);

// The same on KVM vCPUs: read from `vcpu`; present to every one of `vcpus`.
std::vector<CpuRegister> ReadCpuRegisters(const std::vector<CpuRegisterSpec>& specs,
                                          const KvmVcpu& vcpu);
std::string PresentCpuRegisters(const std::vector<CpuRegister>& recorded,
                                std::vector<KvmVcpu>& vcpus);

}  // namespace vmrr
