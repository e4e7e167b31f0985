#include "devices/virtio_mmio.h"

#include <spdlog/spdlog.h>

#include <bit>
#include <cstring>
#include <string>
#include <utility>

#include "base/error.h"
#include "devices/mmio_access.h"

namespace vmrr {
namespace {

constexpr uint64_t kRegMagic = 0x000;
constexpr uint64_t kRegVersion = 0x004;
constexpr uint64_t kRegDeviceId = 0x008;
constexpr uint64_t kRegVendorId = 0x00c;
constexpr uint64_t kRegDeviceFeatures = 0x010;
constexpr uint64_t kRegDeviceFeaturesSel = 0x014;
constexpr uint64_t kRegDriverFeatures = 0x020;
constexpr uint64_t kRegDriverFeaturesSel = 0x024;
constexpr uint64_t kRegQueueSel = 0x030;
constexpr uint64_t kRegQueueNumMax = 0x034;
constexpr uint64_t kRegQueueNum = 0x038;
constexpr uint64_t kRegQueueReady = 0x044;
constexpr uint64_t kRegQueueNotify = 0x050;
constexpr uint64_t kRegInterruptStatus = 0x060;
constexpr uint64_t kRegInterruptAck = 0x064;
constexpr uint64_t kRegStatus = 0x070;
constexpr uint64_t kRegQueueDescLow = 0x080;
constexpr uint64_t kRegQueueDescHigh = 0x084;
constexpr uint64_t kRegQueueDriverLow = 0x090;
constexpr uint64_t kRegQueueDriverHigh = 0x094;
constexpr uint64_t kRegQueueDeviceLow = 0x0a0;
constexpr uint64_t kRegQueueDeviceHigh = 0x0a4;
constexpr uint64_t kRegConfigGeneration = 0x0fc;

constexpr uint32_t kVersion = 2;

uint32_t Low(uint64_t v) { return static_cast<uint32_t>(v); }
uint32_t High(uint64_t v) { return static_cast<uint32_t>(v >> 32); }
void SetLow(uint64_t& v, uint32_t low) { v = (v & ~0xffffffffull) | low; }
void SetHigh(uint64_t& v, uint32_t high) { v = (v & 0xffffffffull) | (uint64_t{high} << 32); }

}  // namespace

VirtioMmio::VirtioMmio(GuestMemory& memory, std::unique_ptr<VirtioDeviceBackend> backend,
                       IrqLine irq)
    : memory_(memory), backend_(std::move(backend)), irq_(std::move(irq)) {
  if (!backend_) throw Error(ErrorKind::kInternal, "virtio-mmio without a backend");
  int n = backend_->num_queues();
  if (n < 0) throw Error(ErrorKind::kInternal, "virtio backend with a negative queue count");
  queues_.resize(n);
  for (int i = 0; i < n; ++i) {
    uint32_t max = backend_->queue_max_size(i);
    if (max == 0 || max > Virtqueue::kMaxSize || !std::has_single_bit(max)) {
      throw Error(ErrorKind::kInternal,
                  "virtio backend queue " + std::to_string(i) + " has an invalid maximum size");
    }
  }
  Reset();
}

uint64_t VirtioMmio::device_features() const {
  return backend_->device_features() | kFeatureVersion1;
}

Virtqueue* VirtioMmio::queue(int index) {
  if (index < 0 || static_cast<size_t>(index) >= queues_.size()) return nullptr;
  std::optional<Virtqueue>& live = queues_[index].live;
  return live ? &*live : nullptr;
}

VirtioMmio::Queue* VirtioMmio::selected() {
  return queue_sel_ < queues_.size() ? &queues_[queue_sel_] : nullptr;
}

void VirtioMmio::Read(uint64_t offset, uint8_t* data, uint32_t len) {
  if (offset >= kConfigOffset) {
    backend_->ReadConfig(offset - kConfigOffset, data, len);
    return;
  }
  std::memset(data, 0, len);
  if (IsRegisterAccess(offset, len)) StoreLe(data, len, ReadRegister(offset));
}

void VirtioMmio::Write(uint64_t offset, const uint8_t* data, uint32_t len) {
  if (offset >= kConfigOffset) {
    backend_->WriteConfig(offset - kConfigOffset, data, len);
    return;
  }
  if (IsRegisterAccess(offset, len)) WriteRegister(offset, static_cast<uint32_t>(LoadLe(data, 4)));
}

uint32_t VirtioMmio::ReadRegister(uint64_t offset) {
  Queue* q = selected();
  switch (offset) {
    case kRegMagic:
      return kMagic;
    case kRegVersion:
      return kVersion;
    case kRegDeviceId:
      return backend_->device_id();
    case kRegVendorId:
      return kVendorId;
    case kRegDeviceFeatures:
      if (device_features_sel_ == 0) return Low(device_features());
      if (device_features_sel_ == 1) return High(device_features());
      return 0;
    case kRegQueueNumMax:
      // 0 tells the driver the selected queue does not exist.
      return q ? backend_->queue_max_size(queue_sel_) : 0;
    case kRegQueueReady:
      return q && q->live ? 1 : 0;
    case kRegInterruptStatus:
      return interrupt_status_;
    case kRegStatus:
      return status_;
    case kRegQueueDescLow:
      return q ? Low(q->desc) : 0;
    case kRegQueueDescHigh:
      return q ? High(q->desc) : 0;
    case kRegQueueDriverLow:
      return q ? Low(q->driver) : 0;
    case kRegQueueDriverHigh:
      return q ? High(q->driver) : 0;
    case kRegQueueDeviceLow:
      return q ? Low(q->device) : 0;
    case kRegQueueDeviceHigh:
      return q ? High(q->device) : 0;
    case kRegConfigGeneration:
      return config_generation_;
    default:  // write-only and reserved registers
      return 0;
  }
}

void VirtioMmio::WriteRegister(uint64_t offset, uint32_t value) {
  Queue* q = selected();
  // A live queue's parameters are fixed until it is disabled or reset.
  Queue* settable = q && !q->live ? q : nullptr;
  switch (offset) {
    case kRegDeviceFeaturesSel:
      device_features_sel_ = value;
      break;
    case kRegDriverFeatures:
      // Features are fixed once FEATURES_OK was accepted.
      if (status_ & kStatusFeaturesOk) break;
      if (driver_features_sel_ == 0) SetLow(driver_features_, value);
      if (driver_features_sel_ == 1) SetHigh(driver_features_, value);
      break;
    case kRegDriverFeaturesSel:
      driver_features_sel_ = value;
      break;
    case kRegQueueSel:
      queue_sel_ = value;
      break;
    case kRegQueueNum:
      if (settable) settable->num = value;
      break;
    case kRegQueueReady:
      SetQueueReady(value == 1);
      break;
    case kRegQueueNotify:
      // Without VIRTIO_F_NOTIFICATION_DATA the value is the queue index.
      if (value < queues_.size()) ServiceQueue(static_cast<int>(value));
      break;
    case kRegInterruptAck:
      interrupt_status_ &= ~value;
      UpdateIrq();
      break;
    case kRegStatus:
      WriteStatus(value);
      break;
    case kRegQueueDescLow:
      if (settable) SetLow(settable->desc, value);
      break;
    case kRegQueueDescHigh:
      if (settable) SetHigh(settable->desc, value);
      break;
    case kRegQueueDriverLow:
      if (settable) SetLow(settable->driver, value);
      break;
    case kRegQueueDriverHigh:
      if (settable) SetHigh(settable->driver, value);
      break;
    case kRegQueueDeviceLow:
      if (settable) SetLow(settable->device, value);
      break;
    case kRegQueueDeviceHigh:
      if (settable) SetHigh(settable->device, value);
      break;
    default:  // read-only and reserved registers
      break;
  }
}

void VirtioMmio::WriteStatus(uint32_t value) {
  if (value == 0) {
    Reset();
    return;
  }
  // NEEDS_RESET is the device's to set; the rest of the byte is the driver's.
  uint32_t next = value & 0xff & ~kStatusNeedsReset;
  if ((next & kStatusFeaturesOk) && !(status_ & kStatusFeaturesOk)) {
    uint64_t offered = device_features();
    bool acceptable =
        (driver_features_ & ~offered) == 0 && (driver_features_ & kFeatureVersion1) != 0;
    // Leaving FEATURES_OK clear is how the device refuses (3.1.1).
    if (acceptable) {
      backend_->SetDriverFeatures(driver_features_);
    } else {
      next &= ~kStatusFeaturesOk;
    }
  }
  bool driver_ok_now = (next & kStatusDriverOk) && !(status_ & kStatusDriverOk);
  status_ = next | (status_ & kStatusNeedsReset);
  if (driver_ok_now && !(status_ & kStatusFeaturesOk)) {
    MarkBroken("DRIVER_OK without accepted features");
    return;
  }
  // Buffers made available before DRIVER_OK were not processed then.
  if (driver_ok_now) {
    for (size_t i = 0; i < queues_.size(); ++i) ServiceQueue(static_cast<int>(i));
  }
}

void VirtioMmio::SetQueueReady(bool ready) {
  Queue* q = selected();
  if (q == nullptr) return;
  if (!ready) {
    q->live.reset();
    return;
  }
  if (q->live) return;
  VirtqueueLayout layout{q->num, q->desc, q->driver, q->device};
  if (layout.size > backend_->queue_max_size(queue_sel_)) {
    MarkBroken("queue size above QueueNumMax");
    return;
  }
  if (const char* why = Virtqueue::CheckLayout(memory_, layout)) {
    MarkBroken(why);
    return;
  }
  q->live.emplace(memory_, layout, (driver_features_ & Virtqueue::kFeatureIndirectDesc) != 0);
}

void VirtioMmio::ServiceQueue(int index) {
  Virtqueue* vq = queue(index);
  if (vq == nullptr || !(status_ & kStatusDriverOk) || needs_reset()) return;
  uint16_t used_before = vq->used_idx();
  backend_->ProcessQueue(index, *vq);
  if (vq->used_idx() != used_before) interrupt_status_ |= kInterruptUsedBuffer;
  if (vq->broken()) MarkBroken(vq->broken_reason());
  UpdateIrq();
}

void VirtioMmio::NotifyConfigChanged() {
  ++config_generation_;
  if (status_ & kStatusDriverOk) interrupt_status_ |= kInterruptConfigChange;
  UpdateIrq();
}

void VirtioMmio::MarkBroken(const char* reason) {
  if (needs_reset()) return;
  broken_reason_ = reason;
  status_ |= kStatusNeedsReset;
  spdlog::warn("virtio device {}: {}; it needs a reset", backend_->device_id(), reason);
  // The driver learns about NEEDS_RESET through a config change (2.1.2).
  if (status_ & kStatusDriverOk) interrupt_status_ |= kInterruptConfigChange;
  UpdateIrq();
}

void VirtioMmio::Reset() {
  status_ = 0;
  device_features_sel_ = 0;
  driver_features_sel_ = 0;
  driver_features_ = 0;
  queue_sel_ = 0;
  interrupt_status_ = 0;
  broken_reason_ = nullptr;
  for (size_t i = 0; i < queues_.size(); ++i) {
    queues_[i] = Queue{};
    queues_[i].num = backend_->queue_max_size(static_cast<int>(i));
  }
  backend_->Reset();
  UpdateIrq();
}

void VirtioMmio::UpdateIrq() {
  bool level = interrupt_status_ != 0;
  if (level == irq_level_) return;
  irq_level_ = level;
  if (irq_) irq_(level);
}

}  // namespace vmrr
