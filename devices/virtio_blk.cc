#include "devices/virtio_blk.h"

#include <algorithm>
#include <array>
#include <utility>

#include "base/error.h"
#include "devices/mmio_access.h"

namespace vmrr {
namespace {

constexpr uint64_t kSectorSize = 512;
constexpr uint64_t kHeaderBytes = 16;  // le32 type, le32 reserved, le64 sector

// Offsets in struct virtio_blk_config.
constexpr size_t kConfigCapacity = 0;
constexpr size_t kConfigSizeMax = 8;
constexpr size_t kConfigSegMax = 12;
constexpr size_t kConfigBlkSize = 20;
constexpr size_t kConfigNumQueues = 34;
constexpr size_t kConfigBytes = 36;

struct GuestRange {
  uint64_t gpa;
  uint64_t len;
};

uint64_t TotalLength(const std::vector<VirtqBuffer>& buffers) {
  uint64_t total = 0;
  for (const VirtqBuffer& b : buffers) total += b.len;
  return total;
}

// Bytes [offset, offset + len) of the stream formed by `buffers`, as guest
// ranges; shorter when the stream ends first.
std::vector<GuestRange> Slice(const std::vector<VirtqBuffer>& buffers, uint64_t offset,
                              uint64_t len) {
  std::vector<GuestRange> ranges;
  for (const VirtqBuffer& b : buffers) {
    if (len == 0) break;
    if (offset >= b.len) {
      offset -= b.len;
      continue;
    }
    uint64_t take = std::min<uint64_t>(b.len - offset, len);
    ranges.push_back({b.gpa + offset, take});
    offset = 0;
    len -= take;
  }
  return ranges;
}

// Moves the data of an IN or OUT request between the disk and guest memory,
// straight into or out of the guest's buffers.
uint8_t Transfer(GuestMemory& memory, BlockBackend& disk, const std::vector<GuestRange>& ranges,
                 uint64_t sector, bool to_disk) {
  uint64_t len = 0;
  for (const GuestRange& r : ranges) len += r.len;
  const uint64_t capacity = disk.size_bytes() / kSectorSize;
  if (len % kSectorSize != 0 || sector > capacity || len / kSectorSize > capacity - sector) {
    return VirtioBlk::kStatusIoErr;
  }
  uint64_t position = sector * kSectorSize;
  for (const GuestRange& r : ranges) {
    uint8_t* host = memory.Translate(r.gpa, r.len);
    if (host == nullptr) return VirtioBlk::kStatusIoErr;
    bool ok = to_disk ? disk.WriteAt(position, host, r.len) : disk.ReadAt(position, host, r.len);
    if (!ok) return VirtioBlk::kStatusIoErr;
    if (!to_disk) memory.NoteWritten(r.gpa, r.len);
    position += r.len;
  }
  return VirtioBlk::kStatusOk;
}

}  // namespace

VirtioBlk::VirtioBlk(std::unique_ptr<BlockBackend> disk, std::string id)
    : disk_(std::move(disk)), id_(std::move(id)), config_(kConfigBytes, 0) {
  if (!disk_) throw Error(ErrorKind::kInternal, "virtio-blk without a disk");
  if (id_.size() > kIdBytes) {
    throw Error(ErrorKind::kInput, "disk id \"" + id_ + "\" is longer than 20 bytes");
  }
  StoreLe(&config_[kConfigCapacity], 8, disk_->size_bytes() / kSectorSize);
  StoreLe(&config_[kConfigSizeMax], 4, kSizeMax);
  StoreLe(&config_[kConfigSegMax], 4, kSegMax);
  StoreLe(&config_[kConfigBlkSize], 4, kSectorSize);
  StoreLe(&config_[kConfigNumQueues], 2, 1);
}

uint64_t VirtioBlk::device_features() const {
  uint64_t features =
      kFeatureSizeMax | kFeatureSegMax | kFeatureFlush | Virtqueue::kFeatureIndirectDesc;
  if (disk_->read_only()) features |= kFeatureRo;
  return features;
}

void VirtioBlk::ReadConfig(uint64_t offset, uint8_t* data, uint32_t len) {
  for (uint32_t i = 0; i < len; ++i) {
    bool inside = offset < config_.size() && i < config_.size() - offset;
    data[i] = inside ? config_[offset + i] : 0;
  }
}

void VirtioBlk::ProcessQueue(int index, Virtqueue& queue) {
  if (index != 0) return;
  while (std::optional<DescriptorChain> chain = queue.PopChain()) {
    uint32_t used_len = HandleRequest(queue.memory(), *chain);
    if (!queue.PushUsed(chain->head, used_len)) return;
  }
}

uint32_t VirtioBlk::HandleRequest(GuestMemory& memory, const DescriptorChain& chain) {
  if (chain.error) {
    // Fail it through its last byte if that is where a status can go.
    if (chain.buffers.empty()) return 0;
    const VirtqBuffer& last = chain.buffers.back();
    if (last.device_writable && last.len > 0 &&
        memory.Store<uint8_t>(last.gpa + last.len - 1, kStatusIoErr)) {
      return 1;
    }
    return 0;
  }

  std::vector<VirtqBuffer> readable;
  std::vector<VirtqBuffer> writable;
  for (const VirtqBuffer& b : chain.buffers) (b.device_writable ? writable : readable).push_back(b);
  const uint64_t readable_len = TotalLength(readable);
  const uint64_t writable_len = TotalLength(writable);
  if (writable_len == 0) return 0;  // nowhere to put a status
  const uint64_t status_gpa = Slice(writable, writable_len - 1, 1).front().gpa;
  // At most kMaxChainBytes: the virtqueue rejects larger chains.
  const auto used_len = static_cast<uint32_t>(writable_len);

  auto finish = [&](uint8_t status) {
    return memory.Store<uint8_t>(status_gpa, status) ? used_len : 0;
  };
  if (readable_len < kHeaderBytes) return finish(kStatusIoErr);
  std::array<uint8_t, kHeaderBytes> header{};
  uint64_t at = 0;
  for (const GuestRange& r : Slice(readable, 0, kHeaderBytes)) {
    if (!memory.Read(r.gpa, header.data() + at, r.len)) return finish(kStatusIoErr);
    at += r.len;
  }
  const auto type = static_cast<uint32_t>(LoadLe(header.data(), 4));
  const uint64_t sector = LoadLe(header.data() + 8, 8);
  const uint64_t out_len = readable_len - kHeaderBytes;  // data to the device
  const uint64_t in_len = writable_len - 1;              // data from the device

  switch (type) {
    case kTypeIn:
      if (out_len != 0) return finish(kStatusIoErr);
      return finish(Transfer(memory, *disk_, Slice(writable, 0, in_len), sector, false));
    case kTypeOut:
      if (in_len != 0 || disk_->read_only()) return finish(kStatusIoErr);
      return finish(Transfer(memory, *disk_, Slice(readable, kHeaderBytes, out_len), sector, true));
    case kTypeFlush:
      if (out_len != 0 || in_len != 0) return finish(kStatusIoErr);
      return finish(disk_->Flush() ? kStatusOk : kStatusIoErr);
    case kTypeGetId: {
      if (out_len != 0) return finish(kStatusIoErr);
      // The id is zero-padded to 20 bytes, without a NUL when it fills them.
      std::array<uint8_t, kIdBytes> id{};
      std::copy(id_.begin(), id_.end(), id.begin());
      uint64_t copied = 0;
      for (const GuestRange& r : Slice(writable, 0, std::min<uint64_t>(in_len, kIdBytes))) {
        if (!memory.Write(r.gpa, id.data() + copied, r.len)) return finish(kStatusIoErr);
        copied += r.len;
      }
      return finish(kStatusOk);
    }
    default:
      return finish(kStatusUnsupported);
  }
}

}  // namespace vmrr
