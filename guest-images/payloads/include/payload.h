// What every bare-metal payload shares: the machine's devices (addresses in
// the per-arch arch.h), console output, checksums and the architecture layer
// (interrupts, traps, power-off) that arm64/ and riscv64/ implement.
//
// Payloads never read time or any other host state except through the test
// device and virtio: their output depends only on those inputs.
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "arch.h"

// ---------------------------------------------------------------- MMIO
// Single plain loads and stores (arch.h), which KVM can decode on a trap.
static inline uint32_t mmio_read32(uintptr_t addr) { return arch_mmio_read32(addr); }
static inline void mmio_write32(uintptr_t addr, uint32_t value) { arch_mmio_write32(addr, value); }

// ---------------------------------------------------------------- test device
#define TESTDEV_ID 0x00
#define TESTDEV_RANDOM 0x04
#define TESTDEV_TIMER 0x08
#define TESTDEV_STATUS 0x0c
#define TESTDEV_FIRED 0x10
#define TESTDEV_ID_VALUE 0x74726d76u

static inline uint32_t testdev_read(uint32_t reg) { return mmio_read32(TESTDEV_BASE + reg); }
static inline void testdev_write(uint32_t reg, uint32_t value) {
  mmio_write32(TESTDEV_BASE + reg, value);
}

// ---------------------------------------------------------------- console
void put_char(char c);
void put_str(const char* s);
void put_hex(uint64_t value, int digits);  // without "0x", zero-padded
void put_dec(uint64_t value);

// ---------------------------------------------------------------- checksums
// One step of a 64-bit hash chain: mixes `value` into `state`.
static inline uint64_t mix64(uint64_t state, uint64_t value) {
  uint64_t z = state ^ (value + 0x9e3779b97f4a7c15ull + (state << 6) + (state >> 2));
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  return z ^ (z >> 31);
}

// ---------------------------------------------------------------- runtime
void* memset(void* dst, int c, size_t n);
void* memcpy(void* dst, const void* src, size_t n);

// The payload's name: the prefix of its output lines.
extern const char payload_name[];
// Prints "NAME: " + `why` and powers off.
__attribute__((noreturn)) void fail(const char* why);
// Checks that the test device answers; fails otherwise.
void testdev_check(void);

// ---------------------------------------------------------------- arch layer
// start.S installs the trap vector before payload_main.
// Routes the test device's interrupt to this CPU and unmasks interrupts.
void arch_enable_testdev_irq(void);
void arch_disable_irqs(void);
__attribute__((noreturn)) void arch_power_off(void);

// Called by the arch layer for each test device interrupt, with the PC it
// interrupted; the interrupt is completed (EOI) when it returns.  Payloads
// that enable the interrupt define it.
void testdev_irq(uint64_t interrupted_pc);
// Called by the arch layer for each synchronous exception (cause: arm64's
// ESR_EL1, riscv64's scause; addr: FAR_EL1 / stval) before it is reported as
// unexpected.  A payload that expects exceptions defines it and returns
// nonzero for one it handled (or powers off); the default returns 0.
int payload_exception(uint64_t cause, uint64_t pc, uint64_t addr);
// Whether an exception's cause says "illegal (undefined) instruction".
int arch_is_illegal_instruction(uint64_t cause);
// Prints the unexpected trap (kind and registers) and powers off.
__attribute__((noreturn)) void unexpected_trap(const char* kind, uint64_t cause, uint64_t pc,
                                               uint64_t addr);

// The payload's entry point, from start.S.
__attribute__((noreturn)) void payload_main(void);
