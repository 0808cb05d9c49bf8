/* relu.h: host side of cl/relu.cl: ReLU and Clip forward and their backward, which read the
 * output (not the input) so the forward may run in place. */
#ifndef AMPCL_RELU_H
#define AMPCL_RELU_H

#include "arena.h"
#include "context.h"

/* y = max(x, 0), NaN passing through; y may be the same view as x (in place).
 * y, x: any shape, the same element count */
ampcl_status ampcl_relu_forward(struct ampcl_context *ctx, const struct ampcl_tensor *y,
				const struct ampcl_tensor *x);
/* dx = beta*dx + dy*(y > 0); beta 0 overwrites without reading dx, 1 accumulates.
 * dx, dy, y: the same element count */
ampcl_status ampcl_relu_backward(struct ampcl_context *ctx, const struct ampcl_tensor *dx,
				 const struct ampcl_tensor *dy, const struct ampcl_tensor *y,
				 float beta);
/* dx = beta*dx + scale*dy*(y > 0) in one pass: a ReLU's amplification (scale > 0) folded into
 * its backward, or the masked gradient of a ReLU written straight into a gradient of what came
 * before it (the net's residual add). The same bits as the backward followed by
 * ampcl_amplify. */
ampcl_status ampcl_relu_backward_scaled(struct ampcl_context *ctx, const struct ampcl_tensor *dx,
					const struct ampcl_tensor *dy, const struct ampcl_tensor *y,
					float scale, float beta);

/* y = min(max(x, lo), hi), NaN passing through; y may be x. lo < hi. */
ampcl_status ampcl_clip_forward(struct ampcl_context *ctx, const struct ampcl_tensor *y,
				const struct ampcl_tensor *x, float lo, float hi);
/* dx = beta*dx + dy*(lo < y < hi). */
ampcl_status ampcl_clip_backward(struct ampcl_context *ctx, const struct ampcl_tensor *dx,
				 const struct ampcl_tensor *dy, const struct ampcl_tensor *y, float lo,
				 float hi, float beta);

#endif
