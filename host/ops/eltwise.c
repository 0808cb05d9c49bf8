/* eltwise.c: host side of cl/eltwise.cl: fill, residual add and amplification, each checking
 * its views and launching one work-item per AMPCL_ELTWISE_VEC elements. */
#include "eltwise.h"
#include "program.h"

ampcl_status ampcl_add_forward(struct ampcl_context *ctx, const struct ampcl_tensor *y,
			       const struct ampcl_tensor *a, const struct ampcl_tensor *b)
{
	ampcl_status st;
	if ((st = ampcl_tensor_check("add forward", "a", a, 0, NULL)) ||
	    (st = ampcl_tensor_check_same("add forward", "b", b, "a", a)) ||
	    (st = ampcl_tensor_check_same("add forward", "y", y, "a", a)))
		return st;
	size_t n = ampcl_tensor_count(y);
	struct ampcl_karg args[] = {AMPCL_KARG_VIEW(y), AMPCL_KARG_VIEW(a), AMPCL_KARG_VIEW(b),
				    AMPCL_KARG_UINT(n)};
	return ampcl_launch_1d_named(ctx, "eltwise", "add_forward",
				     ampcl_div_up(n, AMPCL_ELTWISE_VEC), AMPCL_NARGS(args), args);
}

ampcl_status ampcl_add_backward(struct ampcl_context *ctx, const struct ampcl_tensor *dx,
				const struct ampcl_tensor *dy, float beta)
{
	ampcl_status st;
	if ((st = ampcl_tensor_check("add backward", "dy", dy, 0, NULL)) ||
	    (st = ampcl_tensor_check_same("add backward", "dx", dx, "dy", dy)))
		return st;
	size_t n = ampcl_tensor_count(dx);
	struct ampcl_karg args[] = {AMPCL_KARG_VIEW(dx), AMPCL_KARG_VIEW(dy),
				    AMPCL_KARG_FLOAT(beta), AMPCL_KARG_UINT(n)};
	return ampcl_launch_1d_named(ctx, "eltwise", "add_backward",
				     ampcl_div_up(n, AMPCL_ELTWISE_VEC), AMPCL_NARGS(args), args);
}

/* t = kernel(t, value) in place: the kernels of cl/eltwise.cl that take (t, value, n). */
static ampcl_status eltwise_inplace(struct ampcl_context *ctx, const char *op, const char *name,
				    const char *kernel, const struct ampcl_tensor *t, float value)
{
	ampcl_status st = ampcl_tensor_check(op, name, t, 0, NULL);
	if (st)
		return st;
	size_t n = ampcl_tensor_count(t);
	struct ampcl_karg args[] = {AMPCL_KARG_VIEW(t), AMPCL_KARG_FLOAT(value),
				    AMPCL_KARG_UINT(n)};
	return ampcl_launch_1d_named(ctx, "eltwise", kernel, ampcl_div_up(n, AMPCL_ELTWISE_VEC),
				     AMPCL_NARGS(args), args);
}

ampcl_status ampcl_amplify(struct ampcl_context *ctx, const struct ampcl_tensor *g, float factor)
{
	return eltwise_inplace(ctx, "amplify", "g", "scale_forward", g, factor);
}

ampcl_status ampcl_fill(struct ampcl_context *ctx, const struct ampcl_tensor *t, float value)
{
	return eltwise_inplace(ctx, "fill", "t", "fill_forward", t, value);
}

ampcl_status ampcl_sumsq(struct ampcl_context *ctx, const struct ampcl_tensor *out,
			 const struct ampcl_tensor *x)
{
	ampcl_status st;
	if ((st = ampcl_tensor_check("sumsq", "out", out, 1, "1")) ||
	    (st = ampcl_tensor_check("sumsq", "x", x, 0, NULL)))
		return st;
	cl_kernel kernel;
	if ((st = ampcl_kernel_get(ctx, "eltwise", "", "sumsq_forward", &kernel)))
		return st;
	size_t group = ampcl_launch_reduce_group(ctx, kernel, 256, sizeof(float));
	struct ampcl_karg args[] = {AMPCL_KARG_VIEW(out), AMPCL_KARG_VIEW(x),
				    AMPCL_KARG_UINT(ampcl_tensor_count(x)),
				    AMPCL_KARG_LOCAL(group * sizeof(float))};
	return ampcl_launch(ctx, kernel, 1, &group, &group, AMPCL_NARGS(args), args, NULL);
}
