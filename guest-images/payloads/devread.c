// devread: 64 values from the test device's RANDOM register steer the
// program down different paths; the checksum depends on every value and on
// the path taken.
//   devread: checksum=0x...
#include "payload.h"

#define READS 64

const char payload_name[] = "devread";

static uint64_t path_rotate(uint64_t h, uint32_t v) {
  unsigned r = (v >> 2) & 63;
  return mix64((h << r) | (h >> ((64 - r) & 63)), v);
}
static uint64_t path_loop(uint64_t h, uint32_t v) {
  for (uint32_t i = 0; i < ((v >> 2) & 31); ++i) h = mix64(h, i ^ v);
  return h;
}
static uint64_t path_mul(uint64_t h, uint32_t v) { return h * (2 * (uint64_t)v + 1) + 0x5bd1e995; }
static uint64_t path_bits(uint64_t h, uint32_t v) {
  while (v) {
    h = mix64(h, v & -v);  // lowest set bit
    v &= v - 1;
  }
  return h;
}

static uint64_t (*const paths[4])(uint64_t, uint32_t) = {path_rotate, path_loop, path_mul,
                                                         path_bits};

void payload_main(void) {
  testdev_check();
  uint64_t h = 0x6465767265616421ull;  // "devread!"
  unsigned taken[4] = {0, 0, 0, 0};
  for (int i = 0; i < READS; ++i) {
    uint32_t v = testdev_read(TESTDEV_RANDOM);
    unsigned path = v & 3;
    ++taken[path];
    if (v & 0x80000000u) {
      h = paths[path](h, v);
    } else {
      switch (path) {
        case 0:
          h = mix64(h, v);
          break;
        case 1:
          h = path_loop(h ^ 1, v);
          break;
        case 2:
          h = ~path_mul(h, v);
          break;
        default:
          h = path_bits(h, ~v);
          break;
      }
    }
  }
  put_str("devread: paths=");
  for (int p = 0; p < 4; ++p) {
    put_dec(taken[p]);
    put_str(p < 3 ? "," : "");
  }
  put_str(" checksum=0x");
  put_hex(h, 16);
  put_str("\n");
  arch_power_off();
}
