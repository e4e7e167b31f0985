// The interface between the VMM's run loop and an emulated device: MMIO
// accesses within the device's window, completed synchronously at the exit
// that made them.  Devices are single-threaded and never include KVM headers.
#pragma once

#include <cstdint>
#include <functional>

namespace vmrr {

class MmioDevice {
 public:
  virtual ~MmioDevice() = default;
  // Bytes of guest-physical address space the device decodes.
  virtual uint64_t window_size() const = 0;
  // `offset` is relative to the window's base; `len` is 1, 2, 4 or 8.
  // A read fills data[0..len) (little-endian); unknown registers read 0.
  virtual void Read(uint64_t offset, uint8_t* data, uint32_t len) = 0;
  virtual void Write(uint64_t offset, const uint8_t* data, uint32_t len) = 0;
};

// A device's interrupt output: level-triggered, `true` asserts the line.
// The machine (vmm/<arch>/) wires it to the interrupt controller.
using IrqLine = std::function<void(bool level)>;

}  // namespace vmrr
