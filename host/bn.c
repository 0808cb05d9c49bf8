/* bn.c: host side of batch normalisation 2-D: checks the views against the shape, picks the
 * work-group size of the per-channel reductions and launches the kernels of cl/bn.cl. */
#include "bn.h"
#include "error.h"
#include "launch.h"
#include "program.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>

/* One work-group reduces one channel (cl/bn.cl). 256 is AMPCL_REDUCE_WG's default in
 * cl/common.cl, so the usual case builds the program with no options, the same one
 * ampcl_kernels_build_all warms. */
#define BN_WG_DEFAULT 256

static void shape_str(const struct ampcl_tensor *t, char *buf, size_t size)
{
	int len = snprintf(buf, size, "(");
	for (int d = 0; d < t->ndim && len > 0 && (size_t)len < size; d++)
		len += snprintf(buf + len, size - (size_t)len, "%s%d", d ? ", " : "", t->shape[d]);
	if (len > 0 && (size_t)len < size)
		snprintf(buf + len, size - (size_t)len, ")");
}

static ampcl_status check_shape(const char *fn, const struct ampcl_bn_shape *s)
{
	if (!s)
		return ampcl_error_set(AMPCL_ERR_INVALID_ARG, "%s: the shape is NULL", fn);
	if (s->n < 1 || s->c < 1 || s->hw < 1)
		return ampcl_error_set(AMPCL_ERR_INVALID_ARG,
				       "%s: shape n=%d c=%d hw=%d: each must be at least 1", fn,
				       s->n, s->c, s->hw);
	/* the kernels index with 32-bit unsigned integers */
	size_t total = (size_t)s->n * (size_t)s->c * (size_t)s->hw;
	if (total > UINT32_MAX)
		return ampcl_error_set(AMPCL_ERR_INVALID_ARG,
				       "%s: shape n=%d c=%d hw=%d has %zu elements, more than the "
				       "2^32 - 1 the kernels index; use a smaller batch",
				       fn, s->n, s->c, s->hw, total);
	return AMPCL_OK;
}

/* A view must exist, be committed, hold exactly `want` floats (the shape `what` describes) and
 * end inside the kernels' 32-bit index range. */
static ampcl_status check_view(const char *fn, const char *name, const struct ampcl_tensor *t,
			       size_t want, const char *what)
{
	if (!t || !t->arena || !t->arena->buf)
		return ampcl_error_set(AMPCL_ERR_INVALID_ARG,
				       "%s: tensor %s is %s; pass a view of a committed arena", fn,
				       name, t ? "in an arena that is not committed" : "NULL");
	size_t count = ampcl_tensor_count(t);
	if (count != want) {
		char shape[96];
		shape_str(t, shape, sizeof(shape));
		return ampcl_error_set(
		    AMPCL_ERR_INVALID_ARG,
		    "%s: tensor %s has shape %s = %zu elements, but the bn shape "
		    "needs %s = %zu; pass a view of that size",
		    fn, name, shape, count, what, want);
	}
	if ((size_t)ampcl_tensor_off(t) + count > UINT32_MAX)
		return ampcl_error_set(AMPCL_ERR_INVALID_ARG,
				       "%s: tensor %s ends at float %zu, past the kernels' 32-bit "
				       "index range; use a smaller arena",
				       fn, name, (size_t)ampcl_tensor_off(t) + count);
	return AMPCL_OK;
}

static ampcl_status check_scalar(const char *fn, const char *name, float v, float lo, float hi)
{
	if (!isfinite(v) || v < lo || v > hi)
		return ampcl_error_set(AMPCL_ERR_INVALID_ARG, "%s: %s = %g, must lie in [%g, %g]",
				       fn, name, (double)v, (double)lo, (double)hi);
	return AMPCL_OK;
}

/* The kernel `name` built with the largest power-of-two work-group size up to BN_WG_DEFAULT
 * that both the device and the compiled kernel accept (a kernel heavy on registers can accept
 * fewer than the device's maximum, which only CL_KERNEL_WORK_GROUP_SIZE tells). */
static ampcl_status bn_kernel(struct ampcl_context *ctx, const char *fn, const char *name,
			      cl_kernel *kernel, size_t *wg)
{
	size_t want = BN_WG_DEFAULT;
	while (want > 1 && want > ctx->caps.desc.max_work_group_size)
		want /= 2;
	for (;;) {
		char opt[48] = "";
		if (want != BN_WG_DEFAULT)
			snprintf(opt, sizeof(opt), "-DAMPCL_REDUCE_WG=%zu", want);
		ampcl_status st = ampcl_kernel_get(ctx, "bn", opt, name, kernel);
		if (st)
			return ampcl_error_wrap(st, "%s: ", fn);
		size_t kmax = 0;
		cl_int err =
		    clGetKernelWorkGroupInfo(*kernel, ctx->caps.device, CL_KERNEL_WORK_GROUP_SIZE,
					     sizeof(kmax), &kmax, NULL);
		if (err != CL_SUCCESS)
			return ampcl_error_set(err, "%s: querying the work-group size of %s: %s",
					       fn, name, ampcl_cl_error_name(err));
		if (kmax >= want)
			break;
		if (kmax == 0)
			return ampcl_error_set(
			    AMPCL_ERR_UNSUPPORTED,
			    "%s: device %s runs kernel %s with no work-group size", fn,
			    ctx->caps.desc.name, name);
		while (want > kmax)
			want /= 2;
	}
	*wg = want;
	return AMPCL_OK;
}

ampcl_status ampcl_bn_forward_train(struct ampcl_context *ctx, const struct ampcl_bn_shape *s,
				    const struct ampcl_tensor *y,
				    const struct ampcl_tensor *save_mean,
				    const struct ampcl_tensor *save_invstd,
				    const struct ampcl_tensor *run_mean,
				    const struct ampcl_tensor *run_var,
				    const struct ampcl_tensor *x, const struct ampcl_tensor *gamma,
				    const struct ampcl_tensor *beta_p, float momentum, float eps)
{
	static const char fn[] = "ampcl_bn_forward_train";
	ampcl_status st;
	if ((st = check_shape(fn, s)))
		return st;
	size_t total = (size_t)s->n * s->c * s->hw, c = (size_t)s->c;
	if ((st = check_view(fn, "y", y, total, "n*c*hw")) ||
	    (st = check_view(fn, "x", x, total, "n*c*hw")) ||
	    (st = check_view(fn, "save_mean", save_mean, c, "c")) ||
	    (st = check_view(fn, "save_invstd", save_invstd, c, "c")) ||
	    (st = check_view(fn, "run_mean", run_mean, c, "c")) ||
	    (st = check_view(fn, "run_var", run_var, c, "c")) ||
	    (st = check_view(fn, "gamma", gamma, c, "c")) ||
	    (st = check_view(fn, "beta_p", beta_p, c, "c")) ||
	    (st = check_scalar(fn, "momentum", momentum, 0.0f, 1.0f)) ||
	    (st = check_scalar(fn, "eps", eps, 0.0f, INFINITY)))
		return st;

	cl_kernel k;
	size_t wg;
	if ((st = bn_kernel(ctx, fn, "bn_forward_train", &k, &wg)))
		return st;
	/* one work-group per channel */
	size_t global = c * wg;
	struct ampcl_karg args[] = {
	    AMPCL_KARG_MEM(ampcl_tensor_mem(y)),
	    AMPCL_KARG_UINT(ampcl_tensor_off(y)),
	    AMPCL_KARG_MEM(ampcl_tensor_mem(save_mean)),
	    AMPCL_KARG_UINT(ampcl_tensor_off(save_mean)),
	    AMPCL_KARG_MEM(ampcl_tensor_mem(save_invstd)),
	    AMPCL_KARG_UINT(ampcl_tensor_off(save_invstd)),
	    AMPCL_KARG_MEM(ampcl_tensor_mem(run_mean)),
	    AMPCL_KARG_UINT(ampcl_tensor_off(run_mean)),
	    AMPCL_KARG_MEM(ampcl_tensor_mem(run_var)),
	    AMPCL_KARG_UINT(ampcl_tensor_off(run_var)),
	    AMPCL_KARG_MEM(ampcl_tensor_mem(x)),
	    AMPCL_KARG_UINT(ampcl_tensor_off(x)),
	    AMPCL_KARG_MEM(ampcl_tensor_mem(gamma)),
	    AMPCL_KARG_UINT(ampcl_tensor_off(gamma)),
	    AMPCL_KARG_MEM(ampcl_tensor_mem(beta_p)),
	    AMPCL_KARG_UINT(ampcl_tensor_off(beta_p)),
	    AMPCL_KARG_FLOAT(momentum),
	    AMPCL_KARG_FLOAT(eps),
	    AMPCL_KARG_UINT(s->n),
	    AMPCL_KARG_UINT(s->c),
	    AMPCL_KARG_UINT(s->hw),
	};
	return ampcl_launch(ctx, k, 1, &global, &wg, (int)(sizeof(args) / sizeof(args[0])), args,
			    NULL);
}

ampcl_status ampcl_bn_forward_eval(struct ampcl_context *ctx, const struct ampcl_bn_shape *s,
				   const struct ampcl_tensor *y, const struct ampcl_tensor *x,
				   const struct ampcl_tensor *gamma,
				   const struct ampcl_tensor *beta_p,
				   const struct ampcl_tensor *run_mean,
				   const struct ampcl_tensor *run_var, float eps)
{
	static const char fn[] = "ampcl_bn_forward_eval";
	ampcl_status st;
	if ((st = check_shape(fn, s)))
		return st;
	size_t total = (size_t)s->n * s->c * s->hw, c = (size_t)s->c;
	if ((st = check_view(fn, "y", y, total, "n*c*hw")) ||
	    (st = check_view(fn, "x", x, total, "n*c*hw")) ||
	    (st = check_view(fn, "gamma", gamma, c, "c")) ||
	    (st = check_view(fn, "beta_p", beta_p, c, "c")) ||
	    (st = check_view(fn, "run_mean", run_mean, c, "c")) ||
	    (st = check_view(fn, "run_var", run_var, c, "c")) ||
	    (st = check_scalar(fn, "eps", eps, 0.0f, INFINITY)))
		return st;

	cl_kernel k;
	size_t wg;
	if ((st = bn_kernel(ctx, fn, "bn_forward_eval", &k, &wg)))
		return st;
	/* element-wise over (hw, c, n); a group spans a power-of-two run of hw and, when hw is
	 * small, several channels, so it still holds about wg work-items */
	size_t dim_max[3] = {wg, wg, 1};
	clGetDeviceInfo(ctx->caps.device, CL_DEVICE_MAX_WORK_ITEM_SIZES, sizeof(dim_max), dim_max,
			NULL);
	size_t global[3] = {(size_t)s->hw, c, (size_t)s->n}, local[3] = {1, 1, 1};
	while (local[0] < global[0] && local[0] * 2 <= wg && local[0] * 2 <= dim_max[0])
		local[0] *= 2;
	while (local[1] < global[1] && local[0] * local[1] * 2 <= wg && local[1] * 2 <= dim_max[1])
		local[1] *= 2;
	struct ampcl_karg args[] = {
	    AMPCL_KARG_MEM(ampcl_tensor_mem(y)),
	    AMPCL_KARG_UINT(ampcl_tensor_off(y)),
	    AMPCL_KARG_MEM(ampcl_tensor_mem(x)),
	    AMPCL_KARG_UINT(ampcl_tensor_off(x)),
	    AMPCL_KARG_MEM(ampcl_tensor_mem(gamma)),
	    AMPCL_KARG_UINT(ampcl_tensor_off(gamma)),
	    AMPCL_KARG_MEM(ampcl_tensor_mem(beta_p)),
	    AMPCL_KARG_UINT(ampcl_tensor_off(beta_p)),
	    AMPCL_KARG_MEM(ampcl_tensor_mem(run_mean)),
	    AMPCL_KARG_UINT(ampcl_tensor_off(run_mean)),
	    AMPCL_KARG_MEM(ampcl_tensor_mem(run_var)),
	    AMPCL_KARG_UINT(ampcl_tensor_off(run_var)),
	    AMPCL_KARG_FLOAT(eps),
	    AMPCL_KARG_UINT(s->n),
	    AMPCL_KARG_UINT(s->c),
	    AMPCL_KARG_UINT(s->hw),
	};
	return ampcl_launch(ctx, k, 3, global, local, (int)(sizeof(args) / sizeof(args[0])), args,
			    NULL);
}

ampcl_status ampcl_bn_backward(struct ampcl_context *ctx, const struct ampcl_bn_shape *s,
			       const struct ampcl_tensor *dx, const struct ampcl_tensor *dgamma,
			       const struct ampcl_tensor *dbeta, const struct ampcl_tensor *dy,
			       const struct ampcl_tensor *x, const struct ampcl_tensor *save_mean,
			       const struct ampcl_tensor *save_invstd,
			       const struct ampcl_tensor *gamma, float beta)
{
	static const char fn[] = "ampcl_bn_backward";
	ampcl_status st;
	if ((st = check_shape(fn, s)))
		return st;
	size_t total = (size_t)s->n * s->c * s->hw, c = (size_t)s->c;
	if ((st = check_view(fn, "dx", dx, total, "n*c*hw")) ||
	    (st = check_view(fn, "dy", dy, total, "n*c*hw")) ||
	    (st = check_view(fn, "x", x, total, "n*c*hw")) ||
	    (st = check_view(fn, "dgamma", dgamma, c, "c")) ||
	    (st = check_view(fn, "dbeta", dbeta, c, "c")) ||
	    (st = check_view(fn, "save_mean", save_mean, c, "c")) ||
	    (st = check_view(fn, "save_invstd", save_invstd, c, "c")) ||
	    (st = check_view(fn, "gamma", gamma, c, "c")))
		return st;
	if (beta != 0.0f && beta != 1.0f)
		return ampcl_error_set(
		    AMPCL_ERR_INVALID_ARG,
		    "%s: beta = %g; it must be 0 (overwrite dx) or 1 (accumulate "
		    "into dx)",
		    fn, (double)beta);

	cl_kernel k;
	size_t wg;
	if ((st = bn_kernel(ctx, fn, "bn_backward", &k, &wg)))
		return st;
	/* one work-group per channel */
	size_t global = c * wg;
	struct ampcl_karg args[] = {
	    AMPCL_KARG_MEM(ampcl_tensor_mem(dx)),
	    AMPCL_KARG_UINT(ampcl_tensor_off(dx)),
	    AMPCL_KARG_MEM(ampcl_tensor_mem(dgamma)),
	    AMPCL_KARG_UINT(ampcl_tensor_off(dgamma)),
	    AMPCL_KARG_MEM(ampcl_tensor_mem(dbeta)),
	    AMPCL_KARG_UINT(ampcl_tensor_off(dbeta)),
	    AMPCL_KARG_MEM(ampcl_tensor_mem(dy)),
	    AMPCL_KARG_UINT(ampcl_tensor_off(dy)),
	    AMPCL_KARG_MEM(ampcl_tensor_mem(x)),
	    AMPCL_KARG_UINT(ampcl_tensor_off(x)),
	    AMPCL_KARG_MEM(ampcl_tensor_mem(save_mean)),
	    AMPCL_KARG_UINT(ampcl_tensor_off(save_mean)),
	    AMPCL_KARG_MEM(ampcl_tensor_mem(save_invstd)),
	    AMPCL_KARG_UINT(ampcl_tensor_off(save_invstd)),
	    AMPCL_KARG_MEM(ampcl_tensor_mem(gamma)),
	    AMPCL_KARG_UINT(ampcl_tensor_off(gamma)),
	    AMPCL_KARG_FLOAT(beta),
	    AMPCL_KARG_UINT(s->n),
	    AMPCL_KARG_UINT(s->c),
	    AMPCL_KARG_UINT(s->hw),
	};
	return ampcl_launch(ctx, k, 1, &global, &wg, (int)(sizeof(args) / sizeof(args[0])), args,
			    NULL);
}
