/* gemm_packed.h: the own back end's packed GEMM for CPU devices (gemm_packed.c, cl/gemm_packed.cl),
 * taken when the device profile sets gemm_packed. */
#ifndef AMPCL_GEMM_PACKED_H
#define AMPCL_GEMM_PACKED_H

#include "gemm.h"

/* Whether the packed path takes g here (the profile asks for it, k >= 1, its panels indexable). */
int ampcl_gemm_packed_takes(const struct ampcl_context *ctx, const struct ampcl_gemm_args *g);
/* Floats of op workspace it needs for g: the packed panels and any split-k partial blocks. */
size_t ampcl_gemm_packed_workspace_floats(const struct ampcl_context *ctx,
					  const struct ampcl_gemm_args *g);
/* Runs g (validated by gemm.c): pack A, pack B, the micro-kernel, and the fixed-order sum of
 * the k chunks when it splits k (their count depends on the shape and the device alone). */
ampcl_status ampcl_gemm_packed_run(struct ampcl_context *ctx, const struct ampcl_gemm_args *g);

#endif
