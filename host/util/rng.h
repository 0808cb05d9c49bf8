/* rng.h: ampcl's one counter-based generator, splitmix64: a bijective 64-bit mix and its stream.
 * Every seeded draw (initialisation, shuffle, augmentation, amplification, subsets) uses it. */
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

/* The next value of the stream at *state. */
static inline uint64_t ampcl_splitmix(uint64_t *state)
{
	return ampcl_mix64(*state += AMPCL_GOLDEN);
}

/* A uniform double in [0, 1) from the stream: its top 53 bits. */
static inline double ampcl_uniform01(uint64_t *state)
{
	return (double)(ampcl_splitmix(state) >> 11) / 9007199254740992.0;
}

#endif
