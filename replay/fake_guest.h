// A simulated guest for record/replay tests: a tiny program of operations
// that retire (ADD, DEC_JNZ, IRET) or exit without retiring, like emulated
// MMIO on arm64 (READ, WRITE); a level interrupt line diverts it to a
// handler at an instruction boundary; its overflow stops late by a random
// skid; Run() can be cut short to play the recorder's kick signal.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include "replay/debug_vcpu.h"
#include "replay/replay_vcpu.h"

namespace vmrr::testing {

// kReadClock and kWfi exit like a clock read and a WFI when the VMM owns time.
enum class OpKind { kAdd, kRead, kWrite, kLoadMem, kDecJnz, kIret, kOff, kReadClock, kWfi };
struct Op {
  OpKind kind;
  uint64_t arg = 0;
};

// Device addresses the test program uses.
inline constexpr uint64_t kRandomReg = 0x100;  // reads host randomness
inline constexpr uint64_t kOutputReg = 0x200;  // writes a console byte
inline constexpr uint64_t kAckReg = 0x300;     // read: acknowledges the interrupt
inline constexpr uint64_t kDmaReg = 0x400;     // write: the device fills memory
inline constexpr uint32_t kTimerLine = 5;
inline constexpr uint64_t kHandlerPc = 100;

// main loop (pc 0..) and interrupt handler (pc 100..).
std::vector<Op> TestProgram(uint64_t loops);

class FakeGuest : public ReplayVcpu, public DebugVcpu {
 public:
  FakeGuest(std::vector<Op> program, uint64_t max_skid, uint32_t seed);

  // Run() returns kInterrupted after this many more retired instructions
  // (0: at entry, after completing a pending exit); UINT64_MAX: never.
  void set_kick_after(uint64_t instructions) { kick_after_ = instructions; }

  uint64_t Instructions() override { return count_; }
  Stop RunWithOverflow(uint64_t count) override;
  Stop Step() override;
  VcpuStop Run() override;
  VcpuStop LastExit() override { return last_exit_; }
  uint64_t Pc() override { return pc_; }
  uint64_t RegistersDigest() override;
  void CompleteMmioRead(uint64_t value) override;
  void CompleteHypercall(const std::vector<uint64_t>&) override {}
  void CompleteClockRead(uint64_t value) override { pending_value_ = value; }
  void SettlePendingExit() override;
  void SetInterruptLine(uint32_t line, bool level) override;
  bool WriteMemory(uint64_t gpa, const std::string& data) override;
  uint64_t MemoryDigest(std::vector<uint64_t>* pages) override;
  uint64_t MemoryDigestOf(const std::vector<uint64_t>& pages) override;
  // Everything the program sees; the skid and retry noise are the host's
  // and go on as they are.
  std::any SaveState() override;
  void RestoreState(const std::any& state) override;
  // RestoresExactly() of a checkpoint taken at a count: false where
  // `inexact` says so (as KVM's write protection can make it).
  void set_inexact(std::function<bool(uint64_t count)> inexact) { inexact_ = std::move(inexact); }
  bool RestoresExactly(const std::any& state) override;
  uint64_t restored_from() const { return restored_from_; }

  // Count skew, as a store-conditional that failed and ran again: after an
  // ADD of `arg`, one time in `one_in` the count grows by `extra` more
  // instructions with nothing else changed.
  void set_retry_noise(uint64_t arg, uint32_t one_in, uint64_t extra) {
    noise_arg_ = arg;
    noise_one_in_ = one_in;
    noise_extra_ = extra;
  }
  uint64_t noise_events() const { return noise_events_; }
  // Every MemoryDigest() also names this page, changed or not (KVM's dirty
  // log can mark a page the guest did not change).
  void set_spurious_dirty_page(uint64_t page) { spurious_page_ = page; }
  // ExplainCodeAt() says this of every PC (as if all code were an LL/SC loop).
  void set_code_note(std::string note) { code_note_ = std::move(note); }
  std::string ExplainCodeAt(uint64_t) override { return code_note_; }

  // The debugger's view: breakpoints stop before the op runs; memory is
  // physical at any address; registers acc, loops, saved_pc, in_handler,
  // pc (8 bytes each, little-endian).
  bool SetBreakpoints(const std::vector<uint64_t>& pcs) override;
  // SetBreakpoints() fails before this count (code not mapped yet).
  void set_breakpoints_mapped_from(uint64_t count) { breakpoints_mapped_from_ = count; }
  bool ReadMemory(uint64_t address, bool physical, uint64_t len, std::string* out) override;
  std::string TargetDescription(const std::string& annex) override;
  std::vector<std::string> Registers() override;
  uint64_t DebugPc() override { return pc_; }

  uint64_t acc() const { return acc_; }
  bool line_high() const { return line_; }

 private:
  struct State;
  // Executes until `stop_at` instructions or an exit; true on an exit.
  bool Execute(uint64_t stop_at, bool one_step);

  std::vector<Op> program_;
  std::function<bool(uint64_t)> inexact_;
  uint64_t restored_from_ = 0;
  uint64_t breakpoints_mapped_from_ = 0;
  uint64_t max_skid_;
  std::mt19937_64 rng_;
  uint64_t pc_ = 0;
  uint64_t acc_ = 1;
  uint64_t loops_left_ = 0;
  uint64_t saved_pc_ = 0;
  bool in_handler_ = false;
  bool line_ = false;
  uint64_t count_ = 0;
  bool pending_ = false;
  uint64_t pending_value_ = 0;
  VcpuStop last_exit_;
  uint64_t kick_after_ = UINT64_MAX;
  uint64_t noise_arg_ = 0;
  uint32_t noise_one_in_ = 0;
  uint64_t noise_extra_ = 0;
  uint64_t noise_events_ = 0;
  std::optional<uint64_t> spurious_page_;
  std::mt19937_64 noise_rng_{12345};
  std::vector<uint8_t> memory_ = std::vector<uint8_t>(4096, 0);
  std::vector<uint8_t> digested_ = std::vector<uint8_t>(4096, 0);
  std::string code_note_;
  std::vector<uint64_t> breakpoints_;
};

}  // namespace vmrr::testing
