// The counting loop `vmrr doctor` runs in a tiny VM.  Both architectures use
// the same five-instruction shape, so its length is known exactly:
//
//   0 load:   counter := N           (arm64 mov x0,x4   | riscv mv a0,a4)
//   1 dec:    counter -= 1           (subs x0,x0,#1     | addi a0,a0,-1)
//   2 branch: if counter != 0 goto 1 (b.ne              | bnez)
//   3 store:  store to unmapped GPA  -> KVM_EXIT_MMIO; KVM emulates and skips it
//   4 jump:   goto 0                 (b                 | j)
//
// The first pass retires 2N+1 instructions (load + N*(dec, branch)); every
// later pass also retires the jump: 2N+2.  The store is never counted.
#pragma once

#include <array>
#include <cstdint>

namespace vmrr {

constexpr uint64_t kProbeCodeGpa = 0x80000000;  // the page holding the loop
constexpr uint64_t kProbeCodeSize = 0x10000;
constexpr uint64_t kProbeMmioGpa = 0x10000000;  // unmapped: the store exits

enum class LoopStep : int { kLoad = 0, kDecrement = 1, kBranch = 2, kStore = 3, kJump = 4 };

using LoopCode = std::array<uint32_t, 5>;

LoopCode Arm64LoopCode();
LoopCode Riscv64LoopCode();

constexpr uint64_t FirstPassLength(uint64_t n) { return 2 * n + 1; }
constexpr uint64_t RepeatPassLength(uint64_t n) { return 2 * n + 2; }

// Instructions retired since a fresh vCPU started at `load`, for a vCPU now
// stopped before the instruction at `pc` with loop counter `counter`, within
// the first pass.  Returns -1 for a PC outside the loop.
int64_t RetiredInFirstPass(uint64_t n, uint64_t pc, uint64_t counter);

}  // namespace vmrr
