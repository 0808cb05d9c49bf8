/* gemm.h: the one GEMM interface the layers call (row-major, strided-batched), and the choice
 * between its two back ends: CLBlast (gemm_clblast.c) and ampcl's own kernels (gemm_own.c). */
#ifndef AMPCL_GEMM_H
#define AMPCL_GEMM_H

#include "context.h"
#include "gemm_args.h"

#include <CL/cl.h>

enum ampcl_gemm_backend { AMPCL_GEMM_AUTO = 0, AMPCL_GEMM_CLBLAST = 1, AMPCL_GEMM_OWN = 2 };

/* Floats of op workspace (workspace.h) a product of this shape takes on the back end in effect,
 * for planning it (0: none). */
size_t ampcl_gemm_workspace_floats(const struct ampcl_context *ctx, int trans_a, int trans_b, int m,
				   int n, int k, int batch);

/* Selects the back end by name: "auto", "clblast" or "own" (any case). Anything else fails
 * with AMPCL_ERR_INVALID_ARG naming the value and the choices, and changes nothing.
 * "auto" honours the AMPCL_GEMM environment variable (ctx->env.gemm); without it, it takes
 * CLBlast on GPUs and the own kernels on every other device (on PoCL the own kernels measured
 * faster; see gemm.c). If CLBlast cannot build or run its kernels on the device, "auto" falls
 * back to the own kernels for the rest of the context's life. */
ampcl_status ampcl_gemm_set_backend(struct ampcl_context *ctx, const char *name);
/* The back end in effect: "clblast" or "own" ("auto" resolved), or "invalid" when
 * AMPCL_GEMM holds a value that is not a back end (ampcl_gemm then fails, naming it). */
const char *ampcl_gemm_backend_name(const struct ampcl_context *ctx);

/*
 * C = alpha*op(A)*op(B) + beta*C, row-major, op(X) = X^T when trans_x != 0:
 *   op(A): (m, k), stored (m, k) with row stride lda >= k, or (k, m) with lda >= m when trans_a
 *   op(B): (k, n), stored (k, n) with ldb >= n, or (n, k) with ldb >= k when trans_b
 *   C:     (m, n) with ldc >= n
 * Offsets and strides are in floats. beta == 0 overwrites C without reading it (C may hold
 * NaN); k == 0 gives C = beta*C. Both back ends are deterministic: the same inputs give
 * bit-identical C run after run (no atomics; a k cut into slices or runs, by a count that
 * depends on the shape and the device alone, is summed in a fixed order). Every matrix must lie
 * inside its buffer; a bad size, leading dimension or offset is AMPCL_ERR_INVALID_ARG with a
 * message. The work is enqueued on ctx->queue; the call does not wait for it.
 */
ampcl_status ampcl_gemm(struct ampcl_context *ctx, int trans_a, int trans_b, int m, int n, int k,
			float alpha, cl_mem a, size_t a_off, int lda, cl_mem b, size_t b_off,
			int ldb, float beta, cl_mem c, size_t c_off, int ldc);

/* batch independent products; matrix z of X starts at x_off + z*stride_x (a stride of 0
 * shares one matrix across the batch, e.g. a weight). C's matrices must not overlap. */
ampcl_status ampcl_gemm_batched(struct ampcl_context *ctx, int trans_a, int trans_b, int m, int n,
				int k, float alpha, cl_mem a, size_t a_off, int lda,
				size_t stride_a, cl_mem b, size_t b_off, int ldb, size_t stride_b,
				float beta, cl_mem c, size_t c_off, int ldc, size_t stride_c,
				int batch);

/* ---- back ends: called by gemm.c after it has checked the arguments ---- */

/* struct ampcl_gemm_args (gemm_args.h): what a back end receives. */

/* gemm_own.c: the packed GEMM on CPU devices (gemm_packed.h), else cl/gemm.cl's tiled kernel
 * with tiles chosen for the device. */
ampcl_status ampcl_gemm_own_run(struct ampcl_context *ctx, const struct ampcl_gemm_args *g);
/* gemm_own.c: floats of op workspace (workspace.h) ampcl_gemm_own_run takes for g (0: none). */
size_t ampcl_gemm_own_workspace_floats(const struct ampcl_context *ctx,
				       const struct ampcl_gemm_args *g);
/* gemm_own.c: the tiling cl/gemm.cl's program is built with on this device (for a product of
 * any shape): its -D options, the C tile (tile_m x tile_n) and the work-items along each. */
ampcl_status ampcl_gemm_own_tiling(struct ampcl_context *ctx, char *opts, size_t opts_size,
				   size_t *tile_m, size_t *tile_n, size_t *items_m,
				   size_t *items_n);
/* gemm_own.c: C = 0 over the (batch, m, n) region, for back ends that read C when beta == 0. */
ampcl_status ampcl_gemm_own_clear(struct ampcl_context *ctx, const struct ampcl_gemm_args *g);
/* gemm_clblast.c: CLBlast's Sgemm / SgemmStridedBatched; k must be >= 1. Returns
 * AMPCL_ERR_BUILD or AMPCL_ERR_UNSUPPORTED when CLBlast cannot work on this device (the caller
 * may fall back), other statuses for other failures, each with CLBlast's code in the message. */
ampcl_status ampcl_gemm_clblast_run(struct ampcl_context *ctx, const struct ampcl_gemm_args *g);

#endif
