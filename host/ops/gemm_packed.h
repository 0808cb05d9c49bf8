/* gemm_packed.h: the own back end's packed GEMM for CPU devices (gemm_packed.c, cl/gemm_packed.cl),
 * taken when the device profile sets gemm_packed; convolutions pack straight from their tensors. */
#ifndef AMPCL_GEMM_PACKED_H
#define AMPCL_GEMM_PACKED_H

#include "conv_shape.h"
#include "gemm.h"

/* Where a packed operand's values come from. */
enum ampcl_pack_kind {
	AMPCL_PACK_MATRIX,   /* a stored matrix: mem, off, ld, trans, stride (as ampcl_gemm) */
	AMPCL_PACK_NCHW,     /* an NCHW tensor (images from off) as its (channels, images*pq)
				matrix: A's rows (read in place, not packed) or B's k are the
				channels */
	AMPCL_PACK_IM2COL,   /* B: x's im2col matrix (c*r*s, images*p*q), gathered from x's planes
				zero-padded by pad ((h + 2*pad) x (w + 2*pad) each, from off;
				conv_packed.c makes the copy) */
	AMPCL_PACK_IM2COL_T, /* B: its transpose (images*p*q, c*r*s), likewise */
	AMPCL_PACK_WFLIP,    /* A: conv's weights (k, c, r, s) as (c, k*r*s), transposed and
				flipped: a stride-1 input gradient as a convolution of dy */
};

struct ampcl_pack_operand {
	enum ampcl_pack_kind kind;
	cl_mem mem;
	size_t off;
	int ld, trans;
	size_t stride;
	int pq;                                /* NCHW: pixels per channel */
	const struct ampcl_conv2d_shape *conv; /* IM2COL, IM2COL_T: the geometry */
};

/* C (m, n) = alpha * op(A) (m, k) * op(B) (k, n) + beta * C, batch products (MATRIX operands
 * only when batch > 1). C's columns lie in runs of c_seg floats, c_seg_stride apart (an NCHW
 * output: c_seg = p*q, c_seg_stride = its channels * p*q, ldc = p*q); c_seg 0: a plain matrix. */
struct ampcl_packed_product {
	int m, n, k, batch;
	float alpha, beta;
	struct ampcl_pack_operand a, b;
	cl_mem c;
	size_t c_off;
	int ldc;
	size_t stride_c;
	int c_seg;
	size_t c_seg_stride;
	size_t ws_skip; /* the op workspace's first floats hold B (a padded input): panels after */
	cl_mem bias;    /* NULL, or C's row i gets + bias[bias_off + i] after alpha and beta */
	size_t bias_off;
};

/* Whether the packed path serves products here (the profile asks for it and the own back end
 * is in effect). */
int ampcl_gemm_packed_on(const struct ampcl_context *ctx);
/* Whether it takes the matrix product g (on, k >= 1, its panels indexable). */
int ampcl_gemm_packed_takes(const struct ampcl_context *ctx, const struct ampcl_gemm_args *g);
/* Floats of op workspace an (m, n, k) product, batch times, needs: A's panels and any split-k
 * partial blocks (a_shared: one A serves the whole batch). */
size_t ampcl_gemm_packed_workspace_floats(const struct ampcl_context *ctx, int m, int n, int k,
					  int batch, int a_shared);
/* Floats of op workspace the product pr takes, ws_skip included. */
size_t ampcl_gemm_packed_product_floats(const struct ampcl_context *ctx,
					const struct ampcl_packed_product *pr);
/* Runs g (validated by gemm.c) as a product of two MATRIX operands. */
ampcl_status ampcl_gemm_packed_run(struct ampcl_context *ctx, const struct ampcl_gemm_args *g);
/* Runs a product (the caller has checked its operands lie in their buffers): pack A, pack B,
 * the micro-kernel, and the fixed-order sum of the k chunks when it splits k (their count
 * depends on the shape and the device alone, so results are bit-identical run to run). */
ampcl_status ampcl_gemm_packed_product(struct ampcl_context *ctx,
				       const struct ampcl_packed_product *pr);

#endif
