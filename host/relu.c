/* relu.c: host side of cl/relu.cl: checks the views and launches the vectorised ReLU kernels,
 * each work-item owning AMPCL_ELTWISE_VEC elements. */
#include "relu.h"
#include "eltwise.h"
#include "program.h"

ampcl_status ampcl_relu_forward(struct ampcl_context *ctx, const struct ampcl_tensor *y,
				const struct ampcl_tensor *x)
{
	/* y, x: (count) */
	ampcl_status st;
	if ((st = ampcl_eltwise_check_view("relu forward", "x", x)) ||
	    (st = ampcl_eltwise_check_same("relu forward", "y", y, "x", x)))
		return st;
	cl_kernel k;
	if ((st = ampcl_kernel_get(ctx, "relu", "", "relu_forward", &k)))
		return st;
	size_t n = ampcl_tensor_count(x);
	struct ampcl_karg args[] = {AMPCL_KARG_MEM(ampcl_tensor_mem(y)),
				    AMPCL_KARG_UINT(ampcl_tensor_off(y)),
				    AMPCL_KARG_MEM(ampcl_tensor_mem(x)),
				    AMPCL_KARG_UINT(ampcl_tensor_off(x)), AMPCL_KARG_UINT(n)};
	return ampcl_eltwise_launch(ctx, k, n, 5, args);
}

ampcl_status ampcl_relu_backward(struct ampcl_context *ctx, const struct ampcl_tensor *dx,
				 const struct ampcl_tensor *dy, const struct ampcl_tensor *y,
				 float beta)
{
	/* dx, dy, y: (count) */
	ampcl_status st;
	if ((st = ampcl_eltwise_check_view("relu backward", "y", y)) ||
	    (st = ampcl_eltwise_check_same("relu backward", "dy", dy, "y", y)) ||
	    (st = ampcl_eltwise_check_same("relu backward", "dx", dx, "y", y)))
		return st;
	cl_kernel k;
	if ((st = ampcl_kernel_get(ctx, "relu", "", "relu_backward", &k)))
		return st;
	size_t n = ampcl_tensor_count(y);
	struct ampcl_karg args[] = {AMPCL_KARG_MEM(ampcl_tensor_mem(dx)),
				    AMPCL_KARG_UINT(ampcl_tensor_off(dx)),
				    AMPCL_KARG_MEM(ampcl_tensor_mem(dy)),
				    AMPCL_KARG_UINT(ampcl_tensor_off(dy)),
				    AMPCL_KARG_MEM(ampcl_tensor_mem(y)),
				    AMPCL_KARG_UINT(ampcl_tensor_off(y)),
				    AMPCL_KARG_FLOAT(beta),
				    AMPCL_KARG_UINT(n)};
	return ampcl_eltwise_launch(ctx, k, n, 8, args);
}
