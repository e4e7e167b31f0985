// The arm64 machine vmrr builds (vmm/arm64/layout.h) and MMIO accessors.
#pragma once

#include <stdint.h>

#define UART_BASE 0x09000000ul
#define TESTDEV_BASE 0x09020000ul
#define TESTDEV_SPI 3
#define VIRTIO_BASE 0x0a000000ul
#define GICD_BASE 0x08000000ul
#define GICR_BASE 0x080a0000ul

// One ldr/str each, with a plain base register: an access KVM can emulate.
static inline uint32_t arch_mmio_read32(uintptr_t addr) {
  uint32_t v;
  __asm__ volatile("ldr %w0, [%1]" : "=r"(v) : "r"(addr) : "memory");
  return v;
}
static inline void arch_mmio_write32(uintptr_t addr, uint32_t v) {
  __asm__ volatile("str %w0, [%1]" : : "rZ"(v), "r"(addr) : "memory");
}
static inline uint8_t arch_mmio_read8(uintptr_t addr) {
  uint32_t v;
  __asm__ volatile("ldrb %w0, [%1]" : "=r"(v) : "r"(addr) : "memory");
  return (uint8_t)v;
}
static inline void arch_mmio_write8(uintptr_t addr, uint8_t v) {
  __asm__ volatile("strb %w0, [%1]" : : "rZ"(v), "r"(addr) : "memory");
}
// Orders memory accesses (virtqueue rings against the notify write).
static inline void arch_barrier(void) { __asm__ volatile("dmb sy" : : : "memory"); }
