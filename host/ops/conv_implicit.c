/* conv_implicit.c: the host side of cl/gemm.cl's conv_implicit_forward and conv_implicit_dw: the
 * tiling the device's GEMM program uses, the launch grids, and the weight gradient's slices. */
#include "conv_implicit.h"
#include "gemm.h"
#include "gemm_splitk.h"
#include "gemm_packed.h"
#include "launch.h"
#include "program.h"
#include "variants.h"
#include "workspace.h"

#include <stdio.h>

int ampcl_conv2d_implicit_on(const struct ampcl_context *ctx)
{
	return ctx->profile.conv_implicit && !ampcl_gemm_packed_on(ctx) && !ctx->profile.loop_k_max;
}

/* The dW product: (k, c*r*s) from a k of images*p*q. */
static void dw_dims(const struct ampcl_conv2d_shape *s, int *m, int *n, int *k)
{
	*m = s->k;
	*n = s->c * s->r * s->s;
	*k = s->n * ampcl_conv2d_out_h(s) * ampcl_conv2d_out_w(s);
}

size_t ampcl_conv2d_implicit_workspace_floats(const struct ampcl_context *ctx,
					      const struct ampcl_conv2d_shape *s)
{
	int m, n, k;
	dw_dims(s, &m, &n, &k);
	return ampcl_gemm_splitk_workspace_floats(ctx, m, n, k, 1);
}

#define IMPLICIT_GEOMETRY_KARGS(g)                                                                 \
	AMPCL_KARG_UINT((g)->c), AMPCL_KARG_UINT((g)->h), AMPCL_KARG_UINT((g)->w),                 \
	    AMPCL_KARG_UINT((g)->k), AMPCL_KARG_UINT((g)->r), AMPCL_KARG_UINT((g)->s),             \
	    AMPCL_KARG_UINT((g)->stride), AMPCL_KARG_UINT((g)->pad),                               \
	    AMPCL_KARG_UINT(ampcl_conv2d_out_h(g)), AMPCL_KARG_UINT(ampcl_conv2d_out_w(g)),        \
	    AMPCL_KARG_UINT((g)->n)

/* kernel `name` of the GEMM program and its grid for an (m, n) C over `slices`. */
static ampcl_status grid(struct ampcl_context *ctx, const char *name, int m, int n, int slices,
			 cl_kernel *kernel, size_t global[3], size_t local[3])
{
	char opts[160];
	size_t tm, tn, rtm, rtn;
	ampcl_status st = ampcl_gemm_own_tiling(ctx, opts, sizeof(opts), &tm, &tn, &rtm, &rtn);
	if (!st)
		st = ampcl_kernel_get(ctx, "gemm", opts, name, kernel);
	/* a kernel that takes fewer work-items than the GEMM's tiling (more registers) cannot run
	 * with it: the caller then goes back to im2col */
	/* a tiling of one work-item a group (a device or limit under 16) shares nothing through
	 * the staged tiles, and PoCL 3.1's work-group compiler aborts the process on the
	 * barriers of its reqd_work_group_size(1, 1, 1) kernels: im2col + GEMM instead */
	if (!st && rtm * rtn < 2)
		st = ampcl_error_set(AMPCL_ERR_UNSUPPORTED,
				     "%s: the GEMM's tiling on %s is one work-item a group; "
				     "AMPCL_CONV=im2col avoids it",
				     name, ctx->caps.desc.name);
	if (!st && ampcl_launch_group_size(ctx, *kernel, rtm * rtn) < rtm * rtn)
		st = ampcl_error_set(
		    AMPCL_ERR_UNSUPPORTED,
		    "%s takes fewer than the %zu work-items of the GEMM's tiling on "
		    "%s; AMPCL_CONV=im2col avoids it",
		    name, rtm * rtn, ctx->caps.desc.name);
	global[0] = ((size_t)n + tn - 1) / tn * rtn;
	global[1] = ((size_t)m + tm - 1) / tm * rtm;
	global[2] = (size_t)slices;
	local[0] = rtn, local[1] = rtm, local[2] = 1;
	return st;
}

ampcl_status ampcl_conv2d_implicit_forward(struct ampcl_context *ctx,
					   const struct ampcl_conv2d_shape *s,
					   const struct ampcl_tensor *y,
					   const struct ampcl_tensor *x,
					   const struct ampcl_tensor *w)
{
	int pq = ampcl_conv2d_out_h(s) * ampcl_conv2d_out_w(s);
	cl_kernel kernel;
	size_t global[3], local[3];
	ampcl_status st =
	    grid(ctx, "conv_implicit_forward", s->k, s->n * pq, 1, &kernel, global, local);
	if (st)
		return st;
	struct ampcl_karg args[] = {
	    AMPCL_KARG_VIEW(y),         AMPCL_KARG_VIEW(w),     AMPCL_KARG_VIEW(x),
	    IMPLICIT_GEOMETRY_KARGS(s), AMPCL_KARG_FLOAT(0.0f),
	};
	return ampcl_launch(ctx, kernel, 3, global, local, AMPCL_NARGS(args), args, NULL);
}

struct dw_args {
	struct ampcl_context *ctx;
	const struct ampcl_conv2d_shape *s;
	const struct ampcl_tensor *dw, *dy, *x;
};

/* dW += the product, its pixels cut as `cut` says. */
static ampcl_status dw_with(void *arg, struct ampcl_gemm_splitk cut)
{
	const struct dw_args *d = arg;
	struct ampcl_context *ctx = d->ctx;
	int m, n, k;
	dw_dims(d->s, &m, &n, &k);
	cl_mem out = ampcl_tensor_mem(d->dw);
	size_t out_off = ampcl_tensor_off(d->dw), stride = 0;
	ampcl_status st;
	if (cut.slices > 1) {
		size_t ws_bytes;
		if ((st = ampcl_workspace_get(ctx, (size_t)cut.slices * m * n,
					      "conv2d weight gradient (split-k slices)", &out,
					      &ws_bytes)))
			return st;
		out_off = ws_bytes / sizeof(float);
		stride = (size_t)m * n;
	}
	cl_kernel kernel;
	size_t global[3], local[3];
	if ((st = grid(ctx, "conv_implicit_dw", m, n, cut.slices, &kernel, global, local)))
		return st;
	struct ampcl_karg args[] = {
	    AMPCL_KARG_MEM(out),
	    AMPCL_KARG_UINT(out_off),
	    AMPCL_KARG_UINT(stride),
	    AMPCL_KARG_VIEW(d->dy),
	    AMPCL_KARG_VIEW(d->x),
	    IMPLICIT_GEOMETRY_KARGS(d->s),
	    AMPCL_KARG_UINT(cut.slices > 1 ? cut.kc : k),
	    AMPCL_KARG_FLOAT(cut.slices > 1 ? 0.0f : 1.0f),
	};
	if ((st = ampcl_launch(ctx, kernel, 3, global, local, AMPCL_NARGS(args), args, NULL)) ||
	    cut.slices == 1)
		return st;
	return ampcl_gemm_splitk_sum(ctx, ampcl_tensor_mem(d->dw), ampcl_tensor_off(d->dw), n, out,
				     out_off, m, n, cut.slices, 1.0f);
}

ampcl_status ampcl_conv2d_implicit_dw(struct ampcl_context *ctx, const struct ampcl_conv2d_shape *s,
				      const struct ampcl_tensor *dw, const struct ampcl_tensor *dy,
				      const struct ampcl_tensor *x)
{
	int m, n, k;
	dw_dims(s, &m, &n, &k);
	struct dw_args d = {ctx, s, dw, dy, x};
	/* AMPCL_TUNE=full inside ampcl_net_tune: time the cuts first (dW gets garbage then) */
	ampcl_status st = ampcl_gemm_splitk_tune(ctx, m, n, k, dw_with, &d);
	return st ? st : dw_with(&d, ampcl_gemm_splitk_plan(ctx, m, n, k, 1));
}

struct implicit_relay {
	const struct ampcl_context *ctx;
	ampcl_kernel_variant_fn fn;
	void *arg;
};

/* A GEMM tiling as the convolution's: its kernels are in the same program (grid above). */
static void implicit_relay(void *arg, const struct ampcl_kernel_variant *v)
{
	const struct implicit_relay *r = arg;
	char name[64];
	snprintf(name, sizeof(name), "conv_implicit %s", v->name);
	struct ampcl_kernel_variant w = *v;
	w.name = name;
	w.preferred = v->preferred && ampcl_conv2d_implicit_on(r->ctx);
	w.reachable = v->reachable && ampcl_conv2d_implicit_on(r->ctx);
	r->fn(r->arg, &w);
}

void ampcl_conv2d_implicit_variants(const struct ampcl_context *ctx, ampcl_kernel_variant_fn fn,
				    void *arg)
{
	struct implicit_relay r = {ctx, fn, arg};
	ampcl_gemm_own_variants(ctx, implicit_relay, &r);
}
