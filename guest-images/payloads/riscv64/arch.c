// riscv64: vmrr's PLIC (context 0 = hart 0's S-mode), the trap handler and
// SBI SRST power-off.
#include "payload.h"

#define PLIC_PRIORITY(source) (PLIC_BASE + 4 * (source))
#define PLIC_ENABLE(context, source) (PLIC_BASE + 0x2000 + 0x80 * (context) + 4 * ((source) / 32))
#define PLIC_THRESHOLD(context) (PLIC_BASE + 0x200000 + 0x1000 * (context))
#define PLIC_CLAIM(context) (PLIC_BASE + 0x200004 + 0x1000 * (context))

#define SIE_SEIE (1ul << 9)
#define SSTATUS_SIE (1ul << 1)
#define SCAUSE_INTERRUPT (1ul << 63)
#define IRQ_S_EXTERNAL 9

void arch_enable_testdev_irq(void) {
  mmio_write32(PLIC_PRIORITY(TESTDEV_IRQ), 1);
  uintptr_t enable = PLIC_ENABLE(0, TESTDEV_IRQ);
  mmio_write32(enable, mmio_read32(enable) | (1u << (TESTDEV_IRQ % 32)));
  mmio_write32(PLIC_THRESHOLD(0), 0);
  __asm__ volatile("csrs sie, %0" : : "r"(SIE_SEIE) : "memory");
  __asm__ volatile("csrs sstatus, %0" : : "r"(SSTATUS_SIE) : "memory");
}

void arch_disable_irqs(void) {
  __asm__ volatile("csrc sstatus, %0" : : "r"(SSTATUS_SIE) : "memory");
}

void arch_power_off(void) {
  register uint64_t a0 __asm__("a0") = 0;           // shutdown
  register uint64_t a1 __asm__("a1") = 0;           // no reason
  register uint64_t a6 __asm__("a6") = 0;           // SBI_EXT_SRST_RESET
  register uint64_t a7 __asm__("a7") = 0x53525354;  // "SRST"
  __asm__ volatile("ecall" : "+r"(a0), "+r"(a1) : "r"(a6), "r"(a7) : "memory");
  put_str(payload_name);
  put_str(": FAIL SBI system reset returned\n");
  for (;;) {
  }
}

int arch_is_illegal_instruction(uint64_t cause) { return cause == 2; }

// From start.S.
void riscv_trap(uint64_t cause, uint64_t pc, uint64_t tval);
void riscv_trap(uint64_t cause, uint64_t pc, uint64_t tval) {
  if (cause == (SCAUSE_INTERRUPT | IRQ_S_EXTERNAL)) {
    uint32_t source = mmio_read32(PLIC_CLAIM(0));
    if (source == 0) return;  // claimed by nobody: nothing pending any more
    if (source != TESTDEV_IRQ) unexpected_trap("interrupt", source, pc, 0);
    testdev_irq(pc);
    mmio_write32(PLIC_CLAIM(0), source);  // complete
    return;
  }
  if (!(cause & SCAUSE_INTERRUPT) && payload_exception(cause, pc, tval)) return;
  unexpected_trap(cause & SCAUSE_INTERRUPT ? "interrupt" : "exception", cause, pc, tval);
}
