// What record and replay need from a vCPU, beyond stopping at counts:
// its exits, its point (PC and registers), and ways to feed it inputs.
// vmm/ implements it over KVM; replay/'s tests over a simulated guest.
#pragma once

#include <any>
#include <cstdint>
#include <string>
#include <vector>

#include "replay/checkpointable.h"
#include "replay/run_to_point.h"

namespace vmrr {

// The counters a guest reads when the VMM owns time.
enum class ClockCounter : uint64_t { kTime = 0, kCycles = 1, kInstructions = 2 };

// Why KVM_RUN returned.
struct VcpuStop {
  enum class Kind {
    kMmio,       // gpa/len/is_write (write_value for writes)
    kHypercall,  // a call KVM left to the VMM (riscv64 SBI); `function`
    kTimer,      // a timer access the VMM owns (answered like a hypercall); `function`
    kClockRead,  // the guest read a counter the VMM owns; `function` is a ClockCounter
    kIdle,       // the guest waits for an interrupt (WFI) and the VMM owns time
    kPowerOff,
    kReset,
    kCrash,        // `detail` says what
    kInterrupted,  // a signal (or the step/overflow machinery) stopped it
    kDebug,        // a debug exit: a single step finished, a breakpoint
  };
  Kind kind = Kind::kInterrupted;
  uint64_t gpa = 0;
  uint32_t len = 0;
  bool is_write = false;
  uint64_t write_value = 0;
  uint64_t function = 0;
  std::string detail;
};

// Checkpointable: its state is saved only where no exit is pending (after
// SettlePendingExit), and restoring discards whatever exit is pending now.
class ReplayVcpu : public SteppableVcpu, public Checkpointable {
 public:
  // KVM_RUN until the next exit (or a signal).
  virtual VcpuStop Run() = 0;
  // The exit that RunWithOverflow() or Step() returned kExit for.
  virtual VcpuStop LastExit() = 0;
  virtual uint64_t Pc() = 0;
  virtual uint64_t RegistersDigest() = 0;
  // Answers the pending MMIO read / hypercall of the last exit.
  virtual void CompleteMmioRead(uint64_t value) = 0;
  virtual void CompleteHypercall(const std::vector<uint64_t>& values) = 0;
  virtual void CompleteClockRead(uint64_t value) = 0;
  // Finishes what the last exit left pending (the MMIO completion, the PC
  // moving past the emulated instruction) without running the guest.
  virtual void SettlePendingExit() = 0;
  virtual void SetInterruptLine(uint32_t line, bool level) = 0;
  // False when [gpa, gpa + size) is not guest RAM.
  virtual bool WriteMemory(uint64_t gpa, const std::string& data) = 0;
  // A digest of the guest pages written since the last call, and their
  // numbers (ascending).
  virtual uint64_t MemoryDigest(std::vector<uint64_t>* pages) = 0;
  // The same digest over the given pages, whatever was written.
  virtual uint64_t MemoryDigestOf(const std::vector<uint64_t>& pages) = 0;
  // For a divergence report: a line on what the code at `pc` does that can
  // make two runs differ (arm64: a load/store-exclusive loop), or "".
  virtual std::string ExplainCodeAt(uint64_t /*pc*/) { return ""; }
  // Bytes the last SaveState() copied (checkpoint figures).
  virtual uint64_t last_saved_bytes() const { return 0; }
  // Whether RestoreState(`state`) from here puts back everything that can
  // change the guest's count (KVM's write protection of its pages: a store
  // that faults retries a store-conditional).
  virtual bool RestoresExactly(const std::any& /*state*/) { return true; }
};

}  // namespace vmrr
