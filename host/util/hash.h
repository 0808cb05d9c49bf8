/* hash.h: a 128-bit non-cryptographic hash for program-cache keys and file checksums.
 * Two independent 64-bit FNV-1a streams with different offsets and a final mix. */
#ifndef AMPCL_HASH_H
#define AMPCL_HASH_H

#include <stddef.h>
#include <stdint.h>

struct ampcl_hash {
	uint64_t a, b;
};

void ampcl_hash_init(struct ampcl_hash *h);
void ampcl_hash_update(struct ampcl_hash *h, const void *data, size_t size);
/* Adds a string and its terminator, so ("ab","c") and ("a","bc") differ. */
void ampcl_hash_string(struct ampcl_hash *h, const char *s);
/* Writes 32 hex digits and a NUL into hex[33]. */
void ampcl_hash_hex(const struct ampcl_hash *h, char hex[33]);
uint64_t ampcl_hash64(const void *data, size_t size);

#endif
