/* conv_implicit.h: a convolution's forward and weight gradient as implicit GEMMs on cl/gemm.cl's
 * tiled kernel (GPU devices): operands gathered from the NCHW tensors, no im2col matrix. */
#ifndef AMPCL_CONV_IMPLICIT_H
#define AMPCL_CONV_IMPLICIT_H

#include "arena.h"
#include "context.h"
#include "conv_shape.h"

/* Whether convolutions take this path here: the profile asks for it (gpu row, AMPCL_CONV), the
 * packed CPU GEMM is not in use, and the device runs loops of any length. */
int ampcl_conv2d_implicit_on(const struct ampcl_context *ctx);
/* Floats of op workspace the weight gradient's split-k slices take (0: none). */
size_t ampcl_conv2d_implicit_workspace_floats(const struct ampcl_context *ctx,
					      const struct ampcl_conv2d_shape *s);
/* y = W * x over the whole batch, written in NCHW (the caller adds a bias). */
ampcl_status ampcl_conv2d_implicit_forward(struct ampcl_context *ctx,
					   const struct ampcl_conv2d_shape *s,
					   const struct ampcl_tensor *y,
					   const struct ampcl_tensor *x,
					   const struct ampcl_tensor *w);
/* dW += dy (*) x over the whole batch: pixels cut into split-k slices (gemm_splitk.h's plan for
 * the (k, c*r*s, n*p*q) product) summed in order, so results are the same run to run. */
ampcl_status ampcl_conv2d_implicit_dw(struct ampcl_context *ctx, const struct ampcl_conv2d_shape *s,
				      const struct ampcl_tensor *dw, const struct ampcl_tensor *dy,
				      const struct ampcl_tensor *x);

#endif
