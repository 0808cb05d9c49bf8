/* conv_shape.h: a 2-D convolution's geometry and its output extents, below everything that
 * computes a convolution (conv.c, its packed and implicit paths, the packed GEMM's gather). */
#ifndef AMPCL_CONV_SHAPE_H
#define AMPCL_CONV_SHAPE_H

/* x: (n, c, h, w)  w: (k, c, r, s)  y: (n, k, p, q), the same stride and pad on both axes */
struct ampcl_conv2d_shape {
	int n, c, h, w, k, r, s, stride, pad;
};

/* Output extents, floored as in PyTorch: p = (h + 2*pad - r)/stride + 1; 0 or less when the
 * kernel does not fit the padded input (the layer calls reject that). */
int ampcl_conv2d_out_h(const struct ampcl_conv2d_shape *s);
int ampcl_conv2d_out_w(const struct ampcl_conv2d_shape *s);

#endif
