/* hash.c: FNV-1a in two lanes with a splitmix finaliser; fast enough to hash kernel sources
 * on every program lookup, and any collision still has to survive the cache header check. */
#include "hash.h"

#include <stdio.h>
#include <string.h>

#define FNV_PRIME 0x100000001b3ULL

void ampcl_hash_init(struct ampcl_hash *h)
{
	h->a = 0xcbf29ce484222325ULL;
	h->b = 0x84222325cbf29ce4ULL;
}

void ampcl_hash_update(struct ampcl_hash *h, const void *data, size_t size)
{
	const unsigned char *p = data;
	uint64_t a = h->a, b = h->b;
	for (size_t i = 0; i < size; i++) {
		a = (a ^ p[i]) * FNV_PRIME;
		b = (b ^ (unsigned char)(p[i] + 0x5b)) * FNV_PRIME;
	}
	h->a = a;
	h->b = b;
}

void ampcl_hash_string(struct ampcl_hash *h, const char *s)
{
	ampcl_hash_update(h, s, strlen(s) + 1);
}

static uint64_t mix(uint64_t x)
{
	x ^= x >> 30;
	x *= 0xbf58476d1ce4e5b9ULL;
	x ^= x >> 27;
	x *= 0x94d049bb133111ebULL;
	return x ^ (x >> 31);
}

void ampcl_hash_hex(const struct ampcl_hash *h, char hex[33])
{
	snprintf(hex, 33, "%016llx%016llx", (unsigned long long)mix(h->a),
		 (unsigned long long)mix(h->b ^ h->a));
}

uint64_t ampcl_hash64(const void *data, size_t size)
{
	struct ampcl_hash h;
	ampcl_hash_init(&h);
	ampcl_hash_update(&h, data, size);
	return mix(h.a) ^ h.b;
}
