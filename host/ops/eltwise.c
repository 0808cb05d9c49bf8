/* eltwise.c: host side of cl/eltwise.cl: fill, residual add and amplification, each checking
 * its views and launching one work-item per AMPCL_ELTWISE_VEC elements. */
#include "eltwise.h"
#include "program.h"

/* y = a + b, then the ReLU if `relu` */
static ampcl_status add_forward(struct ampcl_context *ctx, const struct ampcl_tensor *y,
				const struct ampcl_tensor *a, const struct ampcl_tensor *b,
				cl_uint relu)
{
	ampcl_status st;
	if ((st = ampcl_tensor_check("add forward", "a", a, 0, NULL)) ||
	    (st = ampcl_tensor_check_same("add forward", "b", b, "a", a)) ||
	    (st = ampcl_tensor_check_same("add forward", "y", y, "a", a)))
		return st;
	size_t n = ampcl_tensor_count(y);
	struct ampcl_karg args[] = {AMPCL_KARG_VIEW(y), AMPCL_KARG_VIEW(a), AMPCL_KARG_VIEW(b),
				    AMPCL_KARG_UINT(relu), AMPCL_KARG_UINT(n)};
	return ampcl_launch_1d_named(ctx, "eltwise", "add_forward",
				     ampcl_div_up(n, AMPCL_ELTWISE_VEC), AMPCL_NARGS(args), args);
}

ampcl_status ampcl_add_forward(struct ampcl_context *ctx, const struct ampcl_tensor *y,
			       const struct ampcl_tensor *a, const struct ampcl_tensor *b)
{
	return add_forward(ctx, y, a, b, 0);
}

ampcl_status ampcl_add_relu_forward(struct ampcl_context *ctx, const struct ampcl_tensor *y,
				    const struct ampcl_tensor *a, const struct ampcl_tensor *b)
{
	return add_forward(ctx, y, a, b, 1);
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

/* One input's channels into y, or back out of dy. */
static ampcl_status concat_part(struct ampcl_context *ctx, const char *kernel,
				const struct ampcl_tensor *part, const struct ampcl_tensor *whole,
				int n, int cs, int cd, int off, int hw, const float *beta)
{
	size_t count = (size_t)n * (size_t)cs * (size_t)hw;
	if (n < 1 || cs < 1 || hw < 1 || off < 0 || off + cs > cd ||
	    ampcl_tensor_count(part) != count ||
	    ampcl_tensor_count(whole) != (size_t)n * (size_t)cd * (size_t)hw)
		return ampcl_error_set(AMPCL_ERR_INVALID_ARG,
				       "concat: a part of %zu values at channels %d..%d of %d "
				       "(n %d, hw %d) against views of %zu and %zu",
				       count, off, off + cs, cd, n, hw, ampcl_tensor_count(part),
				       ampcl_tensor_count(whole));
	if (beta) {
		struct ampcl_karg args[] = {AMPCL_KARG_VIEW(part),   AMPCL_KARG_VIEW(whole),
					    AMPCL_KARG_UINT(cs),     AMPCL_KARG_UINT(cd),
					    AMPCL_KARG_UINT(off),    AMPCL_KARG_UINT(hw),
					    AMPCL_KARG_FLOAT(*beta), AMPCL_KARG_UINT(count)};
		return ampcl_launch_1d_named(ctx, "eltwise", kernel, count, AMPCL_NARGS(args),
					     args);
	}
	struct ampcl_karg args[] = {AMPCL_KARG_VIEW(whole), AMPCL_KARG_VIEW(part),
				    AMPCL_KARG_UINT(cs),    AMPCL_KARG_UINT(cd),
				    AMPCL_KARG_UINT(off),   AMPCL_KARG_UINT(hw),
				    AMPCL_KARG_UINT(count)};
	return ampcl_launch_1d_named(ctx, "eltwise", kernel, count, AMPCL_NARGS(args), args);
}

ampcl_status ampcl_concat_forward(struct ampcl_context *ctx, const struct ampcl_tensor *y,
				  const struct ampcl_tensor *a, const struct ampcl_tensor *b, int n,
				  int ca, int cb, int hw)
{
	/* y: (n, ca + cb, hw), a: (n, ca, hw), b: (n, cb, hw) */
	ampcl_status st;
	if ((st = ampcl_tensor_check("concat forward", "y", y, 0, NULL)) ||
	    (st = ampcl_tensor_check("concat forward", "a", a, 0, NULL)) ||
	    (st = ampcl_tensor_check("concat forward", "b", b, 0, NULL)))
		return st;
	if ((st = concat_part(ctx, "concat_forward", a, y, n, ca, ca + cb, 0, hw, NULL)))
		return st;
	return concat_part(ctx, "concat_forward", b, y, n, cb, ca + cb, ca, hw, NULL);
}

ampcl_status ampcl_concat_backward(struct ampcl_context *ctx, const struct ampcl_tensor *dx,
				   const struct ampcl_tensor *dy, int n, int cs, int cd, int off,
				   int hw, float beta)
{
	/* dx: (n, cs, hw), dy: (n, cd, hw) */
	ampcl_status st;
	if ((st = ampcl_tensor_check("concat backward", "dx", dx, 0, NULL)) ||
	    (st = ampcl_tensor_check("concat backward", "dy", dy, 0, NULL)))
		return st;
	return concat_part(ctx, "concat_backward", dx, dy, n, cs, cd, off, hw, &beta);
}

ampcl_status ampcl_slice_forward(struct ampcl_context *ctx, const struct ampcl_tensor *y,
				 const struct ampcl_tensor *x, int n, int cs, int cd, int off,
				 int hw)
{
	/* y: (n, cs, hw), x: (n, cd, hw): the copy a concatenation's backward makes, beta 0 */
	ampcl_status st;
	if ((st = ampcl_tensor_check("slice forward", "y", y, 0, NULL)) ||
	    (st = ampcl_tensor_check("slice forward", "x", x, 0, NULL)))
		return st;
	const float zero = 0.0f;
	return concat_part(ctx, "concat_backward", y, x, n, cs, cd, off, hw, &zero);
}

ampcl_status ampcl_slice_backward(struct ampcl_context *ctx, const struct ampcl_tensor *dx,
				  const struct ampcl_tensor *dy, int n, int cs, int cd, int off,
				  int hw, float beta)
{
	/* dx: (n, cd, hw), dy: (n, cs, hw) */
	ampcl_status st;
	if ((st = ampcl_tensor_check("slice backward", "dx", dx, 0, NULL)) ||
	    (st = ampcl_tensor_check("slice backward", "dy", dy, 0, NULL)))
		return st;
	size_t count = (size_t)n * (size_t)cd * (size_t)hw;
	if (n < 1 || cs < 1 || hw < 1 || off < 0 || off + cs > cd ||
	    ampcl_tensor_count(dx) != count ||
	    ampcl_tensor_count(dy) != (size_t)n * (size_t)cs * (size_t)hw)
		return ampcl_error_set(
		    AMPCL_ERR_INVALID_ARG,
		    "slice backward: channels %d..%d of %d (n %d, hw %d) against "
		    "views dx of %zu and dy of %zu values",
		    off, off + cs, cd, n, hw, ampcl_tensor_count(dx), ampcl_tensor_count(dy));
	struct ampcl_karg args[] = {AMPCL_KARG_VIEW(dx),    AMPCL_KARG_VIEW(dy),
				    AMPCL_KARG_UINT(cs),    AMPCL_KARG_UINT(cd),
				    AMPCL_KARG_UINT(off),   AMPCL_KARG_UINT(hw),
				    AMPCL_KARG_FLOAT(beta), AMPCL_KARG_UINT(count)};
	return ampcl_launch_1d_named(ctx, "eltwise", "slice_backward", count, AMPCL_NARGS(args),
				     args);
}

/* The mask's threshold (p * 2^32, a kept element's hash reaches it) and the kept values' scale. */
static ampcl_status dropout_args(const struct ampcl_dropout_draw *d, unsigned *threshold,
				 float *scale)
{
	if (!(d->ratio >= 0.0f && d->ratio < 1.0f))
		return ampcl_error_set(AMPCL_ERR_INVALID_ARG, "dropout ratio %g: give 0 <= p < 1",
				       d->ratio);
	*threshold = (unsigned)((double)d->ratio * 4294967296.0);
	*scale = 1.0f / (1.0f - d->ratio);
	return AMPCL_OK;
}

ampcl_status ampcl_dropout_forward(struct ampcl_context *ctx, const struct ampcl_tensor *y,
				   const struct ampcl_tensor *x, const struct ampcl_dropout_draw *d)
{
	/* y, x: (count) */
	ampcl_status st;
	unsigned threshold = 0;
	float scale = 1.0f;
	if ((st = ampcl_tensor_check("dropout forward", "x", x, 0, NULL)) ||
	    (st = ampcl_tensor_check_same("dropout forward", "y", y, "x", x)) ||
	    (st = dropout_args(d, &threshold, &scale)))
		return st;
	size_t n = ampcl_tensor_count(x);
	struct ampcl_karg args[] = {AMPCL_KARG_VIEW(y),
				    AMPCL_KARG_VIEW(x),
				    AMPCL_KARG_UINT((unsigned)d->seed),
				    AMPCL_KARG_UINT((unsigned)(d->seed >> 32)),
				    AMPCL_KARG_UINT(d->step),
				    AMPCL_KARG_UINT(d->salt),
				    AMPCL_KARG_UINT(threshold),
				    AMPCL_KARG_FLOAT(scale),
				    AMPCL_KARG_UINT(n)};
	return ampcl_launch_1d_named(ctx, "eltwise", "dropout_forward", n, AMPCL_NARGS(args), args);
}

ampcl_status ampcl_dropout_backward(struct ampcl_context *ctx, const struct ampcl_tensor *dx,
				    const struct ampcl_tensor *dy,
				    const struct ampcl_dropout_draw *d, float beta)
{
	/* dx, dy: (count) */
	ampcl_status st;
	unsigned threshold = 0;
	float scale = 1.0f;
	if ((st = ampcl_tensor_check("dropout backward", "dy", dy, 0, NULL)) ||
	    (st = ampcl_tensor_check_same("dropout backward", "dx", dx, "dy", dy)) ||
	    (st = dropout_args(d, &threshold, &scale)))
		return st;
	size_t n = ampcl_tensor_count(dy);
	struct ampcl_karg args[] = {AMPCL_KARG_VIEW(dx),
				    AMPCL_KARG_VIEW(dy),
				    AMPCL_KARG_UINT((unsigned)d->seed),
				    AMPCL_KARG_UINT((unsigned)(d->seed >> 32)),
				    AMPCL_KARG_UINT(d->step),
				    AMPCL_KARG_UINT(d->salt),
				    AMPCL_KARG_UINT(threshold),
				    AMPCL_KARG_FLOAT(scale),
				    AMPCL_KARG_FLOAT(beta),
				    AMPCL_KARG_UINT(n)};
	return ampcl_launch_1d_named(ctx, "eltwise", "dropout_backward", n, AMPCL_NARGS(args),
				     args);
}
