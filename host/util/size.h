/* size.h: element counts and byte sizes multiplied and added without wrapping: every product of
 * sizes in planning, arenas, workspaces, loaders and file readers goes through these. */
#ifndef AMPCL_SIZE_H
#define AMPCL_SIZE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The most elements one tensor or launch may hold: the kernels index with 32-bit integers and
 * the element-wise ones round the global size up by their vector width, so 2^31 - 1 leaves
 * room for that without wrapping. */
#define AMPCL_MAX_TENSOR_FLOATS ((size_t)INT32_MAX)

/* *out = a * b; false (and *out = SIZE_MAX) when it does not fit a size_t. */
static inline bool ampcl_size_mul(size_t a, size_t b, size_t *out)
{
	if (__builtin_mul_overflow(a, b, out)) {
		*out = SIZE_MAX;
		return false;
	}
	return true;
}

/* *out = a + b; false (and *out = SIZE_MAX) when it does not fit a size_t. */
static inline bool ampcl_size_add(size_t a, size_t b, size_t *out)
{
	if (__builtin_add_overflow(a, b, out)) {
		*out = SIZE_MAX;
		return false;
	}
	return true;
}

/* *out = the product of n dimensions; false when one is below 1 or the product wraps (then
 * *out = SIZE_MAX, or 0 for a dimension below 1). */
static inline bool ampcl_size_product(const int *dims, int n, size_t *out)
{
	size_t p = 1;
	for (int i = 0; i < n; i++) {
		if (dims[i] < 1) {
			*out = 0;
			return false;
		}
		if (!ampcl_size_mul(p, (size_t)dims[i], &p)) {
			*out = SIZE_MAX;
			return false;
		}
	}
	*out = p;
	return true;
}

#endif
