// arm64: KVM's in-kernel GICv3 (distributor, redistributor, system-register
// CPU interface), the exception handler and PSCI power-off.
#include "payload.h"

#define GICD_CTLR 0x0000
#define GICD_CTLR_RWP (1u << 31)
#define GICD_CTLR_ARE (1u << 4)
#define GICD_CTLR_ENABLE_G1 (1u << 1)
#define GICD_IGROUPR 0x0080
#define GICD_ISENABLER 0x0100
#define GICD_IPRIORITYR 0x0400
#define GICD_IROUTER 0x6000
#define GICR_WAKER 0x0014
#define GICR_WAKER_PROCESSOR_SLEEP (1u << 1)
#define GICR_WAKER_CHILDREN_ASLEEP (1u << 2)

#define SYSREG_READ(name, v) __asm__ volatile("mrs %0, " name : "=r"(v))
#define SYSREG_WRITE(name, v) __asm__ volatile("msr " name ", %0" : : "r"((uint64_t)(v)))
#define ICC_PMR_EL1 "S3_0_C4_C6_0"
#define ICC_IAR1_EL1 "S3_0_C12_C12_0"
#define ICC_EOIR1_EL1 "S3_0_C12_C12_1"
#define ICC_BPR1_EL1 "S3_0_C12_C12_3"
#define ICC_SRE_EL1 "S3_0_C12_C12_5"
#define ICC_IGRPEN1_EL1 "S3_0_C12_C12_7"

static inline void isb(void) { __asm__ volatile("isb" : : : "memory"); }

static void gicd_wait(void) {
  while (mmio_read32(GICD_BASE + GICD_CTLR) & GICD_CTLR_RWP) {
  }
}

void arch_enable_testdev_irq(void) {
  const uint32_t id = 32 + TESTDEV_SPI;
  // Distributor: affinity routing, group 1 interrupts on.
  mmio_write32(GICD_BASE + GICD_CTLR, GICD_CTLR_ARE | GICD_CTLR_ENABLE_G1);
  gicd_wait();
  // This CPU's redistributor awake.
  uint32_t waker = mmio_read32(GICR_BASE + GICR_WAKER);
  mmio_write32(GICR_BASE + GICR_WAKER, waker & ~GICR_WAKER_PROCESSOR_SLEEP);
  while (mmio_read32(GICR_BASE + GICR_WAKER) & GICR_WAKER_CHILDREN_ASLEEP) {
  }
  // The SPI: group 1, middle priority, level (the reset configuration),
  // routed to affinity 0.0.0.0, enabled.
  uintptr_t group = GICD_BASE + GICD_IGROUPR + 4 * (id / 32);
  mmio_write32(group, mmio_read32(group) | (1u << (id % 32)));
  uintptr_t priority = GICD_BASE + GICD_IPRIORITYR + (id & ~3u);
  uint32_t shift = 8 * (id % 4);
  mmio_write32(priority, (mmio_read32(priority) & ~(0xffu << shift)) | (0x80u << shift));
  mmio_write32(GICD_BASE + GICD_IROUTER + 8 * id, 0);
  mmio_write32(GICD_BASE + GICD_IROUTER + 8 * id + 4, 0);
  mmio_write32(GICD_BASE + GICD_ISENABLER + 4 * (id / 32), 1u << (id % 32));
  gicd_wait();
  // CPU interface: system registers, every priority, group 1 on.
  uint64_t sre;
  SYSREG_READ(ICC_SRE_EL1, sre);
  SYSREG_WRITE(ICC_SRE_EL1, sre | 1);
  isb();
  SYSREG_WRITE(ICC_PMR_EL1, 0xff);
  SYSREG_WRITE(ICC_BPR1_EL1, 0);
  SYSREG_WRITE(ICC_IGRPEN1_EL1, 1);
  isb();
  __asm__ volatile("msr daifclr, #2" : : : "memory");
}

void arch_disable_irqs(void) { __asm__ volatile("msr daifset, #2" : : : "memory"); }

void arch_power_off(void) {
  register uint64_t x0 __asm__("x0") = 0x84000008;  // PSCI SYSTEM_OFF
  __asm__ volatile("hvc #0" : "+r"(x0) : : "memory");
  put_str(payload_name);
  put_str(": FAIL PSCI SYSTEM_OFF returned\n");
  for (;;) {
  }
}

// ESR_EL1.EC 0: an unknown (undefined) instruction.
int arch_is_illegal_instruction(uint64_t esr) { return ((esr >> 26) & 0x3f) == 0; }

// From start.S: `kind` is the vector index, frame[0..30] the registers,
// frame[31] ELR_EL1.
void arm64_trap(uint64_t kind, uint64_t* frame);
void arm64_trap(uint64_t kind, uint64_t* frame) {
  uint64_t elr = frame[31];
  if (kind == 5) {  // IRQ at EL1 with SP_EL1
    uint64_t iar;
    SYSREG_READ(ICC_IAR1_EL1, iar);
    uint32_t intid = (uint32_t)(iar & 0xffffff);
    if (intid >= 1020 && intid <= 1023) return;  // spurious
    if (intid != 32 + TESTDEV_SPI) unexpected_trap("interrupt", intid, elr, 0);
    testdev_irq(elr);
    SYSREG_WRITE(ICC_EOIR1_EL1, iar);
    isb();
    return;
  }
  static const char* const kinds[] = {"sync", "irq", "fiq", "serror"};
  uint64_t esr, far;
  SYSREG_READ("esr_el1", esr);
  SYSREG_READ("far_el1", far);
  // cause = ESR_EL1, addr = FAR_EL1.
  if (kind % 4 == 0 && payload_exception(esr, elr, far)) return;
  unexpected_trap(kinds[kind % 4], esr, elr, far);
}
