// The arm64 guest's device tree: cpus, memory, GICv3, arch timer, PSCI,
// UART, RTC, test device, virtio-mmio slots and /chosen.
#pragma once

#include <cstdint>
#include <vector>

#include "vmm/device_tree_nodes.h"

namespace vmrr::arm64 {

struct DeviceTreeConfig {
  uint64_t ram_base = 0;
  uint64_t ram_size = 0;
  int cpus = 1;
  int virtio_devices = 0;  // slots 0..n-1 are populated
  ChosenConfig chosen;     // stdout_path is filled in
};

std::vector<uint8_t> BuildDeviceTree(const DeviceTreeConfig& config);

}  // namespace vmrr::arm64
