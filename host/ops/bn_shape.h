/* bn_shape.h: a batch norm's geometry, below bn.c and the --sync-bn steps (bn_sync.c) that both
 * take it. */
#ifndef AMPCL_BN_SHAPE_H
#define AMPCL_BN_SHAPE_H

/* x is (n, c, hw) with hw = h * w; statistics are per channel over (n, hw). */
struct ampcl_bn_shape {
	int n, c, hw;
};

#endif
