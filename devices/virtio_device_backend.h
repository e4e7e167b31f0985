// What a virtio device type (block, console, ...) implements; the transport
// (VirtioMmio) does feature negotiation, queue setup and interrupts.
#pragma once

#include <cstdint>

#include "devices/virtqueue.h"

namespace vmrr {

class VirtioDeviceBackend {
 public:
  virtual ~VirtioDeviceBackend() = default;

  // Virtio device ID (2: block, 3: console, ...).
  virtual uint32_t device_id() const = 0;
  // Feature bits offered, device-specific and ring ones (VIRTIO_F_VERSION_1
  // is added by the transport).
  virtual uint64_t device_features() const = 0;
  virtual int num_queues() const = 0;
  // QueueNumMax: a power of two <= Virtqueue::kMaxSize.
  virtual uint32_t queue_max_size(int index) const = 0;

  // Device configuration space, `offset` from its start, any length 1..8.
  // Bytes beyond the space read as zero; writes there are ignored.
  virtual void ReadConfig(uint64_t offset, uint8_t* data, uint32_t len) = 0;
  virtual void WriteConfig(uint64_t offset, const uint8_t* data, uint32_t len) = 0;

  // The driver's accepted feature set (at FEATURES_OK).
  virtual void SetDriverFeatures(uint64_t /*features*/) {}
  // The driver reset the device (status 0): forget any per-session state.
  virtual void Reset() {}

  // The driver notified queue `index` (ready, DRIVER_OK set): consume the
  // available chains and PushUsed each, synchronously.  On unrecoverable
  // guest misbehaviour call queue.MarkBroken(): the transport then sets
  // DEVICE_NEEDS_RESET.
  virtual void ProcessQueue(int index, Virtqueue& queue) = 0;
};

}  // namespace vmrr
