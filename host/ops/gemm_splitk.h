/* gemm_splitk.h: deterministic split-k for products whose (m, n) gives a large device too few
 * work-groups and whose k is long (the weight gradients): slices, then a fixed-order sum. */
#ifndef AMPCL_GEMM_SPLITK_H
#define AMPCL_GEMM_SPLITK_H

#include "context.h"
#include "gemm_args.h"

/* How a product's k is cut: `slices` of kc (the last one shorter); slices == 1: not cut. */
struct ampcl_gemm_splitk {
	int slices, kc;
};

/* The cut for this shape on this device (profile gemm_splitk, single products only); it depends
 * on the shape and the device alone, so a device always sums in the same order. */
struct ampcl_gemm_splitk ampcl_gemm_splitk_plan(const struct ampcl_context *ctx, int m, int n,
						int k, int batch);
/* Floats of op workspace the slices take (0 when not cut). */
size_t ampcl_gemm_splitk_workspace_floats(const struct ampcl_context *ctx, int m, int n, int k,
					  int batch);
/* Runs g (batch 1) as its slices through `run` (a back end: one strided-batched product into
 * the workspace, one for the shorter last slice), then C = beta*C + the slices in order. */
ampcl_status ampcl_gemm_splitk_run(struct ampcl_context *ctx, const struct ampcl_gemm_args *g,
				   struct ampcl_gemm_splitk cut,
				   ampcl_status (*run)(struct ampcl_context *,
						       const struct ampcl_gemm_args *));

/* C (m, n, row stride ldc, at c_off) = beta*C + the slices at ws_off (each a dense m x n), added
 * in order. */
ampcl_status ampcl_gemm_splitk_sum(struct ampcl_context *ctx, cl_mem c, size_t c_off, int ldc,
				   cl_mem ws, size_t ws_off, int m, int n, int slices, float beta);
/* Inside ampcl_net_tune at AMPCL_TUNE=full, for an (m, n, k) product not yet in the table: times
 * run(arg, cut) for each variant cut (no cut, the default's, half and twice its slices; the
 * results are thrown away) and stores the fastest. Does nothing otherwise. */
ampcl_status ampcl_gemm_splitk_tune(struct ampcl_context *ctx, int m, int n, int k,
				    ampcl_status (*run)(void *arg, struct ampcl_gemm_splitk cut),
				    void *arg);
/* Inside ampcl_net_tune: times this product uncut and cut into other numbers of slices (the
 * results are thrown away) and stores the fastest for its shape. */
ampcl_status ampcl_gemm_splitk_measure(struct ampcl_context *ctx, const struct ampcl_gemm_args *g,
				       ampcl_status (*run)(struct ampcl_context *,
							   const struct ampcl_gemm_args *));

#endif
