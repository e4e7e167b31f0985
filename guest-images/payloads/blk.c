// blk: reads the first 256 sectors of the virtio-blk disk (`--disk FILE,ro`)
// by polling the virtqueue and prints their SHA-256, which `head -c 131072
// FILE | sha256sum` reproduces on the host.
//   blk: sectors=256 checksum=0x<sha256>
#include "payload.h"
#include "sha256.h"
#include "virtio_blk.h"

#define SECTORS 256
#define SECTORS_PER_READ 8

const char payload_name[] = "blk";

static uint8_t buffer[SECTORS_PER_READ * 512] __attribute__((aligned(4096)));

void payload_main(void) {
  uint64_t capacity = 0;
  const char* why = vblk_init(VIRTIO_BASE, &capacity);
  if (why) fail(why);
  if (capacity < SECTORS) fail("the disk has fewer than 256 sectors");
  struct sha256 sha;
  sha256_init(&sha);
  for (uint32_t sector = 0; sector < SECTORS; sector += SECTORS_PER_READ) {
    why = vblk_read(sector, buffer, SECTORS_PER_READ);
    if (why) fail(why);
    sha256_update(&sha, buffer, sizeof(buffer));
  }
  uint8_t digest[32];
  sha256_final(&sha, digest);
  put_str("blk: sectors=");
  put_dec(SECTORS);
  put_str(" checksum=0x");
  for (int i = 0; i < 32; ++i) put_hex(digest[i], 2);
  put_str("\n");
  arch_power_off();
}
