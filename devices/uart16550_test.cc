#include "devices/uart16550.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <string>
#include <vector>

namespace vmrr {
namespace {

constexpr uint64_t kRbr = 0, kThr = 0, kDll = 0, kIer = 1, kDlm = 1, kIir = 2, kFcr = 2, kLcr = 3,
                   kMcr = 4, kLsr = 5, kMsr = 6, kScr = 7;

class UartTest : public ::testing::Test {
 protected:
  UartTest()
      : uart_([this](bool level) { levels_.push_back(level); },
              [this](uint8_t byte) { output_.push_back(static_cast<char>(byte)); }) {}

  uint8_t In(uint64_t offset) {
    uint8_t v = 0xee;
    uart_.Read(offset, &v, 1);
    return v;
  }
  void Out(uint64_t offset, uint8_t value) { uart_.Write(offset, &value, 1); }
  void Push(const std::string& s) {
    uart_.PushInput(reinterpret_cast<const uint8_t*>(s.data()), s.size());
  }

  Uart16550 uart_;
  std::vector<bool> levels_;  // every call of the IRQ line
  std::string output_;
};

TEST_F(UartTest, ResetState) {
  EXPECT_EQ(In(kIer), 0);
  EXPECT_EQ(In(kIir), 0x01);  // no interrupt, FIFOs off
  EXPECT_EQ(In(kLcr), 0);
  EXPECT_EQ(In(kLsr), 0x60);  // THRE | TEMT
  EXPECT_EQ(In(kMsr), 0xb0);  // DCD | DSR | CTS: a terminal is attached
  EXPECT_FALSE(uart_.irq_level());
  EXPECT_TRUE(levels_.empty());
  EXPECT_EQ(uart_.window_size(), 8u);
}

TEST_F(UartTest, ThrBytesGoToTheSink) {
  for (char c : std::string("hi\n")) Out(kThr, static_cast<uint8_t>(c));
  EXPECT_EQ(output_, "hi\n");
  EXPECT_EQ(In(kLsr) & 0x60, 0x60);  // transmitted at once
}

TEST_F(UartTest, DlabSwitchesToDivisorLatches) {
  Out(kIer, 0x05);
  Out(kLcr, 0x83);  // DLAB | 8 bits
  Out(kDll, 0x01);
  Out(kDlm, 0x02);
  EXPECT_EQ(In(kDll), 0x01);
  EXPECT_EQ(In(kDlm), 0x02);
  EXPECT_EQ(In(kLcr), 0x83);
  EXPECT_TRUE(output_.empty());  // the DLL write was not a THR write
  Out(kLcr, 0x03);
  EXPECT_EQ(In(kIer), 0x05);  // IER kept its value under the latch
  Push("x");
  EXPECT_EQ(In(kRbr), 'x');
  Out(kLcr, 0x83);
  EXPECT_EQ(In(kDll), 0x01);  // divisor kept too
  EXPECT_EQ(In(kDlm), 0x02);
}

TEST_F(UartTest, ScratchAndIerMask) {
  Out(kScr, 0x5a);
  EXPECT_EQ(In(kScr), 0x5a);
  Out(kIer, 0xff);
  EXPECT_EQ(In(kIer), 0x0f);
}

TEST_F(UartTest, ReceiveFifoAndDataReady) {
  EXPECT_FALSE(uart_.HasPendingInput());
  Push("abc");
  EXPECT_TRUE(uart_.HasPendingInput());
  EXPECT_EQ(uart_.rx_free(), Uart16550::kRxCapacity - 3);
  EXPECT_EQ(In(kLsr) & 0x01, 0x01);
  EXPECT_EQ(In(kRbr), 'a');
  EXPECT_EQ(In(kRbr), 'b');
  EXPECT_EQ(In(kLsr) & 0x01, 0x01);
  EXPECT_EQ(In(kRbr), 'c');
  EXPECT_EQ(In(kLsr) & 0x01, 0x00);
  EXPECT_FALSE(uart_.HasPendingInput());
  EXPECT_EQ(In(kRbr), 0);  // empty FIFO reads 0
}

TEST_F(UartTest, ReceiveInterruptFollowsDataAndEnable) {
  Push("z");
  EXPECT_FALSE(uart_.irq_level());  // not enabled
  Out(kIer, 0x01);                  // ERBFI
  EXPECT_TRUE(uart_.irq_level());
  EXPECT_EQ(In(kIir), 0x04);
  EXPECT_TRUE(uart_.irq_level());  // reading IIR does not clear RX data
  EXPECT_EQ(In(kRbr), 'z');
  EXPECT_FALSE(uart_.irq_level());
  EXPECT_EQ(In(kIir), 0x01);
  Push("q");
  EXPECT_TRUE(uart_.irq_level());
  Out(kIer, 0x00);
  EXPECT_FALSE(uart_.irq_level());
  EXPECT_EQ(levels_, (std::vector<bool>{true, false, true, false}));  // only changes
}

TEST_F(UartTest, ThreInterruptClearedByIirReadAndRaisedByThrWrite) {
  Out(kIer, 0x02);  // ETBEI with THR empty: raised at once
  EXPECT_TRUE(uart_.irq_level());
  EXPECT_EQ(In(kIir), 0x02);
  EXPECT_FALSE(uart_.irq_level());  // the IIR read acknowledged it
  EXPECT_EQ(In(kIir), 0x01);
  Out(kThr, 'A');  // THR empties again immediately
  EXPECT_TRUE(uart_.irq_level());
  EXPECT_EQ(output_, "A");
  Out(kIer, 0x00);
  EXPECT_FALSE(uart_.irq_level());
  // Re-enabling re-raises it (Linux's startup test for buggy UARTs).
  Out(kIer, 0x02);
  EXPECT_TRUE(uart_.irq_level());
}

TEST_F(UartTest, IirReportsTheHighestPrioritySource) {
  Out(kIer, 0x07);  // RX data, THRE, line status
  Push("r");
  EXPECT_EQ(In(kIir), 0x04);  // RX data outranks THRE
  EXPECT_EQ(In(kIir), 0x04);  // and THRE was not acknowledged by that read
  EXPECT_EQ(In(kRbr), 'r');
  EXPECT_EQ(In(kIir), 0x02);
  EXPECT_EQ(In(kIir), 0x01);
  EXPECT_FALSE(uart_.irq_level());

  // Overrun (line status) outranks RX data; reading LSR clears it.
  std::string fill(Uart16550::kRxCapacity + 1, 'f');
  Push(fill);
  EXPECT_EQ(In(kIir), 0x06);
  EXPECT_EQ(In(kLsr) & 0x03, 0x03);  // OE | DR
  EXPECT_EQ(In(kLsr) & 0x02, 0x00);
  EXPECT_EQ(In(kIir), 0x04);
  EXPECT_TRUE(uart_.irq_level());
}

TEST_F(UartTest, OverflowIsDroppedAndCounted) {
  std::string big(Uart16550::kRxCapacity + 10, 'x');
  big[0] = 'A';
  Push(big);
  EXPECT_EQ(uart_.rx_dropped(), 10u);
  EXPECT_EQ(uart_.rx_free(), 0u);
  Push("yy");
  EXPECT_EQ(uart_.rx_dropped(), 12u);
  EXPECT_EQ(In(kRbr), 'A');  // the oldest bytes were kept
  EXPECT_EQ(uart_.rx_free(), 1u);
  size_t n = 1;
  while (In(kLsr) & 0x01) {
    EXPECT_EQ(In(kRbr), 'x');
    ++n;
  }
  EXPECT_EQ(n, Uart16550::kRxCapacity);
}

TEST_F(UartTest, FifoControl) {
  Out(kFcr, 0x01);
  EXPECT_EQ(In(kIir), 0xc1);  // FIFOs enabled, no interrupt
  Out(kIer, 0x01);
  Push("abc");
  EXPECT_EQ(In(kIir), 0xc4);
  Out(kFcr, 0x03);  // clear RX
  EXPECT_FALSE(uart_.HasPendingInput());
  EXPECT_FALSE(uart_.irq_level());
  Push("d");
  Out(kFcr, 0x00);  // leaving FIFO mode resets the FIFO, like the chip
  EXPECT_FALSE(uart_.HasPendingInput());
  EXPECT_EQ(In(kIir), 0x01);
}

TEST_F(UartTest, LoopbackRoutesTxToRxAndMcrToMsr) {
  Out(kMcr, 0x1a);  // LOOP | OUT2 | RTS: what Linux's autoconfig checks
  EXPECT_EQ(In(kMcr), 0x1a);
  EXPECT_EQ(In(kMsr) & 0xf0, 0x90);  // DCD | CTS
  Out(kMcr, 0x1f);
  EXPECT_EQ(In(kMsr), 0xf0 | 0x02);  // all lines up; DDSR (a rising RI is no TERI)
  Out(kThr, 'L');
  EXPECT_TRUE(output_.empty());
  EXPECT_EQ(In(kRbr), 'L');
  Out(kMcr, 0x00);
  EXPECT_EQ(In(kMsr), 0xb0 | 0x04);  // back to the terminal: RI fell (TERI)
  Out(kThr, 'o');
  EXPECT_EQ(output_, "o");
}

TEST_F(UartTest, ModemStatusInterrupt) {
  Out(kIer, 0x08);
  EXPECT_FALSE(uart_.irq_level());
  Out(kMcr, 0x10);  // loopback with all outputs low: CTS/DSR/DCD drop
  EXPECT_TRUE(uart_.irq_level());
  EXPECT_EQ(In(kIir), 0x00);
  EXPECT_EQ(In(kMsr), 0x0b);
  EXPECT_FALSE(uart_.irq_level());
}

TEST_F(UartTest, WideAccessesUseTheLowByte) {
  uint8_t data[4] = {'W', 0xff, 0xff, 0xff};
  uart_.Write(kThr, data, 4);
  EXPECT_EQ(output_, "W");
  uint8_t read[4] = {9, 9, 9, 9};
  uart_.Read(kLsr, read, 4);
  EXPECT_EQ(read[0], 0x60);
  EXPECT_EQ(read[1], 0);
  EXPECT_EQ(read[3], 0);
}

TEST_F(UartTest, StatePutBackReadsTheSame) {
  Out(kLcr, 0x83);  // DLAB: the divisor latch
  Out(kThr, 0x0c);
  Out(kLcr, 0x03);
  Out(kIer, 0x01);
  uint8_t input[] = {'a', 'b'};
  uart_.PushInput(input, 2);
  Uart16550::State saved = uart_.state();
  EXPECT_EQ(In(kRbr), 'a');
  Out(kLcr, 0x83);
  Out(kThr, 0x01);
  uart_.set_state(saved);
  EXPECT_EQ(In(kLcr), 0x03);
  EXPECT_EQ(In(kRbr), 'a');  // the FIFO as it was
  EXPECT_EQ(In(kRbr), 'b');
  Out(kLcr, 0x83);
  EXPECT_EQ(In(kThr), 0x0c);  // the divisor as it was
}

}  // namespace
}  // namespace vmrr
