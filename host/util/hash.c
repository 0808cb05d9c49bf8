/* hash.c: ampcl's hashing on XXH3 (libxxhash): a real 128-bit hash for keys, where two FNV lanes
 * over the same bytes were not independent, and 64 bits for checksums. */
#include "hash.h"

#include <stdio.h>
#include <string.h>

void ampcl_hash_init(struct ampcl_hash *h)
{
	XXH3_INITSTATE(&h->state);
	XXH3_128bits_reset(&h->state);
}

void ampcl_hash_update(struct ampcl_hash *h, const void *data, size_t size)
{
	XXH3_128bits_update(&h->state, data, size);
}

void ampcl_hash_string(struct ampcl_hash *h, const char *s)
{
	ampcl_hash_update(h, s, strlen(s) + 1);
}

void ampcl_hash_hex(const struct ampcl_hash *h, char hex[33])
{
	XXH128_hash_t d = XXH3_128bits_digest(&h->state);
	snprintf(hex, 33, "%016llx%016llx", (unsigned long long)d.high64,
		 (unsigned long long)d.low64);
}

uint64_t ampcl_hash64(const void *data, size_t size)
{
	return XXH3_64bits(data, size);
}
