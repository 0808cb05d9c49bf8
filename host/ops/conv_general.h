/* conv_general.h: host side of cl/conv_general.cl: the convolution in its general form (groups
 * and depthwise, dilation, strides and padding per side, rectangular kernels), direct kernels. */
#ifndef AMPCL_CONV_GENERAL_H
#define AMPCL_CONV_GENERAL_H

#include "arena.h"
#include "context.h"

/* x (n, c, h, w) -> y (n, k, out_h, out_w); weights (k, c / groups, kh, kw); groups divides
 * c and k; pads per side (top, left, bottom, right); dilations dh, dw >= 1. */
struct ampcl_gconv_shape {
	int n, c, h, w, k, kh, kw, sh, sw, pt, pl, pb, pr, dh, dw, groups;
};
int ampcl_gconv_out_h(const struct ampcl_gconv_shape *s);
int ampcl_gconv_out_w(const struct ampcl_gconv_shape *s);

/* y = conv(x, w) + b (b may be NULL). */
ampcl_status ampcl_gconv_forward(struct ampcl_context *ctx, const struct ampcl_gconv_shape *s,
				 const struct ampcl_tensor *y, const struct ampcl_tensor *x,
				 const struct ampcl_tensor *w, const struct ampcl_tensor *b);
/* dx = beta*dx + the input gradient (dx may be NULL: not computed); dw and db (may be NULL)
 * overwritten with the weight and bias gradients. */
ampcl_status ampcl_gconv_backward(struct ampcl_context *ctx, const struct ampcl_gconv_shape *s,
				  const struct ampcl_tensor *dx, const struct ampcl_tensor *dw,
				  const struct ampcl_tensor *db, const struct ampcl_tensor *dy,
				  const struct ampcl_tensor *x, const struct ampcl_tensor *w,
				  float beta);

#endif
