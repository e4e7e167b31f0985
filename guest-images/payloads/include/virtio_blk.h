// A minimal polled virtio-blk driver over virtio-mmio version 2 (what
// devices/virtio_mmio.cc implements): one queue, one request at a time.
#pragma once

#include <stdint.h>

// Resets and initialises the device at `base`; stores its capacity in
// 512-byte sectors.  Returns 0 on success, else why not.
const char* vblk_init(uintptr_t base, uint64_t* capacity);
// Reads `count` sectors (count * 512 <= 64 KiB) from `sector` into `buf`.
// Returns 0 on success, else why not.
const char* vblk_read(uint64_t sector, void* buf, uint32_t count);
