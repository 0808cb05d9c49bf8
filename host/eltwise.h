/* eltwise.h: host side of cl/eltwise.cl (fill, residual add forward and backward, in-place
 * amplification) and the view checks and launch sizing the other element-wise ops share. */
#ifndef AMPCL_ELTWISE_H
#define AMPCL_ELTWISE_H

#include "arena.h"
#include "context.h"
#include "launch.h"

/* Elements per work-item in the vectorised element-wise kernels (ELT_VEC in the .cl files). */
#define AMPCL_ELTWISE_VEC 4

/* y = a + b, the residual join; y may be the same view as a or b.
 * y, a, b: any shape, the same element count */
ampcl_status ampcl_add_forward(struct ampcl_context *ctx, const struct ampcl_tensor *y,
			       const struct ampcl_tensor *a, const struct ampcl_tensor *b);
/* dx = beta*dx + dy: the gradient of one input of the join. beta 0 overwrites without reading
 * dx (it may hold NaN); 1 accumulates, as at a residual fork.  dx, dy: the same element count */
ampcl_status ampcl_add_backward(struct ampcl_context *ctx, const struct ampcl_tensor *dx,
				const struct ampcl_tensor *dy, float beta);
/* g *= factor in place: what gradient amplification enqueues after a selected layer's
 * backward. factor 1 leaves every bit as it was. */
ampcl_status ampcl_amplify(struct ampcl_context *ctx, const struct ampcl_tensor *g, float factor);
/* Every element of t = value. */
ampcl_status ampcl_fill(struct ampcl_context *ctx, const struct ampcl_tensor *t, float value);

/* ---- shared by the layers' host files ---- */

/* Checks that a view can go to a kernel: its arena is allocated, the view lies inside it, and
 * its offset and size fit the kernels' 32-bit indexing. op and name go into the message. */
ampcl_status ampcl_eltwise_check_view(const char *op, const char *name,
				      const struct ampcl_tensor *t);
/* ampcl_eltwise_check_view, and t has as many elements as like (named like_name). */
ampcl_status ampcl_eltwise_check_same(const char *op, const char *name,
				      const struct ampcl_tensor *t, const char *like_name,
				      const struct ampcl_tensor *like);
/* "(3, 33, 7, 7)" into buf, for messages; returns buf. */
const char *ampcl_eltwise_shape_str(const struct ampcl_tensor *t, char *buf, size_t size);
/* The largest power of two <= want that kernel may run as one work-group on this device. */
size_t ampcl_eltwise_group_size(struct ampcl_context *ctx, cl_kernel kernel, size_t want);
/* Enqueues a kernel whose work-items own AMPCL_ELTWISE_VEC consecutive elements of n. */
ampcl_status ampcl_eltwise_launch(struct ampcl_context *ctx, cl_kernel kernel, size_t n, int nargs,
				  const struct ampcl_karg *args);

#endif
