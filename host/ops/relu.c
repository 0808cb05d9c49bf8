/* relu.c: host side of cl/relu.cl: checks the views and launches the vectorised ReLU and Clip
 * kernels, each work-item owning AMPCL_ELTWISE_VEC elements. */
#include "relu.h"
#include "eltwise.h"
#include "error.h"

#include <math.h>

ampcl_status ampcl_relu_forward(struct ampcl_context *ctx, const struct ampcl_tensor *y,
				const struct ampcl_tensor *x)
{
	/* y, x: (count) */
	ampcl_status st;
	if ((st = ampcl_tensor_check("relu forward", "x", x, 0, NULL)) ||
	    (st = ampcl_tensor_check_same("relu forward", "y", y, "x", x)))
		return st;
	size_t n = ampcl_tensor_count(x);
	struct ampcl_karg args[] = {AMPCL_KARG_VIEW(y), AMPCL_KARG_VIEW(x), AMPCL_KARG_UINT(n)};
	return ampcl_launch_1d_named(ctx, "relu", "relu_forward",
				     ampcl_div_up(n, AMPCL_ELTWISE_VEC), AMPCL_NARGS(args), args);
}

ampcl_status ampcl_relu_backward(struct ampcl_context *ctx, const struct ampcl_tensor *dx,
				 const struct ampcl_tensor *dy, const struct ampcl_tensor *y,
				 float beta)
{
	return ampcl_relu_backward_scaled(ctx, dx, dy, y, 1.0f, beta);
}

ampcl_status ampcl_relu_backward_scaled(struct ampcl_context *ctx, const struct ampcl_tensor *dx,
					const struct ampcl_tensor *dy, const struct ampcl_tensor *y,
					float scale, float beta)
{
	/* dx, dy, y: (count) */
	ampcl_status st;
	if ((st = ampcl_tensor_check("relu backward", "y", y, 0, NULL)) ||
	    (st = ampcl_tensor_check_same("relu backward", "dy", dy, "y", y)) ||
	    (st = ampcl_tensor_check_same("relu backward", "dx", dx, "y", y)))
		return st;
	if (!(scale > 0.0f) || !isfinite(scale) || (beta != 0.0f && beta != 1.0f))
		return ampcl_error_set(AMPCL_ERR_INVALID_ARG,
				       "relu backward: scale %g (must be finite and > 0), beta %g "
				       "(0 or 1)",
				       (double)scale, (double)beta);
	size_t n = ampcl_tensor_count(y);
	struct ampcl_karg args[] = {AMPCL_KARG_VIEW(dx),	 AMPCL_KARG_VIEW(dy),
				    AMPCL_KARG_VIEW(y),		 AMPCL_KARG_FLOAT(scale),
				    AMPCL_KARG_FLOAT(beta), AMPCL_KARG_UINT(n)};
	return ampcl_launch_1d_named(ctx, "relu", "relu_backward",
				     ampcl_div_up(n, AMPCL_ELTWISE_VEC), AMPCL_NARGS(args), args);
}

ampcl_status ampcl_clip_forward(struct ampcl_context *ctx, const struct ampcl_tensor *y,
				const struct ampcl_tensor *x, float lo, float hi)
{
	/* y, x: (count) */
	ampcl_status st;
	if ((st = ampcl_tensor_check("clip forward", "x", x, 0, NULL)) ||
	    (st = ampcl_tensor_check_same("clip forward", "y", y, "x", x)))
		return st;
	size_t n = ampcl_tensor_count(x);
	struct ampcl_karg args[] = {AMPCL_KARG_VIEW(y), AMPCL_KARG_VIEW(x), AMPCL_KARG_FLOAT(lo),
				    AMPCL_KARG_FLOAT(hi), AMPCL_KARG_UINT(n)};
	return ampcl_launch_1d_named(ctx, "relu", "clip_forward",
				     ampcl_div_up(n, AMPCL_ELTWISE_VEC), AMPCL_NARGS(args), args);
}

ampcl_status ampcl_clip_backward(struct ampcl_context *ctx, const struct ampcl_tensor *dx,
				 const struct ampcl_tensor *dy, const struct ampcl_tensor *y, float lo,
				 float hi, float beta)
{
	/* dx, dy, y: (count) */
	ampcl_status st;
	if ((st = ampcl_tensor_check("clip backward", "y", y, 0, NULL)) ||
	    (st = ampcl_tensor_check_same("clip backward", "dy", dy, "y", y)) ||
	    (st = ampcl_tensor_check_same("clip backward", "dx", dx, "y", y)))
		return st;
	size_t n = ampcl_tensor_count(y);
	struct ampcl_karg args[] = {AMPCL_KARG_VIEW(dx),	AMPCL_KARG_VIEW(dy), AMPCL_KARG_VIEW(y),
				    AMPCL_KARG_FLOAT(lo),	AMPCL_KARG_FLOAT(hi),
				    AMPCL_KARG_FLOAT(beta), AMPCL_KARG_UINT(n)};
	return ampcl_launch_1d_named(ctx, "relu", "clip_backward",
				     ampcl_div_up(n, AMPCL_ELTWISE_VEC), AMPCL_NARGS(args), args);
}
