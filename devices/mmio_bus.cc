#include "devices/mmio_bus.h"

#include <iterator>
#include <sstream>

#include "base/error.h"

namespace vmrr {
namespace {

bool ValidLength(uint32_t len) { return len == 1 || len == 2 || len == 4 || len == 8; }

std::string Hex(uint64_t v) {
  std::ostringstream s;
  s << "0x" << std::hex << v;
  return s.str();
}

}  // namespace

void MmioBus::Register(uint64_t base, MmioDevice& device) {
  const uint64_t size = device.window_size();
  if (size == 0 || base + size < base) {
    throw Error(ErrorKind::kInternal,
                "MMIO window at " + Hex(base) + " of size " + Hex(size) + " is empty or wraps");
  }
  const uint64_t last = base + size - 1;
  // Only the neighbours can overlap: the first window starting above `base`
  // and the last one starting at or below it.
  auto next = windows_.upper_bound(base);
  if (next != windows_.end() && next->first <= last) {
    throw Error(ErrorKind::kInternal,
                "MMIO window at " + Hex(base) + " overlaps the one at " + Hex(next->first));
  }
  if (next != windows_.begin()) {
    const Window& prev = std::prev(next)->second;
    if (prev.base + (prev.size - 1) >= base) {
      throw Error(ErrorKind::kInternal,
                  "MMIO window at " + Hex(base) + " overlaps the one at " + Hex(prev.base));
    }
  }
  windows_.emplace(base, Window{base, size, &device});
}

const MmioBus::Window* MmioBus::Find(uint64_t gpa) const {
  auto it = windows_.upper_bound(gpa);
  if (it == windows_.begin()) return nullptr;
  const Window& w = std::prev(it)->second;
  return gpa - w.base < w.size ? &w : nullptr;
}

const MmioBus::Window* MmioBus::FindRange(uint64_t gpa, uint32_t len) const {
  if (!ValidLength(len)) return nullptr;
  const Window* w = Find(gpa);
  if (w == nullptr || len > w->size - (gpa - w->base)) return nullptr;
  return w;
}

bool MmioBus::Read(uint64_t gpa, uint8_t* data, uint32_t len) {
  const Window* w = FindRange(gpa, len);
  if (w == nullptr) return false;
  w->device->Read(gpa - w->base, data, len);
  return true;
}

bool MmioBus::Write(uint64_t gpa, const uint8_t* data, uint32_t len) {
  const Window* w = FindRange(gpa, len);
  if (w == nullptr) return false;
  w->device->Write(gpa - w->base, data, len);
  return true;
}

}  // namespace vmrr
