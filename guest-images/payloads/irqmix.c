// irqmix: a fixed amount of work interrupted by the test device's timer at
// random host times.  Each interrupt folds the interrupted PC and FIRED into
// a checksum, acknowledges and re-arms the timer, so two runs print different
// checksums (and interrupt counts); a replay must reproduce both exactly.
//   irqmix: interrupts=N checksum=0x...
#include "payload.h"

// About 2.5 s (arm64) and 3 s (riscv64) of work under `vmrr run` in the rig,
// taking 1500-2000 interrupts.
#define ITERATIONS 200000000ul
#define TIMER_US 2000

const char payload_name[] = "irqmix";

static volatile uint64_t irq_sum;
static volatile uint64_t interrupts;

void testdev_irq(uint64_t interrupted_pc) {
  uint32_t fired = testdev_read(TESTDEV_FIRED);
  irq_sum = mix64(mix64(irq_sum, interrupted_pc), fired);
  interrupts = interrupts + 1;
  testdev_write(TESTDEV_STATUS, 1);
  testdev_write(TESTDEV_TIMER, TIMER_US);
}

void payload_main(void) {
  testdev_check();
  put_str("irqmix: start\n");
  arch_enable_testdev_irq();
  testdev_write(TESTDEV_TIMER, TIMER_US);
  uint64_t work = 0;
  for (uint64_t i = 0; i < ITERATIONS; ++i) {
    work = mix64(work, i);
    __asm__ volatile("" : "+r"(work));  // one iteration at a time
  }
  arch_disable_irqs();
  testdev_write(TESTDEV_TIMER, 0);
  testdev_write(TESTDEV_STATUS, 1);
  uint32_t fired = testdev_read(TESTDEV_FIRED);
  uint64_t n = interrupts;
  if (fired < n) fail("FIRED is below the interrupts taken");
  uint64_t checksum = mix64(mix64(mix64(work, irq_sum), n), fired);
  put_str("irqmix: interrupts=");
  put_dec(n);
  put_str(" checksum=0x");
  put_hex(checksum, 16);
  put_str("\n");
  arch_power_off();
}
