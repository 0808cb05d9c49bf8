/* conv_packed.h: a convolution's products on the packed GEMM (gemm_packed.h), packed straight
 * from its NCHW tensors: no im2col matrix for forward and dW, no reshuffle of y or dy. */
#ifndef AMPCL_CONV_PACKED_H
#define AMPCL_CONV_PACKED_H

#include "arena.h"
#include "context.h"
#include "conv_shape.h"

/* Whether conv.c takes these paths: the packed GEMM serves products on this device. */
int ampcl_conv2d_packed_on(const struct ampcl_context *ctx);

/* Floats of op workspace the three products of a chunk of `images` images take. */
size_t ampcl_conv2d_packed_workspace_floats(const struct ampcl_context *ctx,
					    const struct ampcl_conv2d_shape *s, int images);

/* y[b0 .. b0+nb) = W x im2col(x[b0 .. b0+nb)) (+ bias per channel unless NULL), in NCHW. */
ampcl_status ampcl_conv2d_packed_forward(struct ampcl_context *ctx,
					 const struct ampcl_conv2d_shape *s,
					 const struct ampcl_tensor *y, const struct ampcl_tensor *x,
					 const struct ampcl_tensor *w,
					 const struct ampcl_tensor *bias, int b0, int nb);

/* dW += dy[b0 .. b0+nb) (k, nb*pq) x im2col(x[b0 .. b0+nb))^T. */
ampcl_status ampcl_conv2d_packed_dw(struct ampcl_context *ctx, const struct ampcl_conv2d_shape *s,
				    const struct ampcl_tensor *dw, const struct ampcl_tensor *dy,
				    const struct ampcl_tensor *x, int b0, int nb);

/* Whether the input gradient goes through dcol and col2im (a strided convolution): else
 * ampcl_conv2d_packed_dx writes dx itself. */
int ampcl_conv2d_packed_dx_needs_col(const struct ampcl_conv2d_shape *s);

/* The input gradient of images [b0, b0+nb): at stride 1, dx = beta*dx + the convolution of dy
 * with W transposed and flipped (pointwise: W^T x dy), written into dx; else the product
 * W^T (c*r*s, k) x dy (k, nb*pq) into dcol at (col, col_off), (c*r*s, nb*pq), for col2im. */
ampcl_status ampcl_conv2d_packed_dx(struct ampcl_context *ctx, const struct ampcl_conv2d_shape *s,
				    const struct ampcl_tensor *dx, float beta, cl_mem col,
				    size_t col_off, const struct ampcl_tensor *dy,
				    const struct ampcl_tensor *w, int b0, int nb);

#endif
