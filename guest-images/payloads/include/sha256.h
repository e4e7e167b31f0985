// SHA-256 (FIPS 180-4), for checksums a host tool (sha256sum) can check.
#pragma once

#include <stddef.h>
#include <stdint.h>

struct sha256 {
  uint32_t state[8];
  uint64_t length;  // bytes hashed
  uint8_t block[64];
  uint32_t used;  // bytes in block
};

void sha256_init(struct sha256* s);
void sha256_update(struct sha256* s, const void* data, size_t len);
void sha256_final(struct sha256* s, uint8_t digest[32]);
