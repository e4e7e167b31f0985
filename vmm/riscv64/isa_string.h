// The device tree's riscv,isa string: what KVM offers the vCPU (the
// single-letter bitmap of the config.isa register and the ISA_EXT
// registers that read 1) minus what vmrr hides from the guest.
#pragma once

#include <cstdint>
#include <set>
#include <string>
#include <vector>

namespace vmrr::riscv64 {

// Extensions vmrr hides: H (no nested virtualization), Sscofpmf (no PMU
// for the guest), Zkr (its seed CSR reads host entropy; QEMU 11 even kills
// KVM_RUN on it).
const std::set<std::string>& HiddenExtensions();

// "rv64imafdc_zicsr_zifencei..." from the bitmap (bit n = letter 'a' + n)
// and multi-letter names (lower case), skipping `hidden`.
std::string BuildIsaString(uint64_t single_letters, const std::vector<std::string>& multi_letter,
                           const std::set<std::string>& hidden);

}  // namespace vmrr::riscv64
