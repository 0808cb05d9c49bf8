/* hash.h: XXH3 (Debian's libxxhash) behind ampcl's names: 128 bits, streamed, for program-cache
 * keys and checkpoint checksums, and 64 bits in one call for cache-entry checksums. */
#ifndef AMPCL_HASH_H
#define AMPCL_HASH_H

#define XXH_STATIC_LINKING_ONLY /* XXH3_state_t by value: no allocation per hash */
#include <stddef.h>
#include <stdint.h>
#include <xxhash.h>

struct ampcl_hash {
	XXH3_state_t state;
};

void ampcl_hash_init(struct ampcl_hash *h);
void ampcl_hash_update(struct ampcl_hash *h, const void *data, size_t size);
/* Adds a string and its terminator, so ("ab","c") and ("a","bc") differ. */
void ampcl_hash_string(struct ampcl_hash *h, const char *s);
/* The 128-bit digest of what was added, as 32 hex digits and a NUL in hex[33]. */
void ampcl_hash_hex(const struct ampcl_hash *h, char hex[33]);
uint64_t ampcl_hash64(const void *data, size_t size);

#endif
