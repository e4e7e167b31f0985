// Polled virtio-blk over virtio-mmio: the split virtqueue in static memory,
// a three-descriptor chain (header, data, status) per request.
#include "virtio_blk.h"

#include "payload.h"

#define VIRTIO_MAGIC 0x000
#define VIRTIO_VERSION 0x004
#define VIRTIO_DEVICE_ID 0x008
#define VIRTIO_DEVICE_FEATURES 0x010
#define VIRTIO_DEVICE_FEATURES_SEL 0x014
#define VIRTIO_DRIVER_FEATURES 0x020
#define VIRTIO_DRIVER_FEATURES_SEL 0x024
#define VIRTIO_QUEUE_SEL 0x030
#define VIRTIO_QUEUE_NUM_MAX 0x034
#define VIRTIO_QUEUE_NUM 0x038
#define VIRTIO_QUEUE_READY 0x044
#define VIRTIO_QUEUE_NOTIFY 0x050
#define VIRTIO_STATUS 0x070
#define VIRTIO_QUEUE_DESC 0x080
#define VIRTIO_QUEUE_DRIVER 0x090
#define VIRTIO_QUEUE_DEVICE 0x0a0
#define VIRTIO_CONFIG 0x100

#define STATUS_ACKNOWLEDGE 1
#define STATUS_DRIVER 2
#define STATUS_DRIVER_OK 4
#define STATUS_FEATURES_OK 8
#define STATUS_NEEDS_RESET 0x40

#define MAGIC_VIRT 0x74726976
#define DEVICE_ID_BLOCK 2
#define FEATURE_VERSION_1_HIGH 1  // bit 32: bit 0 of the high word

#define DESC_F_NEXT 1
#define DESC_F_WRITE 2
#define BLK_T_IN 0
#define QUEUE_SIZE 8

struct virtq_desc {
  uint64_t addr;
  uint32_t len;
  uint16_t flags;
  uint16_t next;
};

struct virtq_avail {
  uint16_t flags;
  uint16_t idx;
  uint16_t ring[QUEUE_SIZE];
  uint16_t used_event;
};

struct virtq_used {
  uint16_t flags;
  uint16_t idx;
  struct {
    uint32_t id;
    uint32_t len;
  } ring[QUEUE_SIZE];
  uint16_t avail_event;
};

struct blk_header {
  uint32_t type;
  uint32_t reserved;
  uint64_t sector;
};

static struct virtq_desc desc[QUEUE_SIZE] __attribute__((aligned(16)));
static struct virtq_avail avail __attribute__((aligned(16)));
static volatile struct virtq_used used __attribute__((aligned(16)));
static struct blk_header header __attribute__((aligned(16)));
static volatile uint8_t status;
static uintptr_t dev;
static uint16_t avail_idx;

static uint32_t reg(uint32_t offset) { return mmio_read32(dev + offset); }
static void set_reg(uint32_t offset, uint32_t value) { mmio_write32(dev + offset, value); }
static void set_reg64(uint32_t offset, uint64_t value) {
  set_reg(offset, (uint32_t)value);
  set_reg(offset + 4, (uint32_t)(value >> 32));
}

const char* vblk_init(uintptr_t base, uint64_t* capacity) {
  dev = base;
  if (reg(VIRTIO_MAGIC) != MAGIC_VIRT) return "no virtio-mmio device (no --disk?)";
  if (reg(VIRTIO_VERSION) != 2) return "virtio-mmio version is not 2";
  if (reg(VIRTIO_DEVICE_ID) != DEVICE_ID_BLOCK) return "virtio device is not a block device";
  set_reg(VIRTIO_STATUS, 0);
  set_reg(VIRTIO_STATUS, STATUS_ACKNOWLEDGE);
  set_reg(VIRTIO_STATUS, STATUS_ACKNOWLEDGE | STATUS_DRIVER);
  set_reg(VIRTIO_DEVICE_FEATURES_SEL, 1);
  if (!(reg(VIRTIO_DEVICE_FEATURES) & FEATURE_VERSION_1_HIGH)) return "no VIRTIO_F_VERSION_1";
  // Only VERSION_1: no indirect descriptors, no event index.
  set_reg(VIRTIO_DRIVER_FEATURES_SEL, 0);
  set_reg(VIRTIO_DRIVER_FEATURES, 0);
  set_reg(VIRTIO_DRIVER_FEATURES_SEL, 1);
  set_reg(VIRTIO_DRIVER_FEATURES, FEATURE_VERSION_1_HIGH);
  set_reg(VIRTIO_STATUS, STATUS_ACKNOWLEDGE | STATUS_DRIVER | STATUS_FEATURES_OK);
  if (!(reg(VIRTIO_STATUS) & STATUS_FEATURES_OK)) return "the device refused the features";

  set_reg(VIRTIO_QUEUE_SEL, 0);
  uint32_t max = reg(VIRTIO_QUEUE_NUM_MAX);
  if (max < QUEUE_SIZE) return "queue 0 is too small";
  set_reg(VIRTIO_QUEUE_NUM, QUEUE_SIZE);
  set_reg64(VIRTIO_QUEUE_DESC, (uintptr_t)desc);
  set_reg64(VIRTIO_QUEUE_DRIVER, (uintptr_t)&avail);
  set_reg64(VIRTIO_QUEUE_DEVICE, (uintptr_t)&used);
  set_reg(VIRTIO_QUEUE_READY, 1);
  if (reg(VIRTIO_QUEUE_READY) != 1) return "queue 0 did not become ready";
  set_reg(VIRTIO_STATUS,
          STATUS_ACKNOWLEDGE | STATUS_DRIVER | STATUS_FEATURES_OK | STATUS_DRIVER_OK);
  if (reg(VIRTIO_STATUS) & STATUS_NEEDS_RESET) return "the device needs a reset";
  // struct virtio_blk_config: le64 capacity first.
  *capacity = reg(VIRTIO_CONFIG) | (uint64_t)reg(VIRTIO_CONFIG + 4) << 32;
  return 0;
}

const char* vblk_read(uint64_t sector, void* buf, uint32_t count) {
  header.type = BLK_T_IN;
  header.reserved = 0;
  header.sector = sector;
  status = 0xff;
  desc[0] = (struct virtq_desc){(uintptr_t)&header, sizeof(header), DESC_F_NEXT, 1};
  desc[1] = (struct virtq_desc){(uintptr_t)buf, count * 512, DESC_F_NEXT | DESC_F_WRITE, 2};
  desc[2] = (struct virtq_desc){(uintptr_t)&status, 1, DESC_F_WRITE, 0};
  uint16_t used_before = used.idx;
  avail.ring[avail_idx % QUEUE_SIZE] = 0;
  arch_barrier();
  avail.idx = ++avail_idx;
  arch_barrier();
  set_reg(VIRTIO_QUEUE_NOTIFY, 0);
  // vmrr completes a request at the notify; allow for a device that does not.
  for (uint32_t spins = 0; used.idx == used_before; ++spins) {
    if (spins > 100000000) return "the request never completed";
  }
  arch_barrier();
  if (used.ring[used_before % QUEUE_SIZE].id != 0) return "the device used an unknown chain";
  if (status != 0) return "the device failed the read";
  return 0;
}
