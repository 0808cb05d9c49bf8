/* conv_shape.c: a convolution's output extents (conv_shape.h), the one arithmetic every
 * convolution path and its planning share. */
#include "conv_shape.h"

int ampcl_conv2d_out_h(const struct ampcl_conv2d_shape *s)
{
	if (s->stride < 1 || s->h + 2 * s->pad < s->r)
		return 0;
	return (s->h + 2 * s->pad - s->r) / s->stride + 1;
}

int ampcl_conv2d_out_w(const struct ampcl_conv2d_shape *s)
{
	if (s->stride < 1 || s->w + 2 * s->pad < s->s)
		return 0;
	return (s->w + 2 * s->pad - s->s) / s->stride + 1;
}
