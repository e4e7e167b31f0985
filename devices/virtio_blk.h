// A virtio block device (virtio 1.x, section 5.2) over a BlockBackend.
// One request queue; every request completes inside the notify that
// submitted it.  Device tree: see VirtioMmio.
//
// Requests are parsed as byte streams, as the spec requires (no framing
// assumptions): the device-readable bytes are the 16-byte header followed by
// the OUT data, the device-writable bytes are the IN data followed by the
// status byte.  A request with data in the wrong direction, a length not a
// multiple of 512 or sectors beyond the disk fails with VIRTIO_BLK_S_IOERR.
// A chain with no device-writable byte for the status, or one the virtqueue
// found malformed without a writable last byte, goes back with length 0.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "devices/block_backend.h"
#include "devices/virtio_device_backend.h"
#include "devices/virtqueue.h"

namespace vmrr {

class VirtioBlk : public VirtioDeviceBackend {
 public:
  static constexpr uint32_t kDeviceId = 2;
  static constexpr uint32_t kQueueSize = 256;
  // Advertised limits: seg_max data segments of at most size_max bytes, so a
  // request stays below Virtqueue::kMaxChainBytes.
  static constexpr uint32_t kSizeMax = 64 << 10;
  static constexpr uint32_t kSegMax = kQueueSize - 2;
  static constexpr size_t kIdBytes = 20;

  static constexpr uint64_t kFeatureSizeMax = 1ull << 1;
  static constexpr uint64_t kFeatureSegMax = 1ull << 2;
  static constexpr uint64_t kFeatureRo = 1ull << 5;
  static constexpr uint64_t kFeatureFlush = 1ull << 9;

  // Request types and status values.
  static constexpr uint32_t kTypeIn = 0;
  static constexpr uint32_t kTypeOut = 1;
  static constexpr uint32_t kTypeFlush = 4;
  static constexpr uint32_t kTypeGetId = 8;
  static constexpr uint8_t kStatusOk = 0;
  static constexpr uint8_t kStatusIoErr = 1;
  static constexpr uint8_t kStatusUnsupported = 2;

  // `id` (what GET_ID returns, at most 20 bytes; throws Error(kInput) when
  // longer) names the disk to the guest (/sys/block/vdX/serial).
  explicit VirtioBlk(std::unique_ptr<BlockBackend> disk, std::string id = "vmrr-disk");

  uint32_t device_id() const override { return kDeviceId; }
  uint64_t device_features() const override;
  int num_queues() const override { return 1; }
  uint32_t queue_max_size(int) const override { return kQueueSize; }
  // struct virtio_blk_config: capacity, size_max, seg_max, blk_size; read-only.
  void ReadConfig(uint64_t offset, uint8_t* data, uint32_t len) override;
  void WriteConfig(uint64_t, const uint8_t*, uint32_t) override {}
  void ProcessQueue(int index, Virtqueue& queue) override;

  BlockBackend& disk() const { return *disk_; }

 private:
  // Carries out one request; returns the used length to report.
  uint32_t HandleRequest(GuestMemory& memory, const DescriptorChain& chain);

  std::unique_ptr<BlockBackend> disk_;
  std::string id_;
  std::vector<uint8_t> config_;
};

}  // namespace vmrr
