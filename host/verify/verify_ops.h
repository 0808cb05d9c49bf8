/* verify_ops.h: one check per op call: runs the op on the device at a shape, the double reference
 * on the host, and compares every output with its float32 error bound (verify.h's vf_compare). */
#ifndef AMPCL_VERIFY_OPS_H
#define AMPCL_VERIFY_OPS_H

#include "conv.h"
#include "conv_general.h"
#include "pool_general.h"
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

/* Frees each of n host arrays; VF_FREE_ALL(a, b, ...) frees the arrays listed. */
void vf_free_all(void **p, size_t n);
#define VF_FREE_ALL(...)                                                                           \
	do {                                                                                       \
		void *all_[] = {__VA_ARGS__};                                                      \
		vf_free_all(all_, sizeof(all_) / sizeof(all_[0]));                                 \
	} while (0)

/* products (verify_products.c) */
ampcl_status vf_check_gemm(struct vf_run *v, int ta, int tb, int m, int n, int k, float alpha,
			   float beta);
ampcl_status vf_check_conv(struct vf_run *v, const struct ampcl_conv2d_shape *s, int bias,
			   int with_dx, float beta);
/* w_in_out: the weight stored (in, out), as ONNX's MatMul and Gemm with transB 0 hold it */
ampcl_status vf_check_linear(struct vf_run *v, int n, int in, int out, int bias, int w_in_out,
			     float beta);
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
/* the families ONNX models brought (verify_general.c) */
ampcl_status vf_check_gconv(struct vf_run *v, const struct ampcl_gconv_shape *s, int bias,
			    int with_dx, float beta);
ampcl_status vf_check_gpool(struct vf_run *v, const struct ampcl_gpool_shape *s, int average,
			    float beta);
ampcl_status vf_check_clip(struct vf_run *v, size_t count, float lo, float hi, float beta);
ampcl_status vf_check_concat(struct vf_run *v, int n, int ca, int cb, int hw, float beta_a,
			     float beta_b);
ampcl_status vf_check_slice(struct vf_run *v, int n, int cd, int cs, int off, int hw, float beta);
ampcl_status vf_check_dropout(struct vf_run *v, size_t count, float ratio, unsigned step,
			      unsigned salt, float beta);

#endif
