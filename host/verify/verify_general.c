/* verify_general.c: the checks of the op families ONNX models brought: the general convolution
 * and pooling, clip, channel concatenation and slice, and dropout, each with its float32 bound. */
#include "verify_ops.h"
#include "alloc.h"
#include "eltwise.h"
#include "ref.h"
#include "relu.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define U VF_U

/* One rounding is allowed an ulp, 2u |result| (verify_layers.c says why). */
static double *tol_rounding(const double *want, size_t n, double ulps)
{
	double *t = ampcl_xmalloc((n ? n : 1) * sizeof(double));
	for (size_t i = 0; i < n; i++)
		t[i] = 2 * ulps * U * fabs(want[i]);
	return t;
}

/* Reads t into got and compares it with want, reporting the path the op's launches took. */
static ampcl_status compare_read(struct vf_run *v, const struct ampcl_tensor *t, float *got,
				 const char *family, const char *op, const char *shape,
				 const double *want, const double *tol, size_t n, const char *bound)
{
	ampcl_status st = ampcl_tensor_read(v->ctx, t, got);
	if (!st)
		vf_compare(v, family, op, shape, got, want, tol, n, bound);
	return st;
}

/*
 * The general convolution, per group of c/g inputs and k/g outputs: y sums (c/g)*kh*kw products
 * and the bias; dx = beta dx0 + a sum of at most (k/g)*kh*kw products; dw and db (overwritten)
 * sums of n*p*q. Magnitudes are the reference run on |x|, |w|, |dy| (and |beta dx0|); the
 * tolerances vf_tol_sum's with those K, as for the convolution (verify_products.c).
 */
ampcl_status vf_check_gconv(struct vf_run *v, const struct ampcl_gconv_shape *s, int bias,
			    int with_dx, float beta)
{
	int p = ampcl_gconv_out_h(s), q = ampcl_gconv_out_w(s);
	int cg = s->c / s->groups, kg = s->k / s->groups;
	int xs[4] = {s->n, s->c, s->h, s->w}, ws[4] = {s->k, cg, s->kh, s->kw};
	int ys[4] = {s->n, s->k, p, q}, bs[1] = {s->k};
	size_t nx = (size_t)s->n * s->c * s->h * s->w, nw = (size_t)s->k * cg * s->kh * s->kw;
	size_t ny = (size_t)s->n * s->k * p * q, nb = s->k;
	struct ref_gconv r = {s->n,  s->c,  s->h,  s->w,  s->k,  s->kh, s->kw, s->sh,
			      s->sw, s->pt, s->pl, s->pb, s->pr, s->dh, s->dw, s->groups};
	struct vf_arena ar;
	vf_arena_init(&ar, "verify conv_general");
	struct ampcl_tensor tx = vf_reserve(&ar, 4, xs), tw = vf_reserve(&ar, 4, ws);
	struct ampcl_tensor tb = vf_reserve(&ar, 1, bs), ty = vf_reserve(&ar, 4, ys);
	struct ampcl_tensor tdx = vf_reserve(&ar, 4, xs), tdw = vf_reserve(&ar, 4, ws);
	struct ampcl_tensor tdb = vf_reserve(&ar, 1, bs), tdy = vf_reserve(&ar, 4, ys);
	float *x = vf_uniform(v, nx, -1, 1), *w = vf_uniform(v, nw, -1, 1);
	float *b = vf_uniform(v, nb, -1, 1), *dy = vf_uniform(v, ny, -1, 1);
	float *dx0 = vf_uniform(v, nx, -1, 1);
	float *got = ampcl_xmalloc((nx > ny ? nx : ny) * 4 + nw * 4 + nb * 4);
	double *xd = vf_to_double(x, nx), *wd = vf_to_double(w, nw), *bd = vf_to_double(b, nb);
	double *dyd = vf_to_double(dy, ny), *ax = vf_abs(xd, nx), *aw = vf_abs(wd, nw);
	double *ab = vf_abs(bd, nb), *ady = vf_abs(dyd, ny);
	double *wy = ampcl_xmalloc(ny * 8), *my = ampcl_xmalloc(ny * 8);
	double *wdx = vf_to_double(dx0, nx), *mdx = vf_abs(wdx, nx);
	double *wdw = ampcl_xmalloc(nw * 8), *mdw = ampcl_xmalloc(nw * 8);
	double *wdb = ampcl_xmalloc(nb * 8), *mdb = ampcl_xmalloc(nb * 8), *t = NULL;
	char shape[160], bound[96], fpath[200], bpath[200];
	snprintf(shape, sizeof(shape), "n%d c%d %dx%d k%d %dx%d g%d s%dx%d p%d,%d,%d,%d d%dx%d%s%s",
		 s->n, s->c, s->h, s->w, s->k, s->kh, s->kw, s->groups, s->sh, s->sw, s->pt, s->pl,
		 s->pb, s->pr, s->dh, s->dw, bias ? " bias" : "",
		 !with_dx    ? " no dx"
		 : beta != 0 ? " dx+="
			     : "");
	ampcl_status st;
	if ((st = vf_arena_commit(v, &ar)) || (st = vf_put(v, &tx, x)) ||
	    (st = vf_put(v, &tw, w)) || (st = vf_put(v, &tb, b)) || (st = vf_put(v, &tdy, dy)) ||
	    (st = vf_put(v, &ty, NULL)) || (st = vf_put(v, &tdx, beta != 0 ? dx0 : NULL)) ||
	    (st = vf_put(v, &tdw, NULL)) || (st = vf_put(v, &tdb, NULL)))
		goto out;
	vf_record_start(v);
	if ((st = ampcl_gconv_forward(v->ctx, s, &ty, &tx, &tw, bias ? &tb : NULL)) ||
	    (st = vf_record_stop(v)))
		goto out;
	snprintf(fpath, sizeof(fpath), "%s", v->path);
	vf_record_start(v);
	if ((st = ampcl_gconv_backward(v->ctx, s, with_dx ? &tdx : NULL, &tdw, bias ? &tdb : NULL,
				       &tdy, &tx, &tw, beta)) ||
	    (st = vf_record_stop(v)))
		goto out;
	snprintf(bpath, sizeof(bpath), "%s", v->path);
	ref_gconv_forward(&r, wy, xd, wd, bias ? bd : NULL);
	ref_gconv_forward(&r, my, ax, aw, bias ? ab : NULL);
	ref_gconv_backward(&r, with_dx ? wdx : NULL, wdw, bias ? wdb : NULL, dyd, xd, wd, beta);
	for (size_t i = 0; i < nx; i++)
		mdx[i] *= fabs(beta);
	ref_gconv_backward(&r, with_dx ? mdx : NULL, mdw, bias ? mdb : NULL, ady, ax, aw, 1.0);
	int kf = cg * s->kh * s->kw + 1, kb = kg * s->kh * s->kw + 1, npq = s->n * p * q;
	snprintf(v->path, sizeof(v->path), "%s", fpath);
	t = vf_tol_sum(my, wy, ny, kf);
	snprintf(bound, sizeof(bound), "8 sqrt(K) u sum|xw| + 2u|y|, K=c/g*kh*kw+1=%d", kf);
	if ((st = compare_read(v, &ty, got, "conv_general", "conv_general_forward y", shape, wy, t,
			       ny, bound)))
		goto out;
	snprintf(v->path, sizeof(v->path), "%s", bpath);
	if (with_dx) {
		free(t);
		t = vf_tol_sum(mdx, wdx, nx, kb);
		snprintf(bound, sizeof(bound), "8 sqrt(K) u sum|dy w| + 2u|dx|, K=k/g*kh*kw+1=%d",
			 kb);
		if ((st = compare_read(v, &tdx, got, "conv_general", "conv_general_backward dx",
				       shape, wdx, t, nx, bound)))
			goto out;
	}
	free(t);
	t = vf_tol_sum(mdw, wdw, nw, npq);
	snprintf(bound, sizeof(bound), "8 sqrt(K) u sum|dy x| + 2u|dw|, K=n*p*q=%d", npq);
	if ((st = compare_read(v, &tdw, got, "conv_general", "conv_general_backward dw", shape, wdw,
			       t, nw, bound)))
		goto out;
	if (bias) {
		free(t);
		t = vf_tol_sum(mdb, wdb, nb, npq);
		snprintf(bound, sizeof(bound), "8 sqrt(K) u sum|dy| + 2u|db|, K=n*p*q=%d", npq);
		st = compare_read(v, &tdb, got, "conv_general", "conv_general_backward db", shape,
				  wdb, t, nb, bound);
	}
out:
	vf_arena_free(&ar);
	VF_FREE_ALL(x, w, b, dy, dx0, got, xd, wd, bd, dyd, ax, aw, ab, ady, wy, my, wdx, mdx, wdw,
		    mdw, wdb, mdb, t);
	return st;
}

/*
 * The general pooling. Max selects: the forward is exact (tolerance 0), and dx = beta dx0 plus
 * the dy of every window whose maximum the cell is. Average: y sums the window's kh*kw cells at
 * most, then divides (vf_tol_sum with K = kh*kw + 1 on the mean of |x|); dx = beta dx0 plus
 * dy/count of every window over the cell. A cell lies in at most ceil(kh/sh) ceil(kw/sw) windows,
 * so dx is a sum of that many terms and beta dx0: vf_tol_sum with K one more, on the reference
 * run with |dy| and |beta dx0| (the same maxima: it takes x as it is).
 */
ampcl_status vf_check_gpool(struct vf_run *v, const struct ampcl_gpool_shape *s, int average,
			    float beta)
{
	int p = ampcl_gpool_out_h(s), q = ampcl_gpool_out_w(s);
	int xs[4] = {s->n, s->c, s->h, s->w}, ys[4] = {s->n, s->c, p, q};
	size_t nx = (size_t)s->n * s->c * s->h * s->w, ny = (size_t)s->n * s->c * p * q;
	struct ref_gpool r = {s->n,  s->c,  s->h,  s->w,  s->kh,
			      s->kw, s->sh, s->sw, s->pt, s->pl,
			      s->pb, s->pr, p,     q,     s->count_include_pad};
	struct vf_arena ar;
	vf_arena_init(&ar, "verify pool_general");
	struct ampcl_tensor tx = vf_reserve(&ar, 4, xs), ty = vf_reserve(&ar, 4, ys);
	struct ampcl_tensor tdx = vf_reserve(&ar, 4, xs), tdy = vf_reserve(&ar, 4, ys);
	float *x = vf_uniform(v, nx, -1, 1), *dy = vf_uniform(v, ny, -1, 1);
	float *dx0 = vf_uniform(v, nx, -1, 1), *got = ampcl_xmalloc((nx > ny ? nx : ny) * 4);
	double *xd = vf_to_double(x, nx), *ax = vf_abs(xd, nx), *dyd = vf_to_double(dy, ny);
	double *ady = vf_abs(dyd, ny), *wy = ampcl_xmalloc(ny * 8), *my = ampcl_xmalloc(ny * 8);
	double *wdx = vf_to_double(dx0, nx), *mdx = vf_abs(wdx, nx), *t = NULL;
	const char *kind = average ? "avg" : "max";
	char shape[160], op[64], bound[96], fpath[200], bpath[200];
	snprintf(shape, sizeof(shape), "n%d c%d %dx%d window %dx%d s%dx%d p%d,%d,%d,%d%s%s%s", s->n,
		 s->c, s->h, s->w, s->kh, s->kw, s->sh, s->sw, s->pt, s->pl, s->pb, s->pr,
		 s->ceil_mode ? " ceil" : "", average && s->count_include_pad ? " with pads" : "",
		 beta != 0 ? " dx+=" : "");
	ampcl_status st;
	if ((st = vf_arena_commit(v, &ar)) || (st = vf_put(v, &tx, x)) ||
	    (st = vf_put(v, &tdy, dy)) || (st = vf_put(v, &ty, NULL)) ||
	    (st = vf_put(v, &tdx, beta != 0 ? dx0 : NULL)))
		goto out;
	vf_record_start(v);
	if ((st = ampcl_gpool_forward(v->ctx, s, average, &ty, &tx)) || (st = vf_record_stop(v)))
		goto out;
	snprintf(fpath, sizeof(fpath), "%s", v->path);
	vf_record_start(v);
	if ((st = ampcl_gpool_backward(v->ctx, s, average, &tdx, &tdy, &tx, beta)) ||
	    (st = vf_record_stop(v)))
		goto out;
	snprintf(bpath, sizeof(bpath), "%s", v->path);
	ref_gpool_forward(&r, average, wy, xd);
	ref_gpool_backward(&r, average, wdx, dyd, xd, beta);
	for (size_t i = 0; i < nx; i++)
		mdx[i] *= fabs(beta);
	ref_gpool_backward(&r, average, mdx, ady, xd, 1.0);
	snprintf(v->path, sizeof(v->path), "%s", fpath);
	snprintf(op, sizeof(op), "pool_general %s forward y", kind);
	if (average) {
		ref_gpool_forward(&r, 1, my, ax);
		t = vf_tol_sum(my, wy, ny, s->kh * s->kw + 1);
		snprintf(bound, sizeof(bound), "8 sqrt(K) u mean|x| + 2u|y|, K=kh*kw+1=%d",
			 s->kh * s->kw + 1);
	} else {
		t = ampcl_xcalloc(ny ? ny : 1, sizeof(double));
		snprintf(bound, sizeof(bound), "exact: a selection");
	}
	if ((st = compare_read(v, &ty, got, "pool_general", op, shape, wy, t, ny, bound)))
		goto out;
	snprintf(v->path, sizeof(v->path), "%s", bpath);
	int over = ((s->kh + s->sh - 1) / s->sh) * ((s->kw + s->sw - 1) / s->sw) + 1;
	free(t);
	t = vf_tol_sum(mdx, wdx, nx, over);
	snprintf(op, sizeof(op), "pool_general %s backward dx", kind);
	snprintf(bound, sizeof(bound), "8 sqrt(K) u sum|dy| + 2u|dx|, K=windows per cell+1=%d",
		 over);
	st = compare_read(v, &tdx, got, "pool_general", op, shape, wdx, t, nx, bound);
out:
	vf_arena_free(&ar);
	VF_FREE_ALL(x, dy, dx0, got, xd, ax, dyd, ady, wy, my, wdx, mdx, t);
	return st;
}

/* Clip: the forward selects (exact, tolerance 0); dx = beta dx0 + dy where lo < y < hi: one
 * rounding, 2u |dx|. x spans a quarter of hi - lo past each bound, so both clip. */
ampcl_status vf_check_clip(struct vf_run *v, size_t count, float lo, float hi, float beta)
{
	int s1[1] = {(int)count};
	float span = (hi - lo) / 4;
	struct vf_arena ar;
	vf_arena_init(&ar, "verify clip");
	struct ampcl_tensor tx = vf_reserve(&ar, 1, s1), ty = vf_reserve(&ar, 1, s1);
	struct ampcl_tensor tdx = vf_reserve(&ar, 1, s1), tdy = vf_reserve(&ar, 1, s1);
	float *x = vf_uniform(v, count, lo - span, hi + span), *dy = vf_uniform(v, count, -1, 1);
	float *dx0 = vf_uniform(v, count, -1, 1), *got = ampcl_xmalloc(count * 4);
	double *xd = vf_to_double(x, count), *dyd = vf_to_double(dy, count);
	double *wy = ampcl_xmalloc(count * 8), *wdx = vf_to_double(dx0, count);
	double *t0 = ampcl_xcalloc(count, 8), *t = NULL;
	char shape[96], fpath[200], bpath[200];
	snprintf(shape, sizeof(shape), "%zu elements, %g..%g%s", count, lo, hi,
		 beta != 0 ? " dx+=" : "");
	ampcl_status st;
	if ((st = vf_arena_commit(v, &ar)) || (st = vf_put(v, &tx, x)) ||
	    (st = vf_put(v, &tdy, dy)) || (st = vf_put(v, &ty, NULL)) ||
	    (st = vf_put(v, &tdx, beta != 0 ? dx0 : NULL)))
		goto out;
	vf_record_start(v);
	if ((st = ampcl_clip_forward(v->ctx, &ty, &tx, lo, hi)) || (st = vf_record_stop(v)))
		goto out;
	snprintf(fpath, sizeof(fpath), "%s", v->path);
	vf_record_start(v);
	if ((st = ampcl_clip_backward(v->ctx, &tdx, &tdy, &ty, lo, hi, beta)) ||
	    (st = vf_record_stop(v)))
		goto out;
	snprintf(bpath, sizeof(bpath), "%s", v->path);
	ref_clip_forward(wy, xd, count, lo, hi);
	ref_clip_backward(wdx, dyd, wy, count, lo, hi, beta);
	snprintf(v->path, sizeof(v->path), "%s", fpath);
	if ((st = compare_read(v, &ty, got, "clip", "clip_forward y", shape, wy, t0, count,
			       "exact: a selection")))
		goto out;
	snprintf(v->path, sizeof(v->path), "%s", bpath);
	t = tol_rounding(wdx, count, 1);
	st = compare_read(v, &tdx, got, "clip", "clip_backward dx", shape, wdx, t, count,
			  "one rounding: 2u|dx|");
out:
	vf_arena_free(&ar);
	VF_FREE_ALL(x, dy, dx0, got, xd, dyd, wy, wdx, t0, t);
	return st;
}

/* Channel concatenation: the forward copies (exact, tolerance 0); each input's gradient is
 * beta dx0 + its channels of dy, one rounding, 2u |dx|; the two inputs with betas of their own
 * (an input feeding other layers too accumulates). */
ampcl_status vf_check_concat(struct vf_run *v, int n, int ca, int cb, int hw, float beta_a,
			     float beta_b)
{
	int cd = ca + cb, as[3] = {n, ca, hw}, bs[3] = {n, cb, hw}, ys[3] = {n, cd, hw};
	size_t na = (size_t)n * ca * hw, nb = (size_t)n * cb * hw, ny = (size_t)n * cd * hw;
	struct vf_arena ar;
	vf_arena_init(&ar, "verify concat");
	struct ampcl_tensor ta = vf_reserve(&ar, 3, as), tb = vf_reserve(&ar, 3, bs);
	struct ampcl_tensor ty = vf_reserve(&ar, 3, ys), tdy = vf_reserve(&ar, 3, ys);
	struct ampcl_tensor tda = vf_reserve(&ar, 3, as), tdb = vf_reserve(&ar, 3, bs);
	float *a = vf_uniform(v, na, -1, 1), *b = vf_uniform(v, nb, -1, 1);
	float *dy = vf_uniform(v, ny, -1, 1), *da0 = vf_uniform(v, na, -1, 1);
	float *db0 = vf_uniform(v, nb, -1, 1), *got = ampcl_xmalloc(ny * 4);
	double *ad = vf_to_double(a, na), *bd = vf_to_double(b, nb), *dyd = vf_to_double(dy, ny);
	double *wy = ampcl_xmalloc(ny * 8), *wda = vf_to_double(da0, na);
	double *wdb = vf_to_double(db0, nb), *t0 = ampcl_xcalloc(ny, 8), *t = NULL;
	char shape[96], fpath[200], bpath[200];
	snprintf(shape, sizeof(shape), "n%d c%d+%d hw%d%s%s", n, ca, cb, hw,
		 beta_a != 0 ? " da+=" : "", beta_b != 0 ? " db+=" : "");
	ampcl_status st;
	if ((st = vf_arena_commit(v, &ar)) || (st = vf_put(v, &ta, a)) ||
	    (st = vf_put(v, &tb, b)) || (st = vf_put(v, &tdy, dy)) || (st = vf_put(v, &ty, NULL)) ||
	    (st = vf_put(v, &tda, beta_a != 0 ? da0 : NULL)) ||
	    (st = vf_put(v, &tdb, beta_b != 0 ? db0 : NULL)))
		goto out;
	vf_record_start(v);
	if ((st = ampcl_concat_forward(v->ctx, &ty, &ta, &tb, n, ca, cb, hw)) ||
	    (st = vf_record_stop(v)))
		goto out;
	snprintf(fpath, sizeof(fpath), "%s", v->path);
	vf_record_start(v);
	if ((st = ampcl_concat_backward(v->ctx, &tda, &tdy, n, ca, cd, 0, hw, beta_a)) ||
	    (st = ampcl_concat_backward(v->ctx, &tdb, &tdy, n, cb, cd, ca, hw, beta_b)) ||
	    (st = vf_record_stop(v)))
		goto out;
	snprintf(bpath, sizeof(bpath), "%s", v->path);
	ref_concat_forward(wy, ad, bd, n, ca, cb, hw);
	ref_concat_backward(wda, dyd, n, ca, cd, 0, hw, beta_a);
	ref_concat_backward(wdb, dyd, n, cb, cd, ca, hw, beta_b);
	snprintf(v->path, sizeof(v->path), "%s", fpath);
	if ((st = compare_read(v, &ty, got, "concat", "concat_forward y", shape, wy, t0, ny,
			       "exact: a copy")))
		goto out;
	snprintf(v->path, sizeof(v->path), "%s", bpath);
	t = tol_rounding(wda, na, 1);
	if ((st = compare_read(v, &tda, got, "concat", "concat_backward da", shape, wda, t, na,
			       "one rounding: 2u|da|")))
		goto out;
	free(t);
	t = tol_rounding(wdb, nb, 1);
	st = compare_read(v, &tdb, got, "concat", "concat_backward db", shape, wdb, t, nb,
			  "one rounding: 2u|db|");
out:
	vf_arena_free(&ar);
	VF_FREE_ALL(a, b, dy, da0, db0, got, ad, bd, dyd, wy, wda, wdb, t0, t);
	return st;
}

/* Channel slice: the forward copies (exact, tolerance 0); dx = beta dx0 + dy at the slice's
 * channels (beta dx0 elsewhere): one rounding, 2u |dx|. */
ampcl_status vf_check_slice(struct vf_run *v, int n, int cd, int cs, int off, int hw, float beta)
{
	int xs[3] = {n, cd, hw}, ys[3] = {n, cs, hw};
	size_t nx = (size_t)n * cd * hw, ny = (size_t)n * cs * hw;
	struct vf_arena ar;
	vf_arena_init(&ar, "verify slice");
	struct ampcl_tensor tx = vf_reserve(&ar, 3, xs), ty = vf_reserve(&ar, 3, ys);
	struct ampcl_tensor tdx = vf_reserve(&ar, 3, xs), tdy = vf_reserve(&ar, 3, ys);
	float *x = vf_uniform(v, nx, -1, 1), *dy = vf_uniform(v, ny, -1, 1);
	float *dx0 = vf_uniform(v, nx, -1, 1), *got = ampcl_xmalloc(nx * 4);
	double *xd = vf_to_double(x, nx), *dyd = vf_to_double(dy, ny);
	double *wy = ampcl_xmalloc(ny * 8), *wdx = vf_to_double(dx0, nx);
	double *t0 = ampcl_xcalloc(ny, 8), *t = NULL;
	char shape[96], fpath[200], bpath[200];
	snprintf(shape, sizeof(shape), "n%d channels %d..%d of %d hw%d%s", n, off, off + cs, cd, hw,
		 beta != 0 ? " dx+=" : "");
	ampcl_status st;
	if ((st = vf_arena_commit(v, &ar)) || (st = vf_put(v, &tx, x)) ||
	    (st = vf_put(v, &tdy, dy)) || (st = vf_put(v, &ty, NULL)) ||
	    (st = vf_put(v, &tdx, beta != 0 ? dx0 : NULL)))
		goto out;
	vf_record_start(v);
	if ((st = ampcl_slice_forward(v->ctx, &ty, &tx, n, cs, cd, off, hw)) ||
	    (st = vf_record_stop(v)))
		goto out;
	snprintf(fpath, sizeof(fpath), "%s", v->path);
	vf_record_start(v);
	if ((st = ampcl_slice_backward(v->ctx, &tdx, &tdy, n, cs, cd, off, hw, beta)) ||
	    (st = vf_record_stop(v)))
		goto out;
	snprintf(bpath, sizeof(bpath), "%s", v->path);
	ref_slice_forward(wy, xd, n, cs, cd, off, hw);
	ref_slice_backward(wdx, dyd, n, cs, cd, off, hw, beta);
	snprintf(v->path, sizeof(v->path), "%s", fpath);
	if ((st = compare_read(v, &ty, got, "slice", "slice_forward y", shape, wy, t0, ny,
			       "exact: a copy")))
		goto out;
	snprintf(v->path, sizeof(v->path), "%s", bpath);
	t = tol_rounding(wdx, nx, 1);
	st = compare_read(v, &tdx, got, "slice", "slice_backward dx", shape, wdx, t, nx,
			  "one rounding: 2u|dx|");
out:
	vf_arena_free(&ar);
	VF_FREE_ALL(x, dy, dx0, got, xd, dyd, wy, wdx, t0, t);
	return st;
}

/* Dropout: the mask is the reference's hash (ref_dropout_keep), so a dropped or kept element
 * the reference disagrees with is off by the whole value. The host rounds scale = 1/(1 - p) in
 * float (1 - p, then the division: two roundings), the kernel y = x scale (a third): 6u |y|;
 * dx = beta dx0 + dy scale adds the sum's rounding: 6u |dy scale| + 2u |dx|. */
ampcl_status vf_check_dropout(struct vf_run *v, size_t count, float ratio, unsigned step,
			      unsigned salt, float beta)
{
	int s1[1] = {(int)count};
	struct ampcl_dropout_draw d = {0x5eed0f00d15ea5e5ull ^ v->rng, step, salt, ratio};
	struct vf_arena ar;
	vf_arena_init(&ar, "verify dropout");
	struct ampcl_tensor tx = vf_reserve(&ar, 1, s1), ty = vf_reserve(&ar, 1, s1);
	struct ampcl_tensor tdx = vf_reserve(&ar, 1, s1), tdy = vf_reserve(&ar, 1, s1);
	float *x = vf_uniform(v, count, -1, 1), *dy = vf_uniform(v, count, -1, 1);
	float *dx0 = vf_uniform(v, count, -1, 1), *got = ampcl_xmalloc(count * 4);
	double *xd = vf_to_double(x, count), *dyd = vf_to_double(dy, count);
	double *wy = ampcl_xmalloc(count * 8), *wdx = vf_to_double(dx0, count);
	double *t = NULL;
	size_t kept = 0;
	char shape[96], bound[96], fpath[200], bpath[200];
	for (size_t i = 0; i < count; i++)
		kept += ref_dropout_keep(d.seed, step, salt, (unsigned)i, ratio);
	snprintf(shape, sizeof(shape), "%zu elements, p %g (%zu kept) step %u salt %u%s", count,
		 ratio, kept, step, salt, beta != 0 ? " dx+=" : "");
	ampcl_status st;
	if ((st = vf_arena_commit(v, &ar)) || (st = vf_put(v, &tx, x)) ||
	    (st = vf_put(v, &tdy, dy)) || (st = vf_put(v, &ty, NULL)) ||
	    (st = vf_put(v, &tdx, beta != 0 ? dx0 : NULL)))
		goto out;
	vf_record_start(v);
	if ((st = ampcl_dropout_forward(v->ctx, &ty, &tx, &d)) || (st = vf_record_stop(v)))
		goto out;
	snprintf(fpath, sizeof(fpath), "%s", v->path);
	vf_record_start(v);
	if ((st = ampcl_dropout_backward(v->ctx, &tdx, &tdy, &d, beta)) || (st = vf_record_stop(v)))
		goto out;
	snprintf(bpath, sizeof(bpath), "%s", v->path);
	ref_dropout_forward(wy, xd, count, d.seed, step, salt, ratio);
	ref_dropout_backward(wdx, dyd, count, d.seed, step, salt, ratio, beta);
	snprintf(v->path, sizeof(v->path), "%s", fpath);
	t = tol_rounding(wy, count, 3);
	snprintf(bound, sizeof(bound), "the reference's mask; 3 roundings: 6u|y|");
	if ((st = compare_read(v, &ty, got, "dropout", "dropout_forward y", shape, wy, t, count,
			       bound)))
		goto out;
	snprintf(v->path, sizeof(v->path), "%s", bpath);
	for (size_t i = 0; i < count; i++)
		t[i] = 6 * U * fabs(wdx[i] - beta * dx0[i]) + 2 * U * fabs(wdx[i]);
	st = compare_read(v, &tdx, got, "dropout", "dropout_backward dx", shape, wdx, t, count,
			  "the reference's mask; 6u|dy scale| + 2u|dx|");
out:
	vf_arena_free(&ar);
	VF_FREE_ALL(x, dy, dx0, got, xd, dyd, wy, wdx, t);
	return st;
}
