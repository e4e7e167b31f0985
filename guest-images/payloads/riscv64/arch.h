// The riscv64 machine vmrr builds (vmm/riscv64/layout.h) and MMIO accessors.
#pragma once

#include <stdint.h>

#define UART_BASE 0x10000000ul
#define TESTDEV_BASE 0x00102000ul
#define TESTDEV_IRQ 12
#define VIRTIO_BASE 0x10001000ul
#define PLIC_BASE 0x0c000000ul

// One load/store each: an access KVM can emulate.
static inline uint32_t arch_mmio_read32(uintptr_t addr) {
  uint32_t v;
  __asm__ volatile("lw %0, 0(%1)" : "=r"(v) : "r"(addr) : "memory");
  return v;
}
static inline void arch_mmio_write32(uintptr_t addr, uint32_t v) {
  __asm__ volatile("sw %z0, 0(%1)" : : "rJ"(v), "r"(addr) : "memory");
}
static inline uint8_t arch_mmio_read8(uintptr_t addr) {
  uint8_t v;
  __asm__ volatile("lbu %0, 0(%1)" : "=r"(v) : "r"(addr) : "memory");
  return v;
}
static inline void arch_mmio_write8(uintptr_t addr, uint8_t v) {
  __asm__ volatile("sb %z0, 0(%1)" : : "rJ"(v), "r"(addr) : "memory");
}
// Orders memory accesses (virtqueue rings against the notify write).
static inline void arch_barrier(void) { __asm__ volatile("fence iorw, iorw" : : : "memory"); }
