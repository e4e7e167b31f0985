#include "vmm/device_tree_nodes.h"

#include <cstdio>

namespace vmrr {

namespace {

std::vector<uint32_t> Reg(uint64_t base, uint64_t size) {
  return {static_cast<uint32_t>(base >> 32), static_cast<uint32_t>(base),
          static_cast<uint32_t>(size >> 32), static_cast<uint32_t>(size)};
}

}  // namespace

std::string NodeName(const std::string& name, uint64_t base) {
  char buf[32];
  std::snprintf(buf, sizeof(buf), "@%llx", static_cast<unsigned long long>(base));
  return name + buf;
}

std::vector<uint8_t> DefaultRngSeed() {
  // Any fixed bytes: the guest mixes them into its pool, the same every run.
  std::vector<uint8_t> seed(64);
  for (size_t i = 0; i < seed.size(); ++i) seed[i] = static_cast<uint8_t>(0x5a ^ (i * 37));
  return seed;
}

namespace {

// splitmix64: a fixed, well-mixed stream from one number.
uint64_t SplitMix(uint64_t& state) {
  uint64_t z = (state += 0x9e3779b97f4a7c15ull);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  return z ^ (z >> 31);
}

}  // namespace

std::vector<uint8_t> RngSeedFor(uint64_t seed) {
  std::vector<uint8_t> bytes(64);
  uint64_t state = seed;
  for (size_t i = 0; i < bytes.size(); i += 8) {
    uint64_t v = SplitMix(state);
    for (size_t b = 0; b < 8; ++b) bytes[i + b] = static_cast<uint8_t>(v >> (8 * b));
  }
  return bytes;
}

uint64_t KaslrSeedFor(uint64_t seed) {
  uint64_t state = seed ^ 0x6b61736c72ull;  // "kaslr"
  return SplitMix(state);
}

void AddChosenNode(FdtBuilder& fdt, const ChosenConfig& chosen) {
  fdt.BeginNode("chosen");
  fdt.PropertyString("bootargs", chosen.bootargs);
  if (!chosen.stdout_path.empty()) fdt.PropertyString("stdout-path", chosen.stdout_path);
  if (chosen.initrd_start && chosen.initrd_end) {
    fdt.PropertyU64("linux,initrd-start", *chosen.initrd_start);
    fdt.PropertyU64("linux,initrd-end", *chosen.initrd_end);
  }
  if (!chosen.rng_seed.empty()) fdt.Property("rng-seed", chosen.rng_seed);
  fdt.PropertyU64("kaslr-seed", chosen.kaslr_seed);
  fdt.EndNode();
}

void AddMemoryNode(FdtBuilder& fdt, uint64_t base, uint64_t size) {
  fdt.BeginNode(NodeName("memory", base));
  fdt.PropertyString("device_type", "memory");
  fdt.PropertyCells("reg", Reg(base, size));
  fdt.EndNode();
}

void AddInterrupts(FdtBuilder& fdt, const InterruptSpec& irq) {
  if (irq.parent != 0) fdt.PropertyU32("interrupt-parent", irq.parent);
  fdt.PropertyCells("interrupts", irq.cells);
}

void AddUartNode(FdtBuilder& fdt, uint64_t base, uint64_t size, const InterruptSpec& irq) {
  fdt.BeginNode(NodeName("uart", base));
  fdt.PropertyString("compatible", "ns16550a");
  fdt.PropertyCells("reg", Reg(base, size));
  AddInterrupts(fdt, irq);
  fdt.PropertyU32("clock-frequency", kUartClockHz);
  fdt.PropertyU32("reg-shift", 0);
  fdt.PropertyU32("reg-io-width", 1);
  fdt.EndNode();
}

void AddVirtioMmioNode(FdtBuilder& fdt, uint64_t base, uint64_t size, const InterruptSpec& irq) {
  fdt.BeginNode(NodeName("virtio_mmio", base));
  fdt.PropertyString("compatible", "virtio,mmio");
  fdt.PropertyCells("reg", Reg(base, size));
  AddInterrupts(fdt, irq);
  fdt.PropertyEmpty("dma-coherent");
  fdt.EndNode();
}

}  // namespace vmrr
