// An NS16550A UART as Linux's 8250 driver sees it.  Device tree:
//   compatible = "ns16550a"; reg = <base 8>; reg-shift = <0>;
//   reg-io-width = <1>; clock-frequency = <1843200>; interrupts = <...>;
//
// Transmission is instantaneous (the byte goes to the sink inside the THR
// write), so THR and the transmitter are always empty and the divisor only
// reads back.  Console input is an external input of the machine: it enters
// only through PushInput, where a recorder can capture it.
#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>

#include "devices/mmio_device.h"

namespace vmrr {

class Uart16550 : public MmioDevice {
 public:
  // Host-side input buffer: the guest's "RX FIFO".  Larger than the chip's 16
  // bytes so that pasted input survives until the guest reads it.
  static constexpr size_t kRxCapacity = 4096;

  using Sink = std::function<void(uint8_t)>;

  // `irq` follows the interrupt output (called only when the level changes);
  // `sink` receives every byte the guest transmits.
  Uart16550(IrqLine irq, Sink sink);

  uint64_t window_size() const override { return 8; }
  // Registers are one byte wide; wider accesses use the low byte (writes) or
  // return the register zero-extended (reads).
  void Read(uint64_t offset, uint8_t* data, uint32_t len) override;
  void Write(uint64_t offset, const uint8_t* data, uint32_t len) override;

  // Appends console input to the RX FIFO.  Bytes that do not fit are dropped,
  // counted and reported to the guest as an overrun (LSR.OE).
  void PushInput(const uint8_t* data, size_t len);
  bool HasPendingInput() const { return !rx_.empty(); }
  size_t rx_free() const { return kRxCapacity - rx_.size(); }
  uint64_t rx_dropped() const { return rx_dropped_; }
  bool irq_level() const { return irq_level_; }

  // Everything the guest can observe (replay's checkpoints).
  struct State {
    std::deque<uint8_t> rx;
    uint64_t rx_dropped = 0;
    uint8_t ier = 0, lcr = 0, mcr = 0, scr = 0, dll = 0, dlm = 0;
    bool fifo_enabled = false, overrun = false, thre_pending = false, irq_level = false;
    uint8_t msr_deltas = 0;
  };
  State state() const;
  // Puts the registers back; the interrupt output is left to the caller's
  // own restore of the line (no edge is sent).
  void set_state(const State& state);

 private:
  uint8_t ReadRegister(uint64_t offset);
  void WriteRegister(uint64_t offset, uint8_t value);
  void Transmit(uint8_t byte);
  void Receive(const uint8_t* data, size_t len);
  void WriteIer(uint8_t value);
  void WriteFcr(uint8_t value);
  void WriteMcr(uint8_t value);
  uint8_t ModemStatusLines() const;
  // The IIR interrupt id (bits 3..0) of the highest-priority pending source.
  uint8_t PendingInterrupt() const;
  void UpdateIrq();

  IrqLine irq_;
  Sink sink_;
  std::deque<uint8_t> rx_;
  uint64_t rx_dropped_ = 0;
  uint8_t ier_ = 0;
  uint8_t lcr_ = 0;
  uint8_t mcr_ = 0;
  uint8_t scr_ = 0;
  uint8_t dll_ = 0;
  uint8_t dlm_ = 0;
  bool fifo_enabled_ = false;
  bool overrun_ = false;       // LSR.OE, cleared by reading LSR
  uint8_t msr_deltas_ = 0;     // MSR bits 3..0, cleared by reading MSR
  bool thre_pending_ = false;  // the THR-empty interrupt condition
  bool irq_level_ = false;
};

}  // namespace vmrr
