// Routes the guest's MMIO accesses to the device whose window holds them.
// The run loop owns the policy for accesses that hit no device (log, ignore,
// read as zero): the bus only reports that nothing was there.
#pragma once

#include <cstdint>
#include <map>

#include "devices/mmio_device.h"

namespace vmrr {

class MmioBus {
 public:
  struct Window {
    uint64_t base;
    uint64_t size;
    MmioDevice* device;
  };

  // Maps `device` at guest-physical [base, base + device.window_size()).
  // Throws Error(kInternal) for an empty or wrapping window or an overlap with
  // a registered one: the machine's memory map is vmrr's own, not the guest's.
  // The bus does not own the device; it must outlive the bus.
  void Register(uint64_t base, MmioDevice& device);

  // Dispatches to the device with the offset inside its window.  False, with
  // `data` untouched, when no single window holds all of [gpa, gpa + len) or
  // len is not 1, 2, 4 or 8 (devices rely on those sizes).
  bool Read(uint64_t gpa, uint8_t* data, uint32_t len);
  bool Write(uint64_t gpa, const uint8_t* data, uint32_t len);

  // The window holding `gpa`, or nullptr: for the run loop's diagnostics.
  const Window* Find(uint64_t gpa) const;
  size_t size() const { return windows_.size(); }

 private:
  // The window holding all of [gpa, gpa + len), or nullptr.
  const Window* FindRange(uint64_t gpa, uint32_t len) const;

  std::map<uint64_t, Window> windows_;  // by base
};

}  // namespace vmrr
