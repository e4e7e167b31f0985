// Every KVM exit vmrr sees is decoded here, once, into a VcpuStop
// (replay/replay_vcpu.h): run, record and replay all read exits through
// DecodeExit().  The generic exits (MMIO, system events, signals, debug,
// entry failures) are decoded here; the architecture's own (riscv64 SBI
// calls and counter CSRs, arm64 timer system registers, an idle WFI under
// the vmrr host series) by its ArchExits, which also answers them.
#pragma once

#include <linux/kvm.h>

#include <cstdint>
#include <functional>
#include <optional>
#include <vector>

#include "replay/replay_vcpu.h"

namespace vmrr {

class ArchExits {
 public:
  virtual ~ArchExits() = default;

  // An exit the generic decoder does not know, as kHypercall, kClockRead
  // (function: the ClockCounter), kTimer or kIdle; nullopt when it is none.
  virtual std::optional<VcpuStop> Decode(const kvm_run& run) const = 0;

  // Answers for the guest (record computes them, replay takes them from the
  // trace): a hypercall's or timer access's values, a counter's value.
  virtual void CompleteHypercall(kvm_run& run, const std::vector<uint64_t>& values) const = 0;
  virtual void CompleteClockRead(kvm_run& run, uint64_t value) const = 0;

  // Run and record: answers a hypercall KVM left to the VMM (riscv64 SBI
  // extensions: not supported) and returns the values it answered.
  virtual std::vector<uint64_t> AnswerHypercall(kvm_run& run) = 0;

  // Run and record with VMM-owned time: a timer access (riscv64 SBI
  // set_timer; arm64 CNTV_*/CNTP_*), answered here with the guest's counter
  // `ticks()` (read only when needed).  The trace records it as a Hypercall
  // event (`function`, `values`) that replay answers with the same values.
  struct TimerAccess {
    uint64_t function = 0;
    std::vector<uint64_t> values;
    uint32_t timer = 0;                // its interrupt: Line(kTimerLine + timer)
    std::optional<uint64_t> deadline;  // when it fires now; nullopt: it cannot
  };
  virtual TimerAccess AccessTimer(kvm_run& run, const std::function<uint64_t()>& ticks) = 0;
  // The guest's timers: Line(kTimerLine + i) for i below this.
  virtual uint32_t timer_count() const = 0;
};

VcpuStop DecodeExit(const ArchExits& arch, const kvm_run& run);

}  // namespace vmrr
