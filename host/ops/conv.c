/* conv.c: the host side of 2-D convolution: shape and view checks, chunking the batch to fit
 * the scratch, and the kernel and GEMM sequence of forward and backward (see conv.h). */
#include "conv.h"
#include "conv_implicit.h"
#include "conv_packed.h"
#include "conv_winograd.h"
#include "error.h"
#include "gemm.h"
#include "launch.h"
#include "program.h"
#include "tune.h"

#include <stdint.h>
#include <stdio.h>

/* work-items per group of the bias-gradient reduction, halved until the kernel accepts it
 * (cl/common.cl's AMPCL_REDUCE_WG; the kernel reads its group size at run time) */
#define CONV_REDUCE_WG 256

/* The geometry im2col_forward and col2im_backward both take, in cl/conv.cl's order; p, q: the
 * output's height and width. */
#define CONV_GEOMETRY_KARGS(s, p, q)                                                               \
	AMPCL_KARG_UINT((s)->c), AMPCL_KARG_UINT((s)->h), AMPCL_KARG_UINT((s)->w),                 \
	    AMPCL_KARG_UINT((s)->r), AMPCL_KARG_UINT((s)->s), AMPCL_KARG_UINT((s)->stride),        \
	    AMPCL_KARG_UINT((s)->pad), AMPCL_KARG_UINT(p), AMPCL_KARG_UINT(q)

size_t ampcl_conv2d_scratch_floats(const struct ampcl_conv2d_shape *s, int images)
{
	size_t pq = (size_t)ampcl_conv2d_out_h(s) * (size_t)ampcl_conv2d_out_w(s);
	size_t crs = (size_t)s->c * (size_t)s->r * (size_t)s->s;
	return (size_t)(images > 0 ? images : 0) * pq * (crs + (size_t)s->k);
}

/* Whether a call of this shape may take Winograd (forced, or a table at the full level that may
 * choose it or, while tuning, tries it): its workspace is then planned too. */
static int winograd_may(const struct ampcl_context *ctx, const struct ampcl_conv2d_shape *s)
{
	return ampcl_conv2d_winograd_fits(s) && ctx->profile.conv_winograd >= 0 &&
	       (ctx->profile.conv_winograd > 0 || ctx->tune.level >= AMPCL_TUNE_FULL);
}

static size_t workspace_direct(const struct ampcl_context *ctx, const struct ampcl_conv2d_shape *s,
			       int chunk);

size_t ampcl_conv2d_workspace_floats(const struct ampcl_context *ctx,
				     const struct ampcl_conv2d_shape *s, size_t scratch_floats)
{
	size_t one = ampcl_conv2d_scratch_floats(s, 1);
	if (one == 0 || scratch_floats < one)
		return 0;
	size_t fit = scratch_floats / one;
	int chunk = fit < (size_t)s->n ? (int)fit : s->n;
	size_t wino = winograd_may(ctx, s)
			  ? ampcl_conv2d_winograd_workspace_floats(ctx, s, scratch_floats)
			  : 0;
	size_t direct = workspace_direct(ctx, s, chunk);
	return wino > direct ? wino : direct;
}

/* The op workspace of the paths other than Winograd, with chunks of `chunk` images. */
static size_t workspace_direct(const struct ampcl_context *ctx, const struct ampcl_conv2d_shape *s,
			       int chunk)
{
	if (ampcl_conv2d_packed_on(ctx))
		return ampcl_conv2d_packed_workspace_floats(ctx, s, chunk);
	int pq = ampcl_conv2d_out_h(s) * ampcl_conv2d_out_w(s), crs = s->c * s->r * s->s;
	if (ampcl_conv2d_implicit_on(ctx)) {
		/* the weight gradient's slices; the input gradient's products, dcol (crs, nb*pq)
		 * = W^T x t, for a full chunk and the last */
		size_t dw = ampcl_conv2d_implicit_workspace_floats(ctx, s);
		size_t full = ampcl_gemm_workspace_floats(ctx, 1, 0, crs, chunk * pq, s->k, 1);
		int rest = s->n % chunk;
		size_t last =
		    rest ? ampcl_gemm_workspace_floats(ctx, 1, 0, crs, rest * pq, s->k, 1) : 0;
		size_t most = dw > full ? dw : full;
		return most > last ? most : last;
	}
	/* the weight gradient's product, dW (k, crs) += t (k, nb*pq) x col^T, is the one that
	 * splits k: a full chunk of images and the last, shorter one */
	size_t a = ampcl_gemm_workspace_floats(ctx, 0, 1, s->k, crs, chunk * pq, 1);
	int last = s->n % chunk;
	size_t b = last ? ampcl_gemm_workspace_floats(ctx, 0, 1, s->k, crs, last * pq, 1) : 0;
	return a > b ? a : b;
}

/* 1x1, stride 1, no padding: x itself is the im2col matrix of each image. */
static int is_pointwise(const struct ampcl_conv2d_shape *s)
{
	return s->r == 1 && s->s == 1 && s->stride == 1 && s->pad == 0;
}

/* t must hold the 4-D shape dims = (a, b, c, d); dims names the sizes for the message. */
static ampcl_status check_count_4d(const char *what, const char *name, const struct ampcl_tensor *t,
				   const char *dims, int a, int b, int c, int d)
{
	char desc[96];
	snprintf(desc, sizeof(desc), "(%s) = (%d, %d, %d, %d)", dims, a, b, c, d);
	return ampcl_tensor_check(what, name, t, (size_t)a * b * c * d, desc);
}

/* Checks the shape and the views shared by forward and backward; *chunk gets the images per
 * chunk the scratch allows. */
static ampcl_status check_common(const char *what, const struct ampcl_conv2d_shape *s,
				 const struct ampcl_tensor *x, const struct ampcl_tensor *w,
				 const struct ampcl_tensor *y, const char *yname,
				 const struct ampcl_tensor *scratch, int *chunk)
{
	if (s->n < 1 || s->c < 1 || s->h < 1 || s->w < 1 || s->k < 1 || s->r < 1 || s->s < 1 ||
	    s->stride < 1 || s->pad < 0)
		return ampcl_error_set(AMPCL_ERR_INVALID_ARG,
				       "%s: bad shape n=%d c=%d h=%d w=%d k=%d r=%d s=%d stride=%d "
				       "pad=%d (sizes and stride must be >= 1, pad >= 0)",
				       what, s->n, s->c, s->h, s->w, s->k, s->r, s->s, s->stride,
				       s->pad);
	int p = ampcl_conv2d_out_h(s), q = ampcl_conv2d_out_w(s);
	if (p < 1 || q < 1)
		return ampcl_error_set(AMPCL_ERR_INVALID_ARG,
				       "%s: a %dx%d kernel does not fit the %dx%d input padded by "
				       "%d",
				       what, s->r, s->s, s->h, s->w, s->pad);
	ampcl_status st;
	if ((st = check_count_4d(what, "x", x, "n, c, h, w", s->n, s->c, s->h, s->w)) ||
	    (st = check_count_4d(what, "w", w, "k, c, r, s", s->k, s->c, s->r, s->s)) ||
	    (st = check_count_4d(what, yname, y, "n, k, p, q", s->n, s->k, p, q)))
		return st;

	size_t one = ampcl_conv2d_scratch_floats(s, 1);
	size_t have =
	    (scratch && scratch->arena && scratch->arena->buf) ? ampcl_tensor_count(scratch) : 0;
	if (have > UINT32_MAX)
		have = UINT32_MAX; /* the kernels index col with 32 bits */
	if (have < one)
		return ampcl_error_set(
		    AMPCL_ERR_INVALID_ARG,
		    "%s: scratch of %zu floats is smaller than the %zu floats one "
		    "image needs (c*r*s + k = %d, times p*q = %d); give "
		    "ampcl_conv2d_scratch_floats(shape, images) floats",
		    what, have, one, s->c * s->r * s->s + s->k, p * q);
	size_t fit = have / one;
	*chunk = fit < (size_t)s->n ? (int)fit : s->n;
	return AMPCL_OK;
}

/* Enqueues cl/conv.cl's kernel `name` over global[dims], the group size left to the driver
 * (the per-row CPU kernels: PoCL runs a group's work-items as one loop). */
static ampcl_status launch_named(struct ampcl_context *ctx, const char *name, cl_uint dims,
				 const size_t *global, int nargs, const struct ampcl_karg *args)
{
	cl_kernel kernel;
	ampcl_status st = ampcl_kernel_get(ctx, "conv", "", name, &kernel);
	if (st)
		return st;
	return ampcl_launch(ctx, kernel, dims, global, NULL, nargs, args, NULL);
}

static ampcl_status im2col(struct ampcl_context *ctx, const struct ampcl_conv2d_shape *s,
			   cl_mem col, size_t col_off, const struct ampcl_tensor *x, int b0,
			   int images)
{
	int p = ampcl_conv2d_out_h(s), q = ampcl_conv2d_out_w(s);
	size_t crs = (size_t)s->c * s->r * s->s;
	size_t x_off = ampcl_tensor_off(x) + (size_t)b0 * s->c * s->h * s->w;
	struct ampcl_karg args[] = {
	    AMPCL_KARG_MEM(col),
	    AMPCL_KARG_UINT(col_off),
	    AMPCL_KARG_MEM(ampcl_tensor_mem(x)),
	    AMPCL_KARG_UINT(x_off),
	    CONV_GEOMETRY_KARGS(s, p, q),
	    AMPCL_KARG_UINT(images),
	};
	return ampcl_launch_1d_named(ctx, "conv", "im2col_forward", crs * images * p * q,
				     AMPCL_NARGS(args), args);
}

/* y[b0 .. b0+images) += bias, for the paths whose GEMM writes y directly. */
static ampcl_status bias_add(struct ampcl_context *ctx, const struct ampcl_conv2d_shape *s,
			     const struct ampcl_tensor *y, const struct ampcl_tensor *bias, int b0,
			     int images)
{
	size_t pq = (size_t)ampcl_conv2d_out_h(s) * ampcl_conv2d_out_w(s);
	struct ampcl_karg args[] = {
	    AMPCL_KARG_MEM(ampcl_tensor_mem(y)),
	    AMPCL_KARG_UINT(ampcl_tensor_off(y) + (size_t)b0 * s->k * pq),
	    AMPCL_KARG_VIEW(bias),
	    AMPCL_KARG_UINT(s->k),
	    AMPCL_KARG_UINT(pq),
	    AMPCL_KARG_UINT(images),
	};
	return ampcl_launch_1d_named(ctx, "conv", "conv2d_bias_forward", (size_t)images * s->k * pq,
				     AMPCL_NARGS(args), args);
}

/* The forward pass on the packed, implicit or im2col path, in chunks of `chunk` images. */
static ampcl_status forward_direct(struct ampcl_context *ctx, const struct ampcl_conv2d_shape *s,
				   const struct ampcl_tensor *y, const struct ampcl_tensor *x,
				   const struct ampcl_tensor *w, const struct ampcl_tensor *bias,
				   const struct ampcl_tensor *scratch, int chunk)
{
	ampcl_status st;

	const size_t p = (size_t)ampcl_conv2d_out_h(s), q = (size_t)ampcl_conv2d_out_w(s);
	const size_t pq = p * q, crs = (size_t)s->c * s->r * s->s, chw = (size_t)s->c * s->h * s->w;
	const int ccrs = (int)crs; /* W as a (k, c*r*s) matrix */
	cl_mem sm = ampcl_tensor_mem(scratch);
	size_t col_off = ampcl_tensor_off(scratch);
	size_t t_off = col_off + crs * (size_t)chunk * pq; /* (k, chunk*p*q) after col */
	if (ampcl_conv2d_packed_on(ctx)) {
		/* the packed GEMM gathers im2col's values itself and writes y, bias added, in NCHW
		 */
		for (int b0 = 0; b0 < s->n; b0 += chunk) {
			int nb = s->n - b0 < chunk ? s->n - b0 : chunk;
			if ((st = ampcl_conv2d_packed_forward(ctx, s, y, x, w, bias, b0, nb)))
				return st;
		}
		return AMPCL_OK;
	}
	if (ampcl_conv2d_implicit_on(ctx)) {
		/* one implicit GEMM over the whole batch, y written in NCHW */
		st = ampcl_conv2d_implicit_forward(ctx, s, y, x, w);
		if (!st)
			return bias ? bias_add(ctx, s, y, bias, 0, s->n) : AMPCL_OK;
		if (st != AMPCL_ERR_UNSUPPORTED || ctx->env.conv[0])
			return st;
		ctx->profile.conv_implicit = 0; /* the device cannot run it: im2col from now on */
	}
	cl_mem ym = ampcl_tensor_mem(y), xm = ampcl_tensor_mem(x), wm = ampcl_tensor_mem(w);
	size_t y_off = ampcl_tensor_off(y), x_off = ampcl_tensor_off(x),
	       w_off = ampcl_tensor_off(w);

	for (int b0 = 0; b0 < s->n; b0 += chunk) {
		int nb = s->n - b0 < chunk ? s->n - b0 : chunk;
		int cols = (int)((size_t)nb * pq);
		if (is_pointwise(s) || nb == 1) {
			/* y_b (k, pq) = W (k, crs) x col_b (crs, pq), written in place: x_b is
			 * its own col when pointwise, else one image's im2col */
			cl_mem bm = xm;
			size_t b_off = x_off + (size_t)b0 * chw, b_stride = chw;
			if (!is_pointwise(s)) {
				if ((st = im2col(ctx, s, sm, col_off, x, b0, 1)))
					return st;
				bm = sm;
				b_off = col_off;
				b_stride = 0;
			}
			st = ampcl_gemm_batched(ctx, 0, 0, s->k, (int)pq, ccrs, 1.0f, wm, w_off,
						ccrs, 0, bm, b_off, (int)pq, b_stride, 0.0f, ym,
						y_off + (size_t)b0 * s->k * pq, (int)pq,
						(size_t)s->k * pq, nb);
			if (!st && bias)
				st = bias_add(ctx, s, y, bias, b0, nb);
			if (st)
				return st;
			continue;
		}
		/* t (k, nb*pq) = W (k, crs) x col (crs, nb*pq), then to NCHW with the bias */
		if ((st = im2col(ctx, s, sm, col_off, x, b0, nb)))
			return st;
		st = ampcl_gemm(ctx, 0, 0, s->k, cols, ccrs, 1.0f, wm, w_off, ccrs, sm, col_off,
				cols, 0.0f, sm, t_off, cols);
		if (st)
			return st;
		struct ampcl_karg args[] = {
		    AMPCL_KARG_MEM(ym),
		    AMPCL_KARG_UINT(y_off + (size_t)b0 * s->k * pq),
		    AMPCL_KARG_MEM(sm),
		    AMPCL_KARG_UINT(t_off),
		    AMPCL_KARG_MEM(bias ? ampcl_tensor_mem(bias) : ym),
		    AMPCL_KARG_UINT(bias ? ampcl_tensor_off(bias) : 0),
		    AMPCL_KARG_UINT(bias != NULL),
		    AMPCL_KARG_UINT(s->k),
		    AMPCL_KARG_UINT(pq),
		    AMPCL_KARG_UINT(nb),
		};
		st = ampcl_launch_1d_named(ctx, "conv", "conv2d_output_forward",
					   (size_t)nb * s->k * pq, AMPCL_NARGS(args), args);
		if (st)
			return st;
	}
	return AMPCL_OK;
}

/* dx[b0 .. b0+nb) = beta*dx + dcol (c*r*s, nb*p*q) at (col, col_off) summed onto the pixels. */
static ampcl_status col2im(struct ampcl_context *ctx, const struct ampcl_conv2d_shape *s,
			   const struct ampcl_tensor *dx, float beta, cl_mem col, size_t col_off,
			   int b0, int nb)
{
	int p = ampcl_conv2d_out_h(s), q = ampcl_conv2d_out_w(s);
	size_t chw = (size_t)s->c * s->h * s->w;
	struct ampcl_karg args[] = {
	    AMPCL_KARG_MEM(ampcl_tensor_mem(dx)),
	    AMPCL_KARG_UINT(ampcl_tensor_off(dx) + (size_t)b0 * chw),
	    AMPCL_KARG_MEM(col),
	    AMPCL_KARG_UINT(col_off),
	    CONV_GEOMETRY_KARGS(s, p, q),
	    AMPCL_KARG_UINT(nb),
	    AMPCL_KARG_FLOAT(beta),
	};
	if (ctx->profile.conv_rows)
		return launch_named(ctx, "col2im_rows_backward", 2,
				    (size_t[2]){(size_t)s->h, (size_t)nb * s->c}, AMPCL_NARGS(args),
				    args);
	return ampcl_launch_1d_named(ctx, "conv", "col2im_backward", (size_t)nb * chw,
				     AMPCL_NARGS(args), args);
}

/* db += per-channel sums of dy over the whole batch, one work-group per channel, each walking
 * its channel as the profile's BN reductions do (contiguous runs on CPUs). */
static ampcl_status bias_backward(struct ampcl_context *ctx, const struct ampcl_conv2d_shape *s,
				  const struct ampcl_tensor *db, const struct ampcl_tensor *dy)
{
	cl_kernel kernel;
	ampcl_status st = ampcl_kernel_get(ctx, "conv", "", "conv2d_bias_backward", &kernel);
	if (st)
		return st;
	size_t wg = ampcl_launch_reduce_group(ctx, kernel, CONV_REDUCE_WG, sizeof(float));
	size_t pq = (size_t)ampcl_conv2d_out_h(s) * ampcl_conv2d_out_w(s);
	size_t global = (size_t)s->k * wg;
	struct ampcl_karg args[] = {
	    AMPCL_KARG_VIEW(db),
	    AMPCL_KARG_VIEW(dy),
	    AMPCL_KARG_UINT(s->k),
	    AMPCL_KARG_UINT(pq),
	    AMPCL_KARG_UINT(s->n),
	    AMPCL_KARG_UINT(ctx->profile.bn_contiguous),
	    AMPCL_KARG_LOCAL(wg * sizeof(float)),
	};
	return ampcl_launch(ctx, kernel, 1, &global, &wg, AMPCL_NARGS(args), args, NULL);
}

/* dW += and (dx != NULL) dx = beta*dx + on the packed, implicit or im2col path, in chunks of
 * `chunk` images (the bias gradient is the caller's). */
static ampcl_status backward_direct(struct ampcl_context *ctx, const struct ampcl_conv2d_shape *s,
				    const struct ampcl_tensor *dx, const struct ampcl_tensor *dw,
				    const struct ampcl_tensor *dy, const struct ampcl_tensor *x,
				    const struct ampcl_tensor *w, float beta,
				    const struct ampcl_tensor *scratch, int chunk)
{
	ampcl_status st = AMPCL_OK;
	/* implicit GEMM: the weight gradient in one product over the whole batch; the chunks
	 * below then only compute the input gradient */
	int implicit = ampcl_conv2d_implicit_on(ctx);
	if (implicit && (st = ampcl_conv2d_implicit_dw(ctx, s, dw, dy, x))) {
		if (st != AMPCL_ERR_UNSUPPORTED || ctx->env.conv[0])
			return st;
		ctx->profile.conv_implicit = 0; /* the device cannot run it: im2col from now on */
		implicit = 0;
	}

	const size_t pq = (size_t)ampcl_conv2d_out_h(s) * ampcl_conv2d_out_w(s);
	const size_t crs = (size_t)s->c * s->r * s->s, chw = (size_t)s->c * s->h * s->w;
	const int ccrs = (int)crs;
	cl_mem sm = ampcl_tensor_mem(scratch);
	size_t col_off = ampcl_tensor_off(scratch);
	size_t t_off = col_off + crs * (size_t)chunk * pq;
	cl_mem dym = ampcl_tensor_mem(dy), xm = ampcl_tensor_mem(x), wm = ampcl_tensor_mem(w);
	size_t dy_off = ampcl_tensor_off(dy), x_off = ampcl_tensor_off(x),
	       w_off = ampcl_tensor_off(w);

	for (int b0 = 0; b0 < s->n; b0 += chunk) {
		int nb = s->n - b0 < chunk ? s->n - b0 : chunk;
		int cols = (int)((size_t)nb * pq);
		size_t dyb_off = dy_off + (size_t)b0 * s->k * pq;
		if (ampcl_conv2d_packed_on(ctx)) {
			/* dW from dy and x in place; dx through dcol (in the scratch) and col2im,
			 * or straight into dx when pointwise */
			if ((st = ampcl_conv2d_packed_dw(ctx, s, dw, dy, x, b0, nb)) ||
			    (dx && (st = ampcl_conv2d_packed_dx(ctx, s, dx, beta, sm, col_off, dy,
								w, b0, nb))) ||
			    (dx && ampcl_conv2d_packed_dx_needs_col(s) &&
			     (st = col2im(ctx, s, dx, beta, sm, col_off, b0, nb))))
				return st;
			continue;
		}

		/* col (crs, nb*pq): one image of a pointwise conv is x_b itself */
		cl_mem colm = sm;
		size_t cb_off = col_off;
		if (implicit) {
			/* dW is done: no im2col */
		} else if (is_pointwise(s) && nb == 1) {
			colm = xm;
			cb_off = x_off + (size_t)b0 * chw;
		} else if ((st = im2col(ctx, s, sm, col_off, x, b0, nb))) {
			return st;
		}
		/* t (k, nb*pq): dy's chunk in the GEMMs' layout; one image's dy_b already is */
		cl_mem tm = dym;
		size_t tb_off = dyb_off;
		if (nb > 1) {
			struct ampcl_karg args[] = {
			    AMPCL_KARG_MEM(sm),       AMPCL_KARG_UINT(t_off), AMPCL_KARG_MEM(dym),
			    AMPCL_KARG_UINT(dyb_off), AMPCL_KARG_UINT(s->k),  AMPCL_KARG_UINT(pq),
			    AMPCL_KARG_UINT(nb),
			};
			st = ampcl_launch_1d_named(ctx, "conv", "conv2d_output_backward",
						   (size_t)nb * s->k * pq, AMPCL_NARGS(args), args);
			if (st)
				return st;
			tm = sm;
			tb_off = t_off;
		}

		/* dW (k, crs) += t (k, nb*pq) x col^T (nb*pq, crs) */
		if (!implicit)
			st = ampcl_gemm(ctx, 0, 1, s->k, ccrs, cols, 1.0f, tm, tb_off, cols, colm,
					cb_off, cols, 1.0f, ampcl_tensor_mem(dw),
					ampcl_tensor_off(dw), ccrs);
		if (st)
			return st;
		if (!dx)
			continue;

		size_t dxb_off = ampcl_tensor_off(dx) + (size_t)b0 * chw;
		if (is_pointwise(s)) {
			/* dx_b (c, hw) = beta*dx_b + W^T (c, k) x dy_b (k, hw), straight to NCHW */
			st = ampcl_gemm_batched(ctx, 1, 0, s->c, (int)pq, s->k, 1.0f, wm, w_off,
						ccrs, 0, dym, dyb_off, (int)pq, (size_t)s->k * pq,
						beta, ampcl_tensor_mem(dx), dxb_off, (int)pq, chw,
						nb);
			if (st)
				return st;
			continue;
		}
		/* dcol (crs, nb*pq) = W^T (crs, k) x t (k, nb*pq), over col (dW is done with
		 * it: the queue is in order), then summed back onto the pixels */
		st = ampcl_gemm(ctx, 1, 0, ccrs, cols, s->k, 1.0f, wm, w_off, ccrs, tm, tb_off,
				cols, 0.0f, sm, col_off, cols);
		if (st)
			return st;
		if ((st = col2im(ctx, s, dx, beta, sm, col_off, b0, nb)))
			return st;
	}
	return AMPCL_OK;
}

/* ---- Winograd F(2x2, 3x3) (conv_winograd.h): forced by AMPCL_CONV, or chosen per shape by the
 * tuning table when ampcl_net_tune measured it faster. ---- */

/* One variant of a call, for the tuner's timing: the forward pass (dx NULL) or the backward
 * pass, each the direct way or through Winograd. */
struct timed_conv {
	struct ampcl_context *ctx;
	const struct ampcl_conv2d_shape *s;
	const struct ampcl_tensor *y, *x, *w, *bias, *dx, *dw, *dy, *scratch;
	float beta;
	int chunk, backward, winograd;
};

static ampcl_status run_timed(void *arg)
{
	const struct timed_conv *t = arg;
	ampcl_status st;
	if (!t->backward)
		return t->winograd ? ampcl_conv2d_winograd_forward(t->ctx, t->s, t->y, t->x, t->w,
								   t->bias, t->scratch)
				   : forward_direct(t->ctx, t->s, t->y, t->x, t->w, t->bias,
						    t->scratch, t->chunk);
	if (!t->winograd)
		return backward_direct(t->ctx, t->s, t->dx, t->dw, t->dy, t->x, t->w, t->beta,
				       t->scratch, t->chunk);
	if ((st = backward_direct(t->ctx, t->s, NULL, t->dw, t->dy, t->x, t->w, t->beta, t->scratch,
				  t->chunk)))
		return st;
	return ampcl_conv2d_winograd_dx(t->ctx, t->s, t->dx, t->beta, t->dy, t->w, t->scratch);
}

static void winograd_key(const struct ampcl_conv2d_shape *s, int backward, char *key, size_t size)
{
	snprintf(key, size, "winograd %s %d %d %d %d %d %d", backward ? "dx" : "fwd", s->n, s->c,
		 s->h, s->w, s->k, s->pad);
}

static int winograd_valid(const struct ampcl_context *ctx, const int *value, int level,
			  const void *arg)
{
	(void)ctx, (void)arg;
	return level >= AMPCL_TUNE_FULL && (value[0] == 0 || value[0] == 1);
}

/* Whether this call takes Winograd: the shape has it, the scratch holds one image's transforms,
 * and AMPCL_CONV=winograd forces it or the table says it measured faster. While tuning at the
 * full level (Winograd rounds differently, so quick, which keeps the untuned bits, never tries
 * it), a shape not yet in the table is timed both ways first (best of 3 after a warm-up; the
 * results are thrown away) and Winograd stored only when 3% faster. */
static ampcl_status winograd_pick(struct timed_conv *t, int *use)
{
	struct ampcl_context *ctx = t->ctx;
	const struct ampcl_conv2d_shape *s = t->s;
	*use = 0;
	if (!ampcl_conv2d_winograd_fits(s) || ctx->profile.conv_winograd < 0 ||
	    ampcl_conv2d_winograd_chunk(s, ampcl_tensor_count(t->scratch), t->backward) < 1)
		return AMPCL_OK;
	if (ctx->profile.conv_winograd > 0) {
		*use = 1;
		return AMPCL_OK;
	}
	char key[112];
	int v[AMPCL_TUNE_VALUES];
	winograd_key(s, t->backward, key, sizeof(key));
	if (ampcl_tune_lookup(ctx, key, AMPCL_TUNE_FULL, v, winograd_valid, NULL)) {
		*use = v[0];
		return AMPCL_OK;
	}
	if (!ctx->tune.measuring || ctx->tune.level < AMPCL_TUNE_FULL)
		return AMPCL_OK;
	double direct_s, wino_s;
	t->winograd = 0;
	ampcl_status st = ampcl_tune_time(ctx, run_timed, t, 3, &direct_s);
	t->winograd = 1;
	if (!st)
		st = ampcl_tune_time(ctx, run_timed, t, 3, &wino_s);
	if (st)
		return ampcl_error_wrap(st, "tuning %s: ", key);
	*use = wino_s < 0.97 * direct_s;
	int value[AMPCL_TUNE_VALUES] = {*use, 0, 0, 0};
	ampcl_tune_store(ctx, key, value);
	ctx->tune.measured++;
	ctx->tune.changed += *use;
	return AMPCL_OK;
}

ampcl_status ampcl_conv2d_forward(struct ampcl_context *ctx, const struct ampcl_conv2d_shape *s,
				  const struct ampcl_tensor *y, const struct ampcl_tensor *x,
				  const struct ampcl_tensor *w, const struct ampcl_tensor *bias,
				  const struct ampcl_tensor *scratch)
{
	const char *what = "conv2d forward";
	int chunk, use;
	ampcl_status st = check_common(what, s, x, w, y, "y", scratch, &chunk);
	if (st)
		return st;
	if (bias && (st = ampcl_tensor_check(what, "bias", bias, (size_t)s->k, "k")))
		return st;
	struct timed_conv t = {.ctx = ctx,
			       .s = s,
			       .y = y,
			       .x = x,
			       .w = w,
			       .bias = bias,
			       .scratch = scratch,
			       .chunk = chunk};
	if ((st = winograd_pick(&t, &use)))
		return st;
	if (use)
		return ampcl_conv2d_winograd_forward(ctx, s, y, x, w, bias, scratch);
	return forward_direct(ctx, s, y, x, w, bias, scratch, chunk);
}

ampcl_status ampcl_conv2d_backward(struct ampcl_context *ctx, const struct ampcl_conv2d_shape *s,
				   const struct ampcl_tensor *dx, const struct ampcl_tensor *dw,
				   const struct ampcl_tensor *db, const struct ampcl_tensor *dy,
				   const struct ampcl_tensor *x, const struct ampcl_tensor *w,
				   float beta, const struct ampcl_tensor *scratch)
{
	const char *what = "conv2d backward";
	int chunk, use = 0;
	ampcl_status st = check_common(what, s, x, w, dy, "dy", scratch, &chunk);
	if (st)
		return st;
	if ((st = ampcl_tensor_check_same(what, "dw", dw, "w", w)) ||
	    (dx && (st = ampcl_tensor_check_same(what, "dx", dx, "x", x))) ||
	    (db && (st = ampcl_tensor_check(what, "db", db, (size_t)s->k, "k"))))
		return st;

	if (db && (st = bias_backward(ctx, s, db, dy)))
		return st;
	struct timed_conv t = {.ctx = ctx,
			       .s = s,
			       .x = x,
			       .w = w,
			       .dx = dx,
			       .dw = dw,
			       .dy = dy,
			       .scratch = scratch,
			       .beta = beta,
			       .chunk = chunk,
			       .backward = 1};
	if (dx && (st = winograd_pick(&t, &use)))
		return st;
	/* Winograd computes dx only: dW stays on the direct path (see docs/design.md) */
	if (!use)
		return backward_direct(ctx, s, dx, dw, dy, x, w, beta, scratch, chunk);
	if ((st = backward_direct(ctx, s, NULL, dw, dy, x, w, beta, scratch, chunk)))
		return st;
	return ampcl_conv2d_winograd_dx(ctx, s, dx, beta, dy, w, scratch);
}
