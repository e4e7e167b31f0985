// The riscv64 guest's device tree: harts (ISA from KVM), memory, the PLIC,
// UART, goldfish RTC, test device, virtio-mmio slots and /chosen.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "vmm/device_tree_nodes.h"

namespace vmrr::riscv64 {

struct DeviceTreeConfig {
  uint64_t ram_base = 0;
  uint64_t ram_size = 0;
  int cpus = 1;
  std::string isa;       // riscv,isa
  std::string mmu_type;  // "riscv,sv39" | "riscv,sv48" | "riscv,sv57"
  uint32_t timebase_hz = 0;
  uint32_t cbom_block_size = 0;  // riscv,cbom-block-size when non-zero
  uint32_t cboz_block_size = 0;  // riscv,cboz-block-size when non-zero
  int virtio_devices = 0;
  ChosenConfig chosen;  // stdout_path is filled in
};

std::vector<uint8_t> BuildDeviceTree(const DeviceTreeConfig& config);

}  // namespace vmrr::riscv64
