/* pool_general.h: host side of cl/pool_general.cl: max and average pooling with any window,
 * strides, padding per side, ceil_mode and count_include_pad (ONNX's MaxPool and AveragePool). */
#ifndef AMPCL_POOL_GENERAL_H
#define AMPCL_POOL_GENERAL_H

#include "arena.h"
#include "context.h"

/* x (n, c, h, w) -> y (n, c, out_h, out_w). Windows that start past the image and its leading
 * padding are not made, as PyTorch's ceil_mode does not. */
struct ampcl_gpool_shape {
	int n, c, h, w, kh, kw, sh, sw, pt, pl, pb, pr, ceil_mode, count_include_pad;
};
int ampcl_gpool_out_h(const struct ampcl_gpool_shape *s);
int ampcl_gpool_out_w(const struct ampcl_gpool_shape *s);

/* max (the first largest, NaN winning, as PyTorch's CPU scan) or average (average != 0) */
ampcl_status ampcl_gpool_forward(struct ampcl_context *ctx, const struct ampcl_gpool_shape *s,
				 int average, const struct ampcl_tensor *y,
				 const struct ampcl_tensor *x);
/* dx = beta*dx + the input gradient; x is the forward's input (max only) */
ampcl_status ampcl_gpool_backward(struct ampcl_context *ctx, const struct ampcl_gpool_shape *s,
				  int average, const struct ampcl_tensor *dx,
				  const struct ampcl_tensor *dy, const struct ampcl_tensor *x,
				  float beta);

#endif
