/* bn.c: host side of batch normalisation 2-D: checks the views against the shape, splits each
 * channel into chunks for the two-stage reductions and launches the kernels of cl/bn.cl. */
#include "bn.h"
#include "constants.h"
#include "error.h"
#include "bn_sync.h"
#include "launch.h"
#include "program.h"
#include "variants.h"
#include "workspace.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>

/* One work-group reduces one chunk of one channel (cl/bn.cl). 256 is AMPCL_REDUCE_WG's default
 * in cl/common.cl, so the usual case builds the program with no options, the same one
 * ampcl_kernels_build_all warms. */
#define BN_WG_DEFAULT 256
#define BN_VEC AMPCL_BN_VEC /* floats per vector unit of every kernel in cl/bn.cl */

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

/* The options of the reduction kernels for a group of wg work-items. */
static void bn_options(size_t wg, char *buf, size_t size)
{
	buf[0] = 0;
	if (wg != BN_WG_DEFAULT)
		snprintf(buf, size, "-DAMPCL_REDUCE_WG=%zu", wg);
}

/* The kernel `name` built for the largest power-of-two work-group size up to BN_WG_DEFAULT that
 * both the device and the compiled kernel accept and whose local arrays fit the device's local
 * memory; the group size is compiled in, and a kernel heavy on registers can accept fewer
 * work-items than the device's maximum. */
static ampcl_status bn_kernel(struct ampcl_context *ctx, const char *fn, const char *name,
			      cl_kernel *kernel, size_t *wg)
{
	size_t want = ampcl_launch_group_size(ctx, NULL, BN_WG_DEFAULT);
	for (;;) {
		char opt[48];
		bn_options(want, opt, sizeof(opt));
		ampcl_status st = ampcl_kernel_get(ctx, "bn", opt, name, kernel);
		if (st)
			return ampcl_error_wrap(st, "%s: ", fn);
		size_t fit = ampcl_launch_group_size(ctx, *kernel, want), bytes = 0;
		/* its partials' arrays (AMPCL_REDUCE_WG of them) must fit the local memory */
		if ((st = ampcl_kernel_local_bytes(ctx, *kernel, &bytes)))
			return ampcl_error_wrap(st, "%s: ", fn);
		if (bytes > ctx->caps.desc.local_mem_bytes && want > 1)
			fit = fit < want / 2 ? fit : want / 2;
		else if (fit == want)
			break;
		want = fit; /* rebuild for the smaller group */
	}
	*wg = want;
	return AMPCL_OK;
}

/* The element-wise kernel `name`, from the program with the default options. */
static ampcl_status bn_eltwise_kernel(struct ampcl_context *ctx, const char *fn, const char *name,
				      cl_kernel *kernel)
{
	ampcl_status st = ampcl_kernel_get(ctx, "bn", "", name, kernel);
	return st ? ampcl_error_wrap(st, "%s: ", fn) : AMPCL_OK;
}

/* How a reduction splits each channel: chunks of ipc whole batch items, nparts of them, each
 * reduced by a group of `local` work-items walking it contiguously (CPUs) or interleaved (GPUs).
 * It depends only on the shape, the device and the group size, so the summation order is the
 * same every run. */
struct bn_split {
	unsigned ipc, nparts, contig;
	size_t local;
};

static struct bn_split bn_split_for(struct ampcl_context *ctx, const struct ampcl_bn_shape *s,
				    size_t wg)
{
	const struct ampcl_device_profile *pr = &ctx->profile;
	/* elements per group: a GPU wants many groups in flight (c = 64 alone fills few of its
	 * cores), each work-item still looping over several vectors; a CPU runs one group per
	 * core at a time, so bigger chunks there only save partials */
	size_t target = pr->bn_group_elems ? pr->bn_group_elems : wg * 64;
	size_t ipc = ampcl_div_up(target, (size_t)s->hw);
	if (ipc > (size_t)s->n)
		ipc = (size_t)s->n;
	struct bn_split sp = {(unsigned)ipc, (unsigned)ampcl_div_up((size_t)s->n, ipc),
			      (unsigned)pr->bn_contiguous,
			      wg < pr->bn_local_max ? wg : pr->bn_local_max};
	return sp;
}

/* Floats of workspace a forward (backward 0) or backward (1) call of shape s takes: the
 * partials (c, nparts, 2), and for the backward the per-channel terms of dx (c, 2). */
static size_t bn_floats(const struct ampcl_bn_shape *s, const struct bn_split *sp, int backward)
{
	return (size_t)s->c * sp->nparts * 2 + (backward ? (size_t)s->c * 2 : 0);
}

ampcl_status ampcl_bn_workspace_floats(struct ampcl_context *ctx, const struct ampcl_bn_shape *s,
				       size_t *floats)
{
	cl_kernel k;
	size_t wg;
	ampcl_status st =
	    bn_kernel(ctx, "ampcl_bn_workspace_floats", "bn_backward_partial", &k, &wg);
	if (st)
		return st;
	struct bn_split sp = bn_split_for(ctx, s, wg);
	size_t f = bn_floats(s, &sp, 1);
	if ((st = bn_kernel(ctx, "ampcl_bn_workspace_floats", "bn_forward_partial", &k, &wg)))
		return st;
	sp = bn_split_for(ctx, s, wg);
	*floats = f > bn_floats(s, &sp, 0) ? f : bn_floats(s, &sp, 0);
	return AMPCL_OK;
}

/* Global and local sizes of the element-wise kernels over (ceil(hw / BN_VEC), c, n): a group
 * spans a power-of-two run of a plane and, when hw is small, several channels, so it still
 * holds about BN_WG_DEFAULT work-items. */
static void bn_eltwise_range(struct ampcl_context *ctx, const struct ampcl_bn_shape *s,
			     size_t global[3], size_t local[3])
{
	size_t wg = ampcl_launch_group_size(ctx, NULL, BN_WG_DEFAULT);
	global[0] = ampcl_div_up((size_t)s->hw, BN_VEC);
	global[1] = (size_t)s->c;
	global[2] = (size_t)s->n;
	ampcl_launch_local_fit(ctx, wg, global, 2, local);
}

/* Checks what a fused call asks: scales finite and > 0. */
static ampcl_status check_fuse(const char *fn, const struct ampcl_bn_fuse *f)
{
	if (!f)
		return ampcl_error_set(AMPCL_ERR_INVALID_ARG, "%s: the fusion is NULL", fn);
	ampcl_status st;
	if ((st = check_scalar(fn, "dy_scale", f->dy_scale, 0x1p-126f, 0x1p126f)) ||
	    (st = check_scalar(fn, "dx_scale", f->dx_scale, 0x1p-126f, 0x1p126f)))
		return st;
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
	return ampcl_bn_forward_train_fused(ctx, s, y, save_mean, save_invstd, run_mean, run_var,
					    x, gamma, beta_p, momentum, eps, &AMPCL_BN_FUSE_NONE);
}

ampcl_status ampcl_bn_forward_train_fused(
    struct ampcl_context *ctx, const struct ampcl_bn_shape *s, const struct ampcl_tensor *y,
    const struct ampcl_tensor *save_mean, const struct ampcl_tensor *save_invstd,
    const struct ampcl_tensor *run_mean, const struct ampcl_tensor *run_var,
    const struct ampcl_tensor *x, const struct ampcl_tensor *gamma,
    const struct ampcl_tensor *beta_p, float momentum, float eps, const struct ampcl_bn_fuse *fuse)
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
	    (st = check_scalar(fn, "eps", eps, 0.0f, INFINITY)) || (st = check_fuse(fn, fuse)))
		return st;
	cl_uint relu = fuse->relu != 0;

	cl_kernel k_part, k_stats, k_norm;
	size_t wg;
	if ((st = bn_kernel(ctx, fn, "bn_forward_partial", &k_part, &wg)) ||
	    (st = bn_eltwise_kernel(ctx, fn, "bn_forward_stats", &k_stats)) ||
	    (st = bn_eltwise_kernel(ctx, fn, "bn_forward_normalise", &k_norm)))
		return st;
	struct bn_split sp = bn_split_for(ctx, s, wg);
	cl_mem part;
	size_t part_off;
	if ((st = ampcl_workspace_get(ctx, bn_floats(s, &sp, 0), fn, &part, &part_off)))
		return st;

	/* 1: a (mean, M2) per chunk of each channel: part (c, nparts, 2) */
	size_t g1[2] = {sp.nparts * sp.local, (size_t)s->c}, l1[2] = {sp.local, 1};
	struct ampcl_karg a1[] = {
	    AMPCL_KARG_MEM(part),       AMPCL_KARG_UINT(part_off / sizeof(float)),
	    AMPCL_KARG_VIEW(x),         AMPCL_KARG_UINT(s->n),
	    AMPCL_KARG_UINT(s->c),      AMPCL_KARG_UINT(s->hw),
	    AMPCL_KARG_UINT(sp.ipc),    AMPCL_KARG_UINT(sp.nparts),
	    AMPCL_KARG_UINT(sp.contig),
	};
	/* 2: the partials folded per channel into the saved and running statistics */
	size_t g2 = (size_t)s->c;
	struct ampcl_karg a2[] = {
	    AMPCL_KARG_VIEW(save_mean), AMPCL_KARG_VIEW(save_invstd),
	    AMPCL_KARG_VIEW(run_mean),  AMPCL_KARG_VIEW(run_var),
	    AMPCL_KARG_MEM(part),       AMPCL_KARG_UINT(part_off / sizeof(float)),
	    AMPCL_KARG_FLOAT(momentum), AMPCL_KARG_FLOAT(eps),
	    AMPCL_KARG_UINT(s->n),      AMPCL_KARG_UINT(s->c),
	    AMPCL_KARG_UINT(s->hw),     AMPCL_KARG_UINT(sp.ipc),
	    AMPCL_KARG_UINT(sp.nparts),
	};
	/* 3: element-wise normalisation */
	size_t g3[3], l3[3];
	bn_eltwise_range(ctx, s, g3, l3);
	struct ampcl_karg a3[] = {
	    AMPCL_KARG_VIEW(y),           AMPCL_KARG_VIEW(x),     AMPCL_KARG_VIEW(save_mean),
	    AMPCL_KARG_VIEW(save_invstd), AMPCL_KARG_VIEW(gamma), AMPCL_KARG_VIEW(beta_p),
	    AMPCL_KARG_UINT(relu),        AMPCL_KARG_UINT(s->n),  AMPCL_KARG_UINT(s->c),
	    AMPCL_KARG_UINT(s->hw),
	};
	if ((st = ampcl_launch(ctx, k_part, 2, g1, l1, AMPCL_NARGS(a1), a1, NULL)))
		return st;
	/* every process's batch (--sync-bn): stage 2 folds one chunk of all their images */
	cl_uint images = 0, one = 1;
	if (ampcl_bn_sync_get(ctx)) {
		unsigned all;
		if ((st = ampcl_bn_sync_moments(ctx, s, sp.ipc, (unsigned)sp.nparts, part,
						part_off / sizeof(float), &all)))
			return st;
		images = all;
		a2[12] = (struct ampcl_karg){sizeof(cl_uint), &images}; /* n */
		a2[15] = (struct ampcl_karg){sizeof(cl_uint), &images}; /* ipc */
		a2[16] = (struct ampcl_karg){sizeof(cl_uint), &one};    /* nparts */
	}
	if (!(st = ampcl_launch_1d(ctx, k_stats, g2, AMPCL_NARGS(a2), a2)))
		st = ampcl_launch(ctx, k_norm, 3, g3, l3, AMPCL_NARGS(a3), a3, NULL);
	return st;
}

ampcl_status ampcl_bn_forward_eval(struct ampcl_context *ctx, const struct ampcl_bn_shape *s,
				   const struct ampcl_tensor *y, const struct ampcl_tensor *x,
				   const struct ampcl_tensor *gamma,
				   const struct ampcl_tensor *beta_p,
				   const struct ampcl_tensor *run_mean,
				   const struct ampcl_tensor *run_var, float eps)
{
	return ampcl_bn_forward_eval_fused(ctx, s, y, x, gamma, beta_p, run_mean, run_var, eps,
					   &AMPCL_BN_FUSE_NONE);
}

ampcl_status ampcl_bn_forward_eval_fused(struct ampcl_context *ctx, const struct ampcl_bn_shape *s,
					 const struct ampcl_tensor *y, const struct ampcl_tensor *x,
					 const struct ampcl_tensor *gamma,
					 const struct ampcl_tensor *beta_p,
					 const struct ampcl_tensor *run_mean,
					 const struct ampcl_tensor *run_var, float eps,
					 const struct ampcl_bn_fuse *fuse)
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
	    (st = check_scalar(fn, "eps", eps, 0.0f, INFINITY)) || (st = check_fuse(fn, fuse)))
		return st;
	cl_uint relu = fuse->relu != 0;

	cl_kernel k;
	if ((st = bn_eltwise_kernel(ctx, fn, "bn_forward_eval", &k)))
		return st;
	size_t global[3], local[3];
	bn_eltwise_range(ctx, s, global, local);
	struct ampcl_karg args[] = {
	    AMPCL_KARG_VIEW(y),      AMPCL_KARG_VIEW(x),        AMPCL_KARG_VIEW(gamma),
	    AMPCL_KARG_VIEW(beta_p), AMPCL_KARG_VIEW(run_mean), AMPCL_KARG_VIEW(run_var),
	    AMPCL_KARG_FLOAT(eps),   AMPCL_KARG_UINT(relu),     AMPCL_KARG_UINT(s->n),
	    AMPCL_KARG_UINT(s->c),   AMPCL_KARG_UINT(s->hw),
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
	/* beta_p is not read without a ReLU: gamma stands in for its view */
	return ampcl_bn_backward_fused(ctx, s, dx, dgamma, dbeta, dy, x, save_mean, save_invstd,
				       gamma, gamma, beta, &AMPCL_BN_FUSE_NONE);
}

ampcl_status ampcl_bn_backward_fused(
    struct ampcl_context *ctx, const struct ampcl_bn_shape *s, const struct ampcl_tensor *dx,
    const struct ampcl_tensor *dgamma, const struct ampcl_tensor *dbeta,
    const struct ampcl_tensor *dy, const struct ampcl_tensor *x,
    const struct ampcl_tensor *save_mean, const struct ampcl_tensor *save_invstd,
    const struct ampcl_tensor *gamma, const struct ampcl_tensor *beta_p, float beta,
    const struct ampcl_bn_fuse *fuse)
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
	    {"beta_p", beta_p, BN_PER_CHANNEL},
	};
	ampcl_status st;
	if ((st = check_views(fn, s, views, (int)(sizeof(views) / sizeof(views[0])))) ||
	    (st = check_fuse(fn, fuse)))
		return st;
	cl_uint relu = fuse->relu != 0;
	if (beta != 0.0f && beta != 1.0f)
		return ampcl_error_set(
		    AMPCL_ERR_INVALID_ARG,
		    "%s: beta = %g; it must be 0 (overwrite dx) or 1 (accumulate "
		    "into dx)",
		    fn, (double)beta);

	cl_kernel k_part, k_sums, k_dx;
	size_t wg;
	if ((st = bn_kernel(ctx, fn, "bn_backward_partial", &k_part, &wg)) ||
	    (st = bn_eltwise_kernel(ctx, fn, "bn_backward_sums", &k_sums)) ||
	    (st = bn_eltwise_kernel(ctx, fn, "bn_backward", &k_dx)))
		return st;
	struct bn_split sp = bn_split_for(ctx, s, wg);
	/* workspace: the partials (c, nparts, 2), then the per-channel terms of dx (c, 2) */
	cl_mem part;
	size_t part_off;
	if ((st = ampcl_workspace_get(ctx, bn_floats(s, &sp, 1), fn, &part, &part_off)))
		return st;
	size_t coef_off = part_off / sizeof(float) + (size_t)s->c * sp.nparts * 2;
	cl_uint base = (cl_uint)(part_off / sizeof(float));

	/* 1: sums of dy and dy * (x - mean) per chunk of each channel */
	size_t g1[2] = {sp.nparts * sp.local, (size_t)s->c}, l1[2] = {sp.local, 1};
	struct ampcl_karg a1[] = {
	    AMPCL_KARG_MEM(part),
	    AMPCL_KARG_UINT(base),
	    AMPCL_KARG_VIEW(dy),
	    AMPCL_KARG_VIEW(x),
	    AMPCL_KARG_VIEW(save_mean),
	    AMPCL_KARG_VIEW(save_invstd),
	    AMPCL_KARG_VIEW(gamma),
	    AMPCL_KARG_VIEW(beta_p),
	    AMPCL_KARG_UINT(relu),
	    AMPCL_KARG_FLOAT(fuse->dy_scale),
	    AMPCL_KARG_UINT(s->n),
	    AMPCL_KARG_UINT(s->c),
	    AMPCL_KARG_UINT(s->hw),
	    AMPCL_KARG_UINT(sp.ipc),
	    AMPCL_KARG_UINT(sp.nparts),
	    AMPCL_KARG_UINT(sp.contig),
	};
	/* 2: per channel, dgamma/dbeta += and the terms of dx */
	size_t g2 = (size_t)s->c;
	struct ampcl_karg a2[] = {
	    AMPCL_KARG_MEM(part),         AMPCL_KARG_UINT(coef_off),  AMPCL_KARG_VIEW(dgamma),
	    AMPCL_KARG_VIEW(dbeta),       AMPCL_KARG_MEM(part),       AMPCL_KARG_UINT(base),
	    AMPCL_KARG_VIEW(save_invstd), AMPCL_KARG_UINT(s->n),      AMPCL_KARG_UINT(s->c),
	    AMPCL_KARG_UINT(s->hw),       AMPCL_KARG_UINT(sp.nparts),
	};
	/* 3: element-wise dx */
	size_t g3[3], l3[3];
	bn_eltwise_range(ctx, s, g3, l3);
	struct ampcl_karg a3[] = {
	    AMPCL_KARG_VIEW(dx),          AMPCL_KARG_VIEW(dy),       AMPCL_KARG_VIEW(x),
	    AMPCL_KARG_MEM(part),         AMPCL_KARG_UINT(coef_off), AMPCL_KARG_VIEW(save_mean),
	    AMPCL_KARG_VIEW(save_invstd), AMPCL_KARG_VIEW(gamma),    AMPCL_KARG_VIEW(beta_p),
	    AMPCL_KARG_UINT(relu),        AMPCL_KARG_FLOAT(fuse->dy_scale),
	    AMPCL_KARG_FLOAT(fuse->dx_scale),
	    AMPCL_KARG_FLOAT(beta),       AMPCL_KARG_UINT(s->n),     AMPCL_KARG_UINT(s->c),
	    AMPCL_KARG_UINT(s->hw),
	};
	if (!(st = ampcl_launch(ctx, k_part, 2, g1, l1, AMPCL_NARGS(a1), a1, NULL)) &&
	    !(st = ampcl_launch_1d(ctx, k_sums, g2, AMPCL_NARGS(a2), a2)) && ampcl_bn_sync_get(ctx))
		st = ampcl_bn_sync_coef(ctx, s, (unsigned)sp.nparts, part, base, coef_off,
					save_invstd);
	if (!st)
		st = ampcl_launch(ctx, k_dx, 3, g3, l3, AMPCL_NARGS(a3), a3, NULL);
	return st;
}

void ampcl_bn_variants(const struct ampcl_context *ctx, ampcl_kernel_variant_fn fn, void *arg)
{
	(void)ctx; /* the group size depends on the device and the kernel, not on the profile */
	for (size_t wg = BN_WG_DEFAULT; wg >= 1; wg /= 2) {
		char opt[48], name[32];
		bn_options(wg, opt, sizeof(opt));
		snprintf(name, sizeof(name), "wg %zu", wg);
		struct ampcl_kernel_variant v = {"bn", opt, name, wg == BN_WG_DEFAULT, 1};
		fn(arg, &v);
	}
}
