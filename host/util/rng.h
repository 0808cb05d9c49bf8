/* rng.h: ampcl's one random-number generator: splitmix64 (a bijective 64-bit mix and its stream)
 * for every seeded draw, and xoshiro256** seeded from it for the long stream a shuffle draws. */
#ifndef AMPCL_RNG_H
#define AMPCL_RNG_H

#include <stdint.h>

#define AMPCL_GOLDEN 0x9e3779b97f4a7c15ULL /* 2^64 / the golden ratio: the stream's step */

/* splitmix64's finaliser: every bit of z affects every bit of the result. */
static inline uint64_t ampcl_mix64(uint64_t z)
{
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

/* The value the stream gives from state x (x itself is not advanced): a hash of x. */
static inline uint64_t ampcl_splitmix_at(uint64_t x)
{
	return ampcl_mix64(x + AMPCL_GOLDEN);
}

/* The next value of the stream at *state. */
static inline uint64_t ampcl_splitmix(uint64_t *state)
{
	uint64_t z = ampcl_splitmix_at(*state);
	*state += AMPCL_GOLDEN;
	return z;
}

/* A uniform double in [0, 1) from the stream: its top 53 bits. */
static inline double ampcl_uniform01(uint64_t *state)
{
	return (double)(ampcl_splitmix(state) >> 11) / 9007199254740992.0;
}

/* A uniform double in [0, 1) from the stream's top 24 bits: exact in a float as well. */
static inline double ampcl_uniform24(uint64_t *state)
{
	return (double)(ampcl_splitmix(state) >> 40) / 16777216.0;
}

/* xoshiro256** (Blackman and Vigna), its four words filled by the splitmix64 stream at seed. */
struct ampcl_xoshiro {
	uint64_t s[4];
};

static inline void ampcl_xoshiro_seed(struct ampcl_xoshiro *r, uint64_t seed)
{
	for (int i = 0; i < 4; i++)
		r->s[i] = ampcl_splitmix(&seed);
}

static inline uint64_t ampcl_rotl64(uint64_t x, int k)
{
	return (x << k) | (x >> (64 - k));
}

static inline uint64_t ampcl_xoshiro_next(struct ampcl_xoshiro *r)
{
	uint64_t *s = r->s;
	uint64_t out = ampcl_rotl64(s[1] * 5, 7) * 9, t = s[1] << 17;
	s[2] ^= s[0];
	s[3] ^= s[1];
	s[1] ^= s[2];
	s[0] ^= s[3];
	s[2] ^= t;
	s[3] = ampcl_rotl64(s[3], 45);
	return out;
}

/* Uniform in [0, n) without modulo bias: reject the 2^64 mod n lowest values. */
static inline uint64_t ampcl_xoshiro_below(struct ampcl_xoshiro *r, uint64_t n)
{
	uint64_t threshold = (0 - n) % n;
	for (;;) {
		uint64_t x = ampcl_xoshiro_next(r);
		if (x >= threshold)
			return x % n;
	}
}

#endif
