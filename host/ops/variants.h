/* variants.h: every (kernel file, -D options) program the ops may build, listed from the ops' own
 * tables so that tools compile them ahead of time without a device (tools/isa). */
#ifndef AMPCL_VARIANTS_H
#define AMPCL_VARIANTS_H

#include "context.h"

/* One program an op may build: cl/FILE.cl with `options` (what the op passes to ampcl_kernel_get,
 * before program.c adds -cl-std), `name` saying which of its choices it is. */
struct ampcl_kernel_variant {
	const char *file;    /* "gemm" for cl/gemm.cl */
	const char *options; /* "" for the file's defaults */
	const char *name;    /* "tiles_gpu", "wg 64", "vw 16 mr 12 b 2" */
	int preferred;       /* the choice a device of this profile tries first */
	int reachable;       /* one the op may build on a device of this profile at all */
};
typedef void (*ampcl_kernel_variant_fn)(void *arg, const struct ampcl_kernel_variant *v);

/* Calls fn for every program a device with ctx's profile may build, the tuner's choices
 * included; only ctx->profile, ctx->env and ctx->gemm_backend are read, so a zeroed context
 * with a filled profile will do. A program can come more than once (under several names). */
void ampcl_kernel_variants(const struct ampcl_context *ctx, ampcl_kernel_variant_fn fn, void *arg);

/* Each op's part of the list (in the op's file, next to its table). */
void ampcl_gemm_own_variants(const struct ampcl_context *ctx, ampcl_kernel_variant_fn fn,
			     void *arg);
void ampcl_gemm_packed_variants(const struct ampcl_context *ctx, ampcl_kernel_variant_fn fn,
				void *arg);
void ampcl_conv2d_implicit_variants(const struct ampcl_context *ctx, ampcl_kernel_variant_fn fn,
				    void *arg);
void ampcl_bn_variants(const struct ampcl_context *ctx, ampcl_kernel_variant_fn fn, void *arg);

#endif
