// Device tree nodes that are the same on every architecture except for the
// interrupt specifier (GIC: 3 cells, PLIC: 1 cell), and the chosen node.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "vmm/fdt_builder.h"

namespace vmrr {

// The /chosen node's inputs.  Seeds are fixed per recording (no host entropy
// reaches the guest through the device tree).
struct ChosenConfig {
  std::string bootargs;
  std::string stdout_path;
  std::optional<uint64_t> initrd_start;  // with initrd_end: [start, end)
  std::optional<uint64_t> initrd_end;
  std::vector<uint8_t> rng_seed;
  uint64_t kaslr_seed = 0;
};

// The seed values vmrr uses unless a recording chooses others.
std::vector<uint8_t> DefaultRngSeed();
// What a real machine varies from boot to boot, derived from `seed` so a
// recording can be redone (vmrr record --seed).
std::vector<uint8_t> RngSeedFor(uint64_t seed);
uint64_t KaslrSeedFor(uint64_t seed);
constexpr uint64_t kDefaultKaslrSeed = 0x766d72722d6b6173;  // "vmrr-kas"

void AddChosenNode(FdtBuilder& fdt, const ChosenConfig& chosen);
void AddMemoryNode(FdtBuilder& fdt, uint64_t base, uint64_t size);
// A device's interrupt: the specifier cells and, when the node must name
// it (riscv64: the root has no interrupt-parent, the harts' controllers
// would inherit it), the controller's phandle (0: inherited).
struct InterruptSpec {
  std::vector<uint32_t> cells;
  uint32_t parent = 0;
};

// reg uses 2 address and 2 size cells (the root's #address/#size-cells).
void AddUartNode(FdtBuilder& fdt, uint64_t base, uint64_t size, const InterruptSpec& irq);
void AddVirtioMmioNode(FdtBuilder& fdt, uint64_t base, uint64_t size, const InterruptSpec& irq);
void AddInterrupts(FdtBuilder& fdt, const InterruptSpec& irq);
// "name@base" as device tree node names are written.
std::string NodeName(const std::string& name, uint64_t base);

constexpr uint32_t kUartClockHz = 1843200;

}  // namespace vmrr
