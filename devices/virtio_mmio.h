// The virtio-mmio transport, version 2 only (virtio 1.x, section 4.2; no
// legacy interface).  Device tree:
//   compatible = "virtio,mmio"; reg = <base 0x200>; interrupts = <...>;
//   dma-coherent;  (arm64)
//
// VIRTIO_F_VERSION_1 is always offered and must be accepted.  Queue
// notifications are processed synchronously inside the QueueNotify write.
// The interrupt line is high while InterruptStatus is non-zero.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <vector>

#include "devices/mmio_device.h"
#include "devices/virtio_device_backend.h"
#include "devices/virtqueue.h"
#include "memory/guest_memory.h"

namespace vmrr {

class VirtioMmio : public MmioDevice {
 public:
  static constexpr uint32_t kMagic = 0x74726976;     // "virt"
  static constexpr uint32_t kVendorId = 0x524d5256;  // "VMRR"
  static constexpr uint64_t kConfigOffset = 0x100;

  static constexpr uint64_t kFeatureVersion1 = 1ull << 32;

  // Device status bits.
  static constexpr uint32_t kStatusAcknowledge = 1;
  static constexpr uint32_t kStatusDriver = 2;
  static constexpr uint32_t kStatusDriverOk = 4;
  static constexpr uint32_t kStatusFeaturesOk = 8;
  static constexpr uint32_t kStatusNeedsReset = 0x40;
  static constexpr uint32_t kStatusFailed = 0x80;

  // InterruptStatus bits.
  static constexpr uint32_t kInterruptUsedBuffer = 1;
  static constexpr uint32_t kInterruptConfigChange = 2;

  VirtioMmio(GuestMemory& memory, std::unique_ptr<VirtioDeviceBackend> backend, IrqLine irq);

  uint64_t window_size() const override { return 0x200; }
  // Registers below 0x100 take aligned 32-bit accesses only (others read 0
  // and are ignored); the config space takes any width.
  void Read(uint64_t offset, uint8_t* data, uint32_t len) override;
  void Write(uint64_t offset, const uint8_t* data, uint32_t len) override;

  // The backend's config space changed: new ConfigGeneration, and a config
  // change interrupt once the driver is running.
  void NotifyConfigChanged();
  // Processes queue `index` as if notified: for host-side events (input
  // arrived for a receive queue).  No-op unless the queue is live.
  void ServiceQueue(int index);
  // Sets DEVICE_NEEDS_RESET (and interrupts the driver about it); the device
  // ignores its queues until the driver resets it.
  void MarkBroken(const char* reason);

  bool needs_reset() const { return (status_ & kStatusNeedsReset) != 0; }
  const char* broken_reason() const { return broken_reason_; }
  uint32_t status() const { return status_; }
  uint64_t device_features() const;
  uint64_t driver_features() const { return driver_features_; }
  uint32_t interrupt_status() const { return interrupt_status_; }
  bool irq_level() const { return irq_level_; }
  VirtioDeviceBackend& backend() const { return *backend_; }
  // The live virtqueue `index`, or nullptr when it is not ready.
  Virtqueue* queue(int index);

 private:
  struct Queue {
    uint32_t num = 0;
    uint64_t desc = 0;
    uint64_t driver = 0;
    uint64_t device = 0;
    std::optional<Virtqueue> live;  // set while QueueReady is 1
  };

  uint32_t ReadRegister(uint64_t offset);
  void WriteRegister(uint64_t offset, uint32_t value);
  void WriteStatus(uint32_t value);
  void SetQueueReady(bool ready);
  // The selected queue, or nullptr when QueueSel names none.
  Queue* selected();
  void Reset();
  void UpdateIrq();

  GuestMemory& memory_;
  std::unique_ptr<VirtioDeviceBackend> backend_;
  IrqLine irq_;
  std::vector<Queue> queues_;
  uint32_t status_ = 0;
  uint32_t device_features_sel_ = 0;
  uint32_t driver_features_sel_ = 0;
  uint64_t driver_features_ = 0;
  uint32_t queue_sel_ = 0;
  uint32_t interrupt_status_ = 0;
  uint32_t config_generation_ = 0;
  const char* broken_reason_ = nullptr;
  bool irq_level_ = false;
};

}  // namespace vmrr
