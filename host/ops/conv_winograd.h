/* conv_winograd.h: Winograd F(2x2, 3x3) for 3x3 stride-1 convolutions, forward and input
 * gradient: transforms in cl/conv_winograd.cl, the 16 products on the GEMM back end (gemm.h). */
#ifndef AMPCL_CONV_WINOGRAD_H
#define AMPCL_CONV_WINOGRAD_H

#include "arena.h"
#include "context.h"
#include "conv_shape.h"

/* Whether the shape has a Winograd path: a 3x3 kernel, stride 1, pad 0, 1 or 2 (so that the
 * input gradient, padded by 2 - pad, is one too). */
int ampcl_conv2d_winograd_fits(const struct ampcl_conv2d_shape *s);

/* Floats of convolution scratch one call takes for a chunk of `images` images: the transformed
 * filters (16, k, c), the transformed input tiles (16, c, images*tiles) and the products
 * (16, k, images*tiles), tiles = ceil(p/2)*ceil(q/2); dx != 0: the same for the input gradient
 * (dy's k channels in, c out, tiles of h x w). */
size_t ampcl_conv2d_winograd_scratch_floats(const struct ampcl_conv2d_shape *s, int images, int dx);
/* The images per chunk a scratch of `floats` allows (at most n; 0: not even one). */
int ampcl_conv2d_winograd_chunk(const struct ampcl_conv2d_shape *s, size_t floats, int dx);

/* Floats of op workspace the products of either pass take with a scratch of scratch_floats. */
size_t ampcl_conv2d_winograd_workspace_floats(const struct ampcl_context *ctx,
					      const struct ampcl_conv2d_shape *s,
					      size_t scratch_floats);

/* y = conv(x, w) (+ bias per channel unless NULL) over the whole batch, chunked to the scratch
 * (which must fit one image: ampcl_conv2d_winograd_chunk > 0). y: (n, k, p, q) x: (n, c, h, w)
 * w: (k, c, 3, 3). */
ampcl_status
ampcl_conv2d_winograd_forward(struct ampcl_context *ctx, const struct ampcl_conv2d_shape *s,
			      const struct ampcl_tensor *y, const struct ampcl_tensor *x,
			      const struct ampcl_tensor *w, const struct ampcl_tensor *bias,
			      const struct ampcl_tensor *scratch);

/* dx = beta*dx + the input gradient (dy convolved with w transposed and flipped, pad 2 - pad)
 * over the whole batch, chunked to the scratch (and the profile's conv_winograd_chunk_floats).
 * dx: (n, c, h, w)  dy: (n, k, p, q). */
ampcl_status ampcl_conv2d_winograd_dx(struct ampcl_context *ctx, const struct ampcl_conv2d_shape *s,
				      const struct ampcl_tensor *dx, float beta,
				      const struct ampcl_tensor *dy, const struct ampcl_tensor *w,
				      const struct ampcl_tensor *scratch);

#endif
