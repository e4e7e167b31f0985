// Console output (the 16550 UART, polled), memset/memcpy for the compiler,
// failure and trap reports.
#include "payload.h"

#define UART_THR 0
#define UART_LSR 5
#define UART_LSR_THRE 0x20

void put_char(char c) {
  if (c == '\n') put_char('\r');
  while (!(arch_mmio_read8(UART_BASE + UART_LSR) & UART_LSR_THRE)) {
  }
  arch_mmio_write8(UART_BASE + UART_THR, (uint8_t)c);
}

void put_str(const char* s) {
  while (*s) put_char(*s++);
}

void put_hex(uint64_t value, int digits) {
  for (int i = digits - 1; i >= 0; --i) put_char("0123456789abcdef"[(value >> (4 * i)) & 15]);
}

void put_dec(uint64_t value) {
  char buf[21];
  int n = 0;
  do {
    buf[n++] = (char)('0' + value % 10);
    value /= 10;
  } while (value);
  while (n) put_char(buf[--n]);
}

void* memset(void* dst, int c, size_t n) {
  volatile uint8_t* d = dst;  // volatile: no call to memset from here
  while (n--) *d++ = (uint8_t)c;
  return dst;
}

void* memcpy(void* dst, const void* src, size_t n) {
  volatile uint8_t* d = dst;
  const uint8_t* s = src;
  while (n--) *d++ = *s++;
  return dst;
}

void fail(const char* why) {
  arch_disable_irqs();
  put_str(payload_name);
  put_str(": FAIL ");
  put_str(why);
  put_str("\n");
  arch_power_off();
}

void testdev_check(void) {
  uint32_t id = testdev_read(TESTDEV_ID);
  if (id != TESTDEV_ID_VALUE) {
    arch_disable_irqs();
    put_str(payload_name);
    put_str(": FAIL no test device at 0x");
    put_hex(TESTDEV_BASE, 8);
    put_str(" (ID 0x");
    put_hex(id, 8);
    put_str(")\n");
    arch_power_off();
  }
}

void unexpected_trap(const char* kind, uint64_t cause, uint64_t pc, uint64_t addr) {
  arch_disable_irqs();
  put_str(payload_name);
  put_str(": FAIL unexpected trap: ");
  put_str(kind);
  put_str(" cause=0x");
  put_hex(cause, 16);
  put_str(" pc=0x");
  put_hex(pc, 16);
  put_str(" addr=0x");
  put_hex(addr, 16);
  put_str("\n");
  arch_power_off();
}

__attribute__((weak)) int payload_exception(uint64_t cause, uint64_t pc, uint64_t addr) {
  (void)cause;
  (void)pc;
  (void)addr;
  return 0;
}

// A payload without interrupts never sees one; if it did, it is a trap.
__attribute__((weak)) void testdev_irq(uint64_t interrupted_pc) {
  unexpected_trap("test device interrupt", 0, interrupted_pc, 0);
}
