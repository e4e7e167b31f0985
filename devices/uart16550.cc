#include "devices/uart16550.h"

#include <algorithm>
#include <cstring>
#include <utility>

namespace vmrr {
namespace {

// Register offsets (reg-shift 0).
constexpr uint64_t kRbrThr = 0;  // DLL when LCR.DLAB
constexpr uint64_t kIer = 1;     // DLM when LCR.DLAB
constexpr uint64_t kIirFcr = 2;
constexpr uint64_t kLcr = 3;
constexpr uint64_t kMcr = 4;
constexpr uint64_t kLsr = 5;
constexpr uint64_t kMsr = 6;
constexpr uint64_t kScr = 7;

constexpr uint8_t kIerRxData = 0x01;
constexpr uint8_t kIerThre = 0x02;
constexpr uint8_t kIerLineStatus = 0x04;
constexpr uint8_t kIerModemStatus = 0x08;

constexpr uint8_t kIirNone = 0x01;
constexpr uint8_t kIirModemStatus = 0x00;
constexpr uint8_t kIirThre = 0x02;
constexpr uint8_t kIirRxData = 0x04;
constexpr uint8_t kIirLineStatus = 0x06;
constexpr uint8_t kIirFifosEnabled = 0xc0;

constexpr uint8_t kFcrEnable = 0x01;
constexpr uint8_t kFcrClearRx = 0x02;

constexpr uint8_t kLcrDlab = 0x80;

constexpr uint8_t kMcrDtr = 0x01;
constexpr uint8_t kMcrRts = 0x02;
constexpr uint8_t kMcrOut1 = 0x04;
constexpr uint8_t kMcrOut2 = 0x08;
constexpr uint8_t kMcrLoop = 0x10;

constexpr uint8_t kLsrDr = 0x01;
constexpr uint8_t kLsrOe = 0x02;
constexpr uint8_t kLsrThre = 0x20;
constexpr uint8_t kLsrTemt = 0x40;

constexpr uint8_t kMsrDcts = 0x01;
constexpr uint8_t kMsrDdsr = 0x02;
constexpr uint8_t kMsrTeri = 0x04;
constexpr uint8_t kMsrDdcd = 0x08;
constexpr uint8_t kMsrCts = 0x10;
constexpr uint8_t kMsrDsr = 0x20;
constexpr uint8_t kMsrRi = 0x40;
constexpr uint8_t kMsrDcd = 0x80;

}  // namespace

Uart16550::Uart16550(IrqLine irq, Sink sink) : irq_(std::move(irq)), sink_(std::move(sink)) {}

void Uart16550::Read(uint64_t offset, uint8_t* data, uint32_t len) {
  std::memset(data, 0, len);
  if (len > 0) data[0] = ReadRegister(offset);
  UpdateIrq();
}

void Uart16550::Write(uint64_t offset, const uint8_t* data, uint32_t len) {
  if (len > 0) WriteRegister(offset, data[0]);
  UpdateIrq();
}

void Uart16550::PushInput(const uint8_t* data, size_t len) {
  Receive(data, len);
  UpdateIrq();
}

uint8_t Uart16550::ReadRegister(uint64_t offset) {
  const bool dlab = (lcr_ & kLcrDlab) != 0;
  switch (offset) {
    case kRbrThr: {
      if (dlab) return dll_;
      if (rx_.empty()) return 0;
      uint8_t byte = rx_.front();
      rx_.pop_front();
      return byte;
    }
    case kIer:
      return dlab ? dlm_ : ier_;
    case kIirFcr: {
      uint8_t id = PendingInterrupt();
      // Reading IIR acknowledges THRE when it is the source reported.
      if (id == kIirThre) thre_pending_ = false;
      return id | (fifo_enabled_ ? kIirFifosEnabled : 0);
    }
    case kLcr:
      return lcr_;
    case kMcr:
      return mcr_;
    case kLsr: {
      uint8_t lsr = kLsrThre | kLsrTemt;
      if (!rx_.empty()) lsr |= kLsrDr;
      if (overrun_) lsr |= kLsrOe;
      overrun_ = false;
      return lsr;
    }
    case kMsr: {
      uint8_t msr = ModemStatusLines() | msr_deltas_;
      msr_deltas_ = 0;
      return msr;
    }
    case kScr:
      return scr_;
    default:
      return 0;
  }
}

void Uart16550::WriteRegister(uint64_t offset, uint8_t value) {
  const bool dlab = (lcr_ & kLcrDlab) != 0;
  switch (offset) {
    case kRbrThr:
      if (dlab) {
        dll_ = value;
      } else {
        Transmit(value);
      }
      break;
    case kIer:
      if (dlab) {
        dlm_ = value;
      } else {
        WriteIer(value);
      }
      break;
    case kIirFcr:
      WriteFcr(value);
      break;
    case kLcr:
      lcr_ = value;
      break;
    case kMcr:
      WriteMcr(value);
      break;
    case kScr:
      scr_ = value;
      break;
    default:  // LSR and MSR are read-only (their writes are factory tests)
      break;
  }
}

void Uart16550::Transmit(uint8_t byte) {
  if (mcr_ & kMcrLoop) {
    Receive(&byte, 1);
  } else if (sink_) {
    sink_(byte);
  }
  // Writing THR clears the THRE interrupt; the byte leaves at once, so THR is
  // empty again and the interrupt is re-raised.
  thre_pending_ = true;
}

void Uart16550::Receive(const uint8_t* data, size_t len) {
  size_t take = std::min(len, rx_free());
  rx_.insert(rx_.end(), data, data + take);
  if (take < len) {
    rx_dropped_ += len - take;
    overrun_ = true;
  }
}

void Uart16550::WriteIer(uint8_t value) {
  uint8_t changed = (ier_ ^ value) & 0x0f;
  ier_ = value & 0x0f;
  // Enabling the THRE interrupt while THR is empty raises it again even if it
  // had been acknowledged by an IIR read (Linux's startup probes for this).
  if (changed & kIerThre) thre_pending_ = (ier_ & kIerThre) != 0;
}

void Uart16550::WriteFcr(uint8_t value) {
  bool enable = (value & kFcrEnable) != 0;
  // Changing the FIFO mode resets the FIFOs, like the chip.
  if (enable != fifo_enabled_ || (value & kFcrClearRx)) rx_.clear();
  fifo_enabled_ = enable;
  // The TX FIFO is always empty; trigger levels do not matter because RX
  // data raises its interrupt as soon as one byte is there (no timeouts).
}

void Uart16550::WriteMcr(uint8_t value) {
  uint8_t before = ModemStatusLines();
  mcr_ = value & 0x1f;
  uint8_t after = ModemStatusLines();
  uint8_t changed = before ^ after;
  if (changed & kMsrCts) msr_deltas_ |= kMsrDcts;
  if (changed & kMsrDsr) msr_deltas_ |= kMsrDdsr;
  if ((before & kMsrRi) && !(after & kMsrRi)) msr_deltas_ |= kMsrTeri;
  if (changed & kMsrDcd) msr_deltas_ |= kMsrDdcd;
}

uint8_t Uart16550::ModemStatusLines() const {
  if (!(mcr_ & kMcrLoop)) return kMsrCts | kMsrDsr | kMsrDcd;  // a terminal is attached
  // Loopback wires the modem outputs back to the inputs.
  uint8_t msr = 0;
  if (mcr_ & kMcrRts) msr |= kMsrCts;
  if (mcr_ & kMcrDtr) msr |= kMsrDsr;
  if (mcr_ & kMcrOut1) msr |= kMsrRi;
  if (mcr_ & kMcrOut2) msr |= kMsrDcd;
  return msr;
}

uint8_t Uart16550::PendingInterrupt() const {
  if ((ier_ & kIerLineStatus) && overrun_) return kIirLineStatus;
  if ((ier_ & kIerRxData) && !rx_.empty()) return kIirRxData;
  if ((ier_ & kIerThre) && thre_pending_) return kIirThre;
  if ((ier_ & kIerModemStatus) && msr_deltas_ != 0) return kIirModemStatus;
  return kIirNone;
}

void Uart16550::UpdateIrq() {
  bool level = PendingInterrupt() != kIirNone;
  if (level == irq_level_) return;
  irq_level_ = level;
  if (irq_) irq_(level);
}

Uart16550::State Uart16550::state() const {
  State s;
  s.rx = rx_;
  s.rx_dropped = rx_dropped_;
  s.ier = ier_;
  s.lcr = lcr_;
  s.mcr = mcr_;
  s.scr = scr_;
  s.dll = dll_;
  s.dlm = dlm_;
  s.fifo_enabled = fifo_enabled_;
  s.overrun = overrun_;
  s.thre_pending = thre_pending_;
  s.irq_level = irq_level_;
  s.msr_deltas = msr_deltas_;
  return s;
}

void Uart16550::set_state(const State& s) {
  rx_ = s.rx;
  rx_dropped_ = s.rx_dropped;
  ier_ = s.ier;
  lcr_ = s.lcr;
  mcr_ = s.mcr;
  scr_ = s.scr;
  dll_ = s.dll;
  dlm_ = s.dlm;
  fifo_enabled_ = s.fifo_enabled;
  overrun_ = s.overrun;
  thre_pending_ = s.thre_pending;
  irq_level_ = s.irq_level;
  msr_deltas_ = s.msr_deltas;
}

}  // namespace vmrr
