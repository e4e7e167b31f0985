#include "vmm/probe_loop.h"

#include <gtest/gtest.h>

namespace vmrr {
namespace {

TEST(ProbeLoop, PassLengths) {
  EXPECT_EQ(FirstPassLength(1000), 2001u);
  EXPECT_EQ(RepeatPassLength(1000), 2002u);
}

TEST(ProbeLoop, RetiredFromPcAndCounter) {
  const uint64_t n = 10;
  EXPECT_EQ(RetiredInFirstPass(n, kProbeCodeGpa, 0), 0);
  // After load: counter = n, before the first decrement.
  EXPECT_EQ(RetiredInFirstPass(n, kProbeCodeGpa + 4, n), 1);
  // After load + dec: counter = n-1, before the branch.
  EXPECT_EQ(RetiredInFirstPass(n, kProbeCodeGpa + 8, n - 1), 2);
  // After load + dec + branch: back at dec with n-1.
  EXPECT_EQ(RetiredInFirstPass(n, kProbeCodeGpa + 4, n - 1), 3);
  // Loop done: at the store, 2n+1 retired.
  EXPECT_EQ(RetiredInFirstPass(n, kProbeCodeGpa + 12, 0), 21);
}

TEST(ProbeLoop, PcOutsideLoopIsRejected) {
  EXPECT_EQ(RetiredInFirstPass(10, kProbeCodeGpa - 4, 0), -1);
  EXPECT_EQ(RetiredInFirstPass(10, kProbeCodeGpa + 20, 0), -1);
  EXPECT_EQ(RetiredInFirstPass(10, kProbeCodeGpa + 2, 0), -1);
}

// The encodings are checked against the cross assemblers' output by hand; a
// decode of the fields that matter guards against accidental edits.
TEST(ProbeLoop, Arm64BranchOffsets) {
  LoopCode code = Arm64LoopCode();
  // b.ne imm19 = -1 (one instruction back), cond NE = 1
  EXPECT_EQ((code[2] >> 5) & 0x7ffff, 0x7ffffu);
  EXPECT_EQ(code[2] & 0xf, 1u);
  // b imm26 = -4
  EXPECT_EQ(code[4] & 0x3ffffff, 0x3fffffcu);
}

TEST(ProbeLoop, Riscv64BranchOffsets) {
  LoopCode code = Riscv64LoopCode();
  // All five are 32-bit instructions (low two bits 11), no compressed forms.
  for (uint32_t insn : code) EXPECT_EQ(insn & 3, 3u);
  // jal x0: opcode 0x6f, rd 0
  EXPECT_EQ(code[4] & 0xfff, 0x06fu);
}

}  // namespace
}  // namespace vmrr
