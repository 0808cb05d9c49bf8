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

/* A view a bn call takes: per element, (n, c, hw), or per channel, (c). */
enum bn_extent { BN_PER_ELEMENT, BN_PER_CHANNEL };
struct bn_view {
	const char *name;
	const struct ampcl_tensor *t;
	enum bn_extent extent;
};

/* Checks the shape, then each view against it. */
static ampcl_status check_views(const char *fn, const struct ampcl_bn_shape *s,
				const struct bn_view *views, int nviews)
{
	ampcl_status st = check_shape(fn, s);
	if (st)
		return st;
	size_t total = (size_t)s->n * s->c * s->hw;
	for (int i = 0; i < nviews; i++) {
		const struct bn_view *v = &views[i];
		int per_channel = v->extent == BN_PER_CHANNEL;
		if ((st = ampcl_tensor_check(fn, v->name, v->t, per_channel ? (size_t)s->c : total,
					     per_channel ? "c of the bn shape"
							 : "n*c*hw of the bn shape")))
			return st;
	}
	return AMPCL_OK;
}

static ampcl_status check_scalar(const char *fn, const char *name, float v, float lo, float hi)
{
	if (!isfinite(v) || v < lo || v > hi)
		return ampcl_error_set(AMPCL_ERR_INVALID_ARG, "%s: %s = %g, must lie in [%g, %g]",
				       fn, name, (double)v, (double)lo, (double)hi);
	return AMPCL_OK;
}

/* The kernel `name` built for the largest power-of-two work-group size up to BN_WG_DEFAULT that
 * both the device and the compiled kernel accept; the group size is compiled in, and a kernel
 * heavy on registers can accept fewer work-items than the device's maximum. */
static ampcl_status bn_kernel(struct ampcl_context *ctx, const char *fn, const char *name,
			      cl_kernel *kernel, size_t *wg)
{
	size_t want = ampcl_launch_group_size(ctx, NULL, BN_WG_DEFAULT);
	for (;;) {
		char opt[48] = "";
		if (want != BN_WG_DEFAULT)
			snprintf(opt, sizeof(opt), "-DAMPCL_REDUCE_WG=%zu", want);
		ampcl_status st = ampcl_kernel_get(ctx, "bn", opt, name, kernel);
		if (st)
			return ampcl_error_wrap(st, "%s: ", fn);
		size_t fit = ampcl_launch_group_size(ctx, *kernel, want);
		if (fit == want)
			break;
		want = fit; /* rebuild for the smaller group */
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
	const struct bn_view views[] = {
	    {"y", y, BN_PER_ELEMENT},
	    {"x", x, BN_PER_ELEMENT},
	    {"save_mean", save_mean, BN_PER_CHANNEL},
	    {"save_invstd", save_invstd, BN_PER_CHANNEL},
	    {"run_mean", run_mean, BN_PER_CHANNEL},
	    {"run_var", run_var, BN_PER_CHANNEL},
	    {"gamma", gamma, BN_PER_CHANNEL},
	    {"beta_p", beta_p, BN_PER_CHANNEL},
	};
	ampcl_status st;
	if ((st = check_views(fn, s, views, (int)(sizeof(views) / sizeof(views[0])))) ||
	    (st = check_scalar(fn, "momentum", momentum, 0.0f, 1.0f)) ||
	    (st = check_scalar(fn, "eps", eps, 0.0f, INFINITY)))
		return st;

	cl_kernel k;
	size_t wg;
	if ((st = bn_kernel(ctx, fn, "bn_forward_train", &k, &wg)))
		return st;
	/* one work-group per channel */
	size_t global = (size_t)s->c * wg;
	struct ampcl_karg args[] = {
	    AMPCL_KARG_VIEW(y),        AMPCL_KARG_VIEW(save_mean), AMPCL_KARG_VIEW(save_invstd),
	    AMPCL_KARG_VIEW(run_mean), AMPCL_KARG_VIEW(run_var),   AMPCL_KARG_VIEW(x),
	    AMPCL_KARG_VIEW(gamma),    AMPCL_KARG_VIEW(beta_p),    AMPCL_KARG_FLOAT(momentum),
	    AMPCL_KARG_FLOAT(eps),     AMPCL_KARG_UINT(s->n),      AMPCL_KARG_UINT(s->c),
	    AMPCL_KARG_UINT(s->hw),
	};
	return ampcl_launch(ctx, k, 1, &global, &wg, AMPCL_NARGS(args), args, NULL);
}

ampcl_status ampcl_bn_forward_eval(struct ampcl_context *ctx, const struct ampcl_bn_shape *s,
				   const struct ampcl_tensor *y, const struct ampcl_tensor *x,
				   const struct ampcl_tensor *gamma,
				   const struct ampcl_tensor *beta_p,
				   const struct ampcl_tensor *run_mean,
				   const struct ampcl_tensor *run_var, float eps)
{
	static const char fn[] = "ampcl_bn_forward_eval";
	const struct bn_view views[] = {
	    {"y", y, BN_PER_ELEMENT},
	    {"x", x, BN_PER_ELEMENT},
	    {"gamma", gamma, BN_PER_CHANNEL},
	    {"beta_p", beta_p, BN_PER_CHANNEL},
	    {"run_mean", run_mean, BN_PER_CHANNEL},
	    {"run_var", run_var, BN_PER_CHANNEL},
	};
	ampcl_status st;
	if ((st = check_views(fn, s, views, (int)(sizeof(views) / sizeof(views[0])))) ||
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
	size_t global[3] = {(size_t)s->hw, (size_t)s->c, (size_t)s->n}, local[3] = {1, 1, 1};
	while (local[0] < global[0] && local[0] * 2 <= wg && local[0] * 2 <= dim_max[0])
		local[0] *= 2;
	while (local[1] < global[1] && local[0] * local[1] * 2 <= wg && local[1] * 2 <= dim_max[1])
		local[1] *= 2;
	struct ampcl_karg args[] = {
	    AMPCL_KARG_VIEW(y),      AMPCL_KARG_VIEW(x),        AMPCL_KARG_VIEW(gamma),
	    AMPCL_KARG_VIEW(beta_p), AMPCL_KARG_VIEW(run_mean), AMPCL_KARG_VIEW(run_var),
	    AMPCL_KARG_FLOAT(eps),   AMPCL_KARG_UINT(s->n),     AMPCL_KARG_UINT(s->c),
	    AMPCL_KARG_UINT(s->hw),
	};
	return ampcl_launch(ctx, k, 3, global, local, AMPCL_NARGS(args), args, NULL);
}

ampcl_status ampcl_bn_backward(struct ampcl_context *ctx, const struct ampcl_bn_shape *s,
			       const struct ampcl_tensor *dx, const struct ampcl_tensor *dgamma,
			       const struct ampcl_tensor *dbeta, const struct ampcl_tensor *dy,
			       const struct ampcl_tensor *x, const struct ampcl_tensor *save_mean,
			       const struct ampcl_tensor *save_invstd,
			       const struct ampcl_tensor *gamma, float beta)
{
	static const char fn[] = "ampcl_bn_backward";
	const struct bn_view views[] = {
	    {"dx", dx, BN_PER_ELEMENT},
	    {"dy", dy, BN_PER_ELEMENT},
	    {"x", x, BN_PER_ELEMENT},
	    {"dgamma", dgamma, BN_PER_CHANNEL},
	    {"dbeta", dbeta, BN_PER_CHANNEL},
	    {"save_mean", save_mean, BN_PER_CHANNEL},
	    {"save_invstd", save_invstd, BN_PER_CHANNEL},
	    {"gamma", gamma, BN_PER_CHANNEL},
	};
	ampcl_status st;
	if ((st = check_views(fn, s, views, (int)(sizeof(views) / sizeof(views[0])))))
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
	size_t global = (size_t)s->c * wg;
	struct ampcl_karg args[] = {
	    AMPCL_KARG_VIEW(dx),          AMPCL_KARG_VIEW(dgamma), AMPCL_KARG_VIEW(dbeta),
	    AMPCL_KARG_VIEW(dy),          AMPCL_KARG_VIEW(x),      AMPCL_KARG_VIEW(save_mean),
	    AMPCL_KARG_VIEW(save_invstd), AMPCL_KARG_VIEW(gamma),  AMPCL_KARG_FLOAT(beta),
	    AMPCL_KARG_UINT(s->n),        AMPCL_KARG_UINT(s->c),   AMPCL_KARG_UINT(s->hw),
	};
	return ampcl_launch(ctx, k, 1, &global, &wg, AMPCL_NARGS(args), args, NULL);
}
