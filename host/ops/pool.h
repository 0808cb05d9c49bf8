/* pool.h: host side of cl/pool.cl: max-pool 2x2 stride 2 (floor, like nn.MaxPool2d(2)) and the
 * global average pool before the classifier (nn.AdaptiveAvgPool2d(1) + flatten). */
#ifndef AMPCL_POOL_H
#define AMPCL_POOL_H

#include "arena.h"
#include "context.h"

/* y: (n, c, h/2, w/2)  x: (n, c, h, w), h and w >= 2; an odd last row or column is dropped */
ampcl_status ampcl_maxpool2_forward(struct ampcl_context *ctx, const struct ampcl_tensor *y,
				    const struct ampcl_tensor *x);
/* dx = beta*dx + dy routed to the first maximum of each window in row-major order (PyTorch's
 * choice on ties); elements of a dropped odd row or column get no gradient. Gather form: each
 * dx element decides for itself, no atomics.
 * dx, x: (n, c, h, w)  dy: (n, c, h/2, w/2) */
ampcl_status ampcl_maxpool2_backward(struct ampcl_context *ctx, const struct ampcl_tensor *dx,
				     const struct ampcl_tensor *dy, const struct ampcl_tensor *x,
				     float beta);
/* y = mean over h*w, by a fixed-order reduction (bit-identical from run to run).
 * y: (n, c) or (n, c, 1, 1)  x: (n, c, h, w) */
ampcl_status ampcl_avgpool_forward(struct ampcl_context *ctx, const struct ampcl_tensor *y,
				   const struct ampcl_tensor *x);
/* dx = beta*dx + dy/(h*w).  dx: (n, c, h, w)  dy: (n, c) or (n, c, 1, 1) */
ampcl_status ampcl_avgpool_backward(struct ampcl_context *ctx, const struct ampcl_tensor *dx,
				    const struct ampcl_tensor *dy, float beta);

/* The launches behind the calls above, without their shape checks, with the choice the device
 * profile makes there passed in instead, so a test can run the CPU and the GPU form on any
 * device. Max-pool: span blocks of 4 windows per work-item along a row (the profile's CPU form:
 * the whole row; GPU form: 1). Average: plane_per_item 1 sums each plane in one work-item (CPU
 * form); 0 sums it over lanes, a power of two covering h*w, in work-groups of at most
 * group_max items (GPU form, group_max 256). */
ampcl_status ampcl_maxpool2_forward_launch(struct ampcl_context *ctx, const struct ampcl_tensor *y,
					   const struct ampcl_tensor *x, size_t span);
ampcl_status ampcl_maxpool2_backward_launch(struct ampcl_context *ctx,
					    const struct ampcl_tensor *dx,
					    const struct ampcl_tensor *dy,
					    const struct ampcl_tensor *x, float beta, size_t span);
ampcl_status ampcl_avgpool_forward_launch(struct ampcl_context *ctx, const struct ampcl_tensor *y,
					  const struct ampcl_tensor *x, int plane_per_item,
					  size_t group_max);

#endif
