/* verify_ops.h: one check per op call: runs the op on the device at a shape, the double reference
 * on the host, and compares every output with its float32 error bound (verify.h's vf_compare). */
#ifndef AMPCL_VERIFY_OPS_H
#define AMPCL_VERIFY_OPS_H

#include "conv.h"
#include "verify.h"

/* Views of one check, each after a pad (non-zero offsets), in an arena of their own. */
struct vf_arena {
	struct ampcl_arena *arena;
	int n;
	ampcl_status st; /* the first reserve that failed: commit returns it */
};
void vf_arena_init(struct vf_arena *a, const char *role);
struct ampcl_tensor vf_reserve(struct vf_arena *a, int ndim, const int *shape);
ampcl_status vf_arena_commit(struct vf_run *v, struct vf_arena *a);
void vf_arena_free(struct vf_arena *a);
/* A tensor with the given float contents: write, or NaN when src is NULL (outputs that must be
 * written whole). */
ampcl_status vf_put(struct vf_run *v, const struct ampcl_tensor *t, const float *src);

/* products (verify_products.c) */
ampcl_status vf_check_gemm(struct vf_run *v, int ta, int tb, int m, int n, int k, float alpha,
			   float beta);
ampcl_status vf_check_conv(struct vf_run *v, const struct ampcl_conv2d_shape *s, int bias,
			   int with_dx, float beta);
ampcl_status vf_check_linear(struct vf_run *v, int n, int in, int out, int bias, float beta);
/* layers (verify_layers.c) */
ampcl_status vf_check_bn(struct vf_run *v, int n, int c, int hw, float beta);
ampcl_status vf_check_maxpool(struct vf_run *v, int n, int c, int h, int w, float beta);
ampcl_status vf_check_avgpool(struct vf_run *v, int n, int c, int h, int w, float beta);
ampcl_status vf_check_relu(struct vf_run *v, size_t count, float beta);
ampcl_status vf_check_add(struct vf_run *v, size_t count, float beta);
ampcl_status vf_check_loss(struct vf_run *v, int n, int k);
ampcl_status vf_check_amplify(struct vf_run *v, size_t count, float factor);
ampcl_status vf_check_sgd(struct vf_run *v, size_t count, float lr, float momentum, float wd,
			  int nesterov);

#endif
