#include "vmm/probe_loop.h"

namespace vmrr {

LoopCode Arm64LoopCode() {
  return {
      0xaa0403e0,  // mov  x0, x4
      0xf1000400,  // subs x0, x0, #1
      0x54ffffe1,  // b.ne .-4
      0xf9000041,  // str  x1, [x2]
      0x17fffffc,  // b    .-16
  };
}

LoopCode Riscv64LoopCode() {
  return {
      0x00070513,  // mv   a0, a4
      0xfff50513,  // addi a0, a0, -1
      0xfe051ee3,  // bnez a0, .-4
      0x00a2b023,  // sd   a0, 0(t0)
      0xff1ff06f,  // j    .-16
  };
}

int64_t RetiredInFirstPass(uint64_t n, uint64_t pc, uint64_t counter) {
  if (pc < kProbeCodeGpa || pc >= kProbeCodeGpa + 5 * 4 || pc % 4 != 0) return -1;
  auto step = static_cast<LoopStep>((pc - kProbeCodeGpa) / 4);
  uint64_t done = n - counter;  // completed decrements
  switch (step) {
    case LoopStep::kLoad:
      return 0;
    case LoopStep::kDecrement:
      return static_cast<int64_t>(1 + 2 * done);
    case LoopStep::kBranch:
      return static_cast<int64_t>(2 * done);  // this pass's dec ran
    case LoopStep::kStore:
      return static_cast<int64_t>(FirstPassLength(n));
    case LoopStep::kJump:
      return static_cast<int64_t>(FirstPassLength(n));
  }
  return -1;
}

}  // namespace vmrr
