/* conv.h: 2-D convolution, NCHW, zero padding, any kernel size and stride, optional bias: im2col
 * + GEMM (forward) and GEMM + col2im (backward) over chunks of images in a bounded scratch, or,
 * where the profile takes them, the packed CPU GEMM (conv_packed.h) and implicit GEMMs (conv_implicit.h);
 * 3x3 stride-1 forward and input gradient by Winograd F(2x2, 3x3) where forced or tuned
 * (conv_winograd.h). */
#ifndef AMPCL_CONV_H
#define AMPCL_CONV_H

#include "arena.h"
#include "context.h"
#include "conv_shape.h"

/*
 * Scratch, in floats, for a chunk of `images` images: images * p*q * (c*r*s + k) — that
 * chunk's im2col matrix (c*r*s, images*p*q) plus its GEMM output or output gradient
 * (k, images*p*q). Forward and backward use the same amount. The layer calls take whatever
 * scratch view they are given and process the batch in chunks of
 * floor(scratch / ampcl_conv2d_scratch_floats(s, 1)) images (at most n), so memory stays
 * bounded by the scratch; a larger scratch means fewer, larger GEMMs. A scratch smaller than
 * one image's need is AMPCL_ERR_INVALID_ARG. The results depend on the chunk size only in the
 * float rounding of dw (summed chunk by chunk); for one chunk size they are bit-identical from
 * run to run. Chunks must keep the scratch under 2^32 floats.
 */
size_t ampcl_conv2d_scratch_floats(const struct ampcl_conv2d_shape *s, int images);

/* y = conv(x, w) + bias. y: (n, k, p, q)  x: (n, c, h, w)  w: (k, c, r, s)  bias: (k) or NULL.
 * Each view must hold exactly its shape's element count; a mismatch is AMPCL_ERR_INVALID_ARG
 * naming the view and both counts. y is overwritten (it may hold NaN). */
ampcl_status ampcl_conv2d_forward(struct ampcl_context *ctx, const struct ampcl_conv2d_shape *s,
				  const struct ampcl_tensor *y, const struct ampcl_tensor *x,
				  const struct ampcl_tensor *w, const struct ampcl_tensor *bias,
				  const struct ampcl_tensor *scratch);

/* dx = beta*dx + dL/dx (NULL: not needed, e.g. the first layer; beta 0 overwrites without
 * reading dx), dw += dL/dw, db += dL/db (NULL: no bias).
 * dx, x: (n, c, h, w)  dw, w: (k, c, r, s)  db: (k)  dy: (n, k, p, q) */
ampcl_status ampcl_conv2d_backward(struct ampcl_context *ctx, const struct ampcl_conv2d_shape *s,
				   const struct ampcl_tensor *dx, const struct ampcl_tensor *dw,
				   const struct ampcl_tensor *db, const struct ampcl_tensor *dy,
				   const struct ampcl_tensor *x, const struct ampcl_tensor *w,
				   float beta, const struct ampcl_tensor *scratch);

/* Floats of op workspace (workspace.h) a forward or backward call of shape s takes with
 * scratch_floats of im2col scratch, for planning it. */
size_t ampcl_conv2d_workspace_floats(const struct ampcl_context *ctx,
				     const struct ampcl_conv2d_shape *s, size_t scratch_floats);

#endif
