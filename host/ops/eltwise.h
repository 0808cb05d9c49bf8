/* eltwise.h: host side of cl/eltwise.cl (fill, residual add forward and backward, in-place
 * amplification) and the vector width the element-wise kernels of relu.cl and sgd.cl share. */
#ifndef AMPCL_ELTWISE_H
#define AMPCL_ELTWISE_H

#include "arena.h"
#include "constants.h"
#include "context.h"

/* Elements per work-item in the vectorised element-wise kernels (ELT_VEC in the .cl files):
 * they launch over ampcl_div_up(count, AMPCL_ELTWISE_VEC) work-items. */
#define AMPCL_ELTWISE_VEC AMPCL_ELT_VEC

/* y = a + b, the residual join; y may be the same view as a or b.
 * y, a, b: any shape, the same element count */
ampcl_status ampcl_add_forward(struct ampcl_context *ctx, const struct ampcl_tensor *y,
			       const struct ampcl_tensor *a, const struct ampcl_tensor *b);
/* y = max(a + b, 0) in one pass (NaN passing through): the add and the ReLU that follows it */
ampcl_status ampcl_add_relu_forward(struct ampcl_context *ctx, const struct ampcl_tensor *y,
				    const struct ampcl_tensor *a, const struct ampcl_tensor *b);
/* dx = beta*dx + dy: the gradient of one input of the join. beta 0 overwrites without reading
 * dx (it may hold NaN); 1 accumulates, as at a residual fork.  dx, dy: the same element count */
ampcl_status ampcl_add_backward(struct ampcl_context *ctx, const struct ampcl_tensor *dx,
				const struct ampcl_tensor *dy, float beta);
/* g *= factor in place: what gradient amplification enqueues after a selected layer's
 * backward. factor 1 leaves every bit as it was. */
ampcl_status ampcl_amplify(struct ampcl_context *ctx, const struct ampcl_tensor *g, float factor);
/* out[0] = sum of x's squares, deterministic (one work-group, fixed order). out: (1) */
ampcl_status ampcl_sumsq(struct ampcl_context *ctx, const struct ampcl_tensor *out,
			 const struct ampcl_tensor *x);
/* Channel concatenation: y (N, ca + cb, HW) = [a (N, ca, HW), b (N, cb, HW)]; y is neither. */
ampcl_status ampcl_concat_forward(struct ampcl_context *ctx, const struct ampcl_tensor *y,
				  const struct ampcl_tensor *a, const struct ampcl_tensor *b, int n,
				  int ca, int cb, int hw);
/* dx (N, cs, HW) = beta*dx + dy's channels [off, off + cs) (dy: N, cd, HW). */
ampcl_status ampcl_concat_backward(struct ampcl_context *ctx, const struct ampcl_tensor *dx,
				   const struct ampcl_tensor *dy, int n, int cs, int cd, int off,
				   int hw, float beta);
/* Channel slice, the inverse of the concatenation: y (N, cs, HW) = x (N, cd, HW)'s channels
 * [off, off + cs); y is not x. */
ampcl_status ampcl_slice_forward(struct ampcl_context *ctx, const struct ampcl_tensor *y,
				 const struct ampcl_tensor *x, int n, int cs, int cd, int off,
				 int hw);
/* dx (N, cd, HW) = beta*dx + dy (N, cs, HW) put at channels [off, off + cs), zeros elsewhere. */
ampcl_status ampcl_slice_backward(struct ampcl_context *ctx, const struct ampcl_tensor *dx,
				  const struct ampcl_tensor *dy, int n, int cs, int cd, int off,
				  int hw, float beta);
/* Dropout of ratio p in [0, 1): y = x / (1 - p) where the mask keeps, else 0; the mask of
 * element i is a hash of (seed, step, salt, i), drawn again by the backward (nothing stored).
 * p 0 copies x. y may be x. */
struct ampcl_dropout_draw {
	unsigned long long seed;
	unsigned step, salt; /* the training step; the layer (and rank) */
	float ratio;
};
ampcl_status ampcl_dropout_forward(struct ampcl_context *ctx, const struct ampcl_tensor *y,
				   const struct ampcl_tensor *x, const struct ampcl_dropout_draw *d);
/* dx = beta*dx + dy / (1 - p) where the forward's mask kept, else beta*dx. */
ampcl_status ampcl_dropout_backward(struct ampcl_context *ctx, const struct ampcl_tensor *dx,
				    const struct ampcl_tensor *dy,
				    const struct ampcl_dropout_draw *d, float beta);
/* Every element of t = value. */
ampcl_status ampcl_fill(struct ampcl_context *ctx, const struct ampcl_tensor *t, float value);

#endif
