// A SiFive-compatible platform-level interrupt controller (riscv64 guests),
// emulated in the VMM so that replay decides exactly when each external
// interrupt reaches the guest.  Device tree:
//   compatible = "sifive,plic-1.0.0", "riscv,plic0"; reg = <base 0x4000000>;
//   riscv,ndev = <num_sources>; interrupts-extended = <&cpuN_intc 9 ...>;
// One context per hart, its S-mode context (a KVM guest has no M mode), so
// context index == hart index.  Each context's output is an IrqLine that the
// machine wires to the vCPU's supervisor external interrupt.
//
// Gateways are level-triggered, as Linux's irq-sifive-plic expects: a source
// not in service is pending exactly while its line is high (a line dropping
// before the claim withdraws the request), a claimed source cannot become
// pending until it is completed, and completing it while its line is still
// high makes it pending again.
#pragma once

#include <cstdint>
#include <vector>

#include "devices/mmio_device.h"

namespace vmrr {

class Plic : public MmioDevice {
 public:
  static constexpr uint32_t kMaxSources = 1023;    // IDs 1..1023; 0 means "none"
  static constexpr uint32_t kMaxContexts = 15872;  // what the register map has room for
  static constexpr uint32_t kMaxPriority = 7;      // priority and threshold are 3 bits

  // Sources 1..num_sources (1..kMaxSources); one context per output
  // (1..kMaxContexts of them).  Outputs are called only when their level
  // changes and may be empty.  Throws Error(kInternal) on bad counts.
  Plic(uint32_t num_sources, std::vector<IrqLine> context_outputs);
  // SourceLine hands out callables that point at this object.
  Plic(const Plic&) = delete;
  Plic& operator=(const Plic&) = delete;

  uint64_t window_size() const override { return 0x4000000; }
  // Aligned 32-bit accesses only; others read 0 and are ignored.  Reading a
  // context's claim register claims an interrupt (a read with a side effect).
  void Read(uint64_t offset, uint8_t* data, uint32_t len) override;
  void Write(uint64_t offset, const uint8_t* data, uint32_t len) override;

  // The IrqLine a device raises for `source`; the Plic must outlive it.
  // Throws Error(kInternal) unless 1 <= source <= num_sources().
  IrqLine SourceLine(uint32_t source);
  // Drives the line of `source`; same precondition as SourceLine.
  void SetLevel(uint32_t source, bool level);

  uint32_t num_sources() const { return num_sources_; }
  uint32_t num_contexts() const { return static_cast<uint32_t>(contexts_.size()); }
  // The current level of a context's output; false for unknown contexts.
  bool output_level(uint32_t context) const;

 private:
  struct Context {
    IrqLine output;
    std::vector<uint32_t> enables;  // one bit per source, num_words_ words
    uint32_t threshold = 0;
    bool output_level = false;
  };

  uint32_t ReadRegister(uint64_t offset);
  void WriteRegister(uint64_t offset, uint32_t value);
  void CheckSource(uint32_t source) const;
  // The source `context` would claim now: pending, enabled, priority above
  // the threshold, highest priority and then lowest ID; 0 if none.
  uint32_t BestPending(const Context& context) const;
  uint32_t Claim(Context& context);
  void Complete(uint32_t source);
  // Bits of word `word` that name existing sources (never source 0).
  uint32_t ValidSourceMask(uint32_t word) const;
  void UpdateOutputs();

  static bool TestBit(const std::vector<uint32_t>& bits, uint32_t index) {
    return (bits[index / 32] >> (index % 32)) & 1;
  }
  static void SetBit(std::vector<uint32_t>& bits, uint32_t index, bool value);

  uint32_t num_sources_;
  uint32_t num_words_;                // 32-bit words covering sources 0..num_sources_
  std::vector<uint32_t> priority_;    // by source; [0] unused
  std::vector<uint32_t> pending_;     // bit per source
  std::vector<uint32_t> in_service_;  // claimed and not yet completed
  std::vector<uint32_t> line_high_;   // the current level of each source's line
  std::vector<Context> contexts_;
};

}  // namespace vmrr
