/* verify_layers.c: the checks of the ops that are not products: batch norm (training forward
 * with its statistics, evaluation forward, backward sums), pools, ReLU, the residual add, the
 * loss, amplification and SGD, each tolerance derived next to it from float32 rounding. */
#include "verify_ops.h"
#include "alloc.h"
#include "bn.h"
#include "eltwise.h"
#include "loss.h"
#include "pool.h"
#include "ref.h"
#include "relu.h"
#include "sgd.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define U VF_U
#define LAMBDA VF_LAMBDA

#define FREE_ALL VF_FREE_ALL

/*
 * Batch norm over cnt = n*hw values per channel, x in [-1, 2) (a mean away from zero, so a
 * variance computed as E[x^2] - mean^2 cancels). Per channel:
 *   mean: a sum of cnt terms, e_mu = 8 sqrt(cnt) u mean|x| + u|mu|;
 *   var: relative error r_var = 8 sqrt(cnt) u E[x^2]/var (the cancellation of the one-pass
 *     form; two-pass and chunked Welford forms do better) + 4u;
 *   invstd = 1/sqrt(var + eps): r_inv = r_var/2 + 12u (OpenCL's sqrt 3 ulp, division 2.5,
 *     rsqrt 2; an ulp is 2u);
 *   y = gamma (x - mu) invstd + beta: |gamma| (e_mu invstd + |xhat| r_inv + 4u (|x| + |mu|)
 *     invstd) + 4u (|gamma xhat| + |beta|).
 * Running statistics (1 - m) run + m stat add m times the statistic's error and 4u of each term.
 * Evaluation: gamma (x - rm) rsqrt(rv + eps) + beta: 16u (|gamma| (|x| + |rm|) inv + |beta|).
 * Backward, from the saved mean and invstd: mean(dy) and mean(dy xhat) are sums of cnt terms
 * (e_mdy, e_mdyx as e_mu), xhat is off by 4u (|x| + |mu|) invstd, and dx = gamma invstd (dy -
 * mean(dy) - xhat mean(dy xhat)) adds 6u of each term; dgamma and dbeta are sums of cnt terms.
 */
ampcl_status vf_check_bn(struct vf_run *v, int n, int c, int hw, float beta)
{
	size_t nx = (size_t)n * c * hw, cnt = (size_t)n * hw;
	const float mom = 0.1f, eps = 1e-5f;
	int xs[3] = {n, c, hw}, cs[1] = {c};
	struct vf_arena ar;
	vf_arena_init(&ar, "verify bn");
	struct ampcl_tensor tx = vf_reserve(&ar, 3, xs), ty = vf_reserve(&ar, 3, xs);
	struct ampcl_tensor tdy = vf_reserve(&ar, 3, xs), tdx = vf_reserve(&ar, 3, xs);
	struct ampcl_tensor tg = vf_reserve(&ar, 1, cs), tb = vf_reserve(&ar, 1, cs);
	struct ampcl_tensor tsm = vf_reserve(&ar, 1, cs), tsi = vf_reserve(&ar, 1, cs);
	struct ampcl_tensor trm = vf_reserve(&ar, 1, cs), trv = vf_reserve(&ar, 1, cs);
	struct ampcl_tensor tdg = vf_reserve(&ar, 1, cs), tdb = vf_reserve(&ar, 1, cs);
	float *x = vf_uniform(v, nx, -1, 2), *dy = vf_uniform(v, nx, -1, 1);
	float *dx0 = vf_uniform(v, nx, -1, 1), *g = vf_uniform(v, c, 0.5f, 1.5f);
	float *bp = vf_uniform(v, c, -0.5f, 0.5f), *rm = vf_uniform(v, c, -0.2f, 0.2f);
	float *rv = vf_uniform(v, c, 0.5f, 1.5f), *dg0 = vf_uniform(v, c, -1, 1);
	float *db0 = vf_uniform(v, c, -1, 1);
	float *gy = ampcl_xmalloc(nx * 4), *gdx = ampcl_xmalloc(nx * 4), *gc = ampcl_xmalloc(c * 4);
	double *xd = vf_to_double(x, nx), *dyd = vf_to_double(dy, nx), *gd = vf_to_double(g, c);
	double *bd = vf_to_double(bp, c), *wy = ampcl_xmalloc(nx * 8), *wsm = ampcl_xmalloc(c * 8);
	double *wsi = ampcl_xmalloc(c * 8), *wrm = vf_to_double(rm, c), *wrv = vf_to_double(rv, c);
	double *wdx = vf_to_double(dx0, nx), *wdg = vf_to_double(dg0, c);
	double *wdb = vf_to_double(db0, c), *tol = ampcl_xmalloc(nx * 8);
	double *tc = ampcl_xmalloc(c * 8), *ty2 = ampcl_xmalloc(nx * 8);
	float *fsm = ampcl_xmalloc(c * 4), *fsi = ampcl_xmalloc(c * 4);
	char shape[96], bound[96], path_train[200], path_eval[200];
	snprintf(shape, sizeof(shape), "n%d c%d hw%d%s", n, c, hw, beta != 0 ? " dx+=" : "");
	struct ampcl_bn_shape bs = {n, c, hw};
	ampcl_status st;
	if ((st = vf_arena_commit(v, &ar)) || (st = vf_put(v, &tx, x)) ||
	    (st = vf_put(v, &tg, g)) || (st = vf_put(v, &tb, bp)) || (st = vf_put(v, &trm, rm)) ||
	    (st = vf_put(v, &trv, rv)) || (st = vf_put(v, &ty, NULL)) ||
	    (st = vf_put(v, &tsm, NULL)) || (st = vf_put(v, &tsi, NULL)))
		goto out;
	/* training forward */
	vf_record_start(v);
	if ((st = ampcl_bn_forward_train(v->ctx, &bs, &ty, &tsm, &tsi, &trm, &trv, &tx, &tg, &tb,
					 mom, eps)) ||
	    (st = vf_record_stop(v)) || (st = ampcl_tensor_read(v->ctx, &ty, gy)))
		goto out;
	snprintf(path_train, sizeof(path_train), "%s", v->path);
	ref_bn_forward_train(wy, wsm, wsi, wrm, wrv, xd, gd, bd, n, c, hw, mom, eps);
	double *e_mu = ampcl_xmalloc(c * 8), *r_var = ampcl_xmalloc(c * 8);
	double *r_inv = ampcl_xmalloc(c * 8), *var = ampcl_xmalloc(c * 8);
	for (int ch = 0; ch < c; ch++) {
		double sa = 0, s2 = 0, mu = wsm[ch];
		for (int i = 0; i < n; i++)
			for (int j = 0; j < hw; j++) {
				double xv = xd[((size_t)i * c + ch) * hw + j];
				sa += fabs(xv);
				s2 += xv * xv;
			}
		var[ch] = 1.0 / (wsi[ch] * wsi[ch]) - eps;
		e_mu[ch] = LAMBDA * sqrt((double)cnt) * U * sa / cnt + U * fabs(mu);
		r_var[ch] =
		    LAMBDA * sqrt((double)cnt) * U * (s2 / cnt) / fmax(var[ch], 1e-30) + 4 * U;
		r_inv[ch] = r_var[ch] / 2 + 12 * U;
	}
	for (int i = 0; i < n; i++)
		for (int ch = 0; ch < c; ch++)
			for (int j = 0; j < hw; j++) {
				size_t e = ((size_t)i * c + ch) * hw + j;
				double inv = wsi[ch], xh = (xd[e] - wsm[ch]) * inv;
				tol[e] =
				    fabs(gd[ch]) * (e_mu[ch] * inv + fabs(xh) * r_inv[ch] +
						    4 * U * (fabs(xd[e]) + fabs(wsm[ch])) * inv) +
				    4 * U * (fabs(gd[ch] * xh) + fabs(bd[ch]));
			}
	snprintf(bound, sizeof(bound), "sums of %zu: 8 sqrt(cnt) u, var E[x2]/var, invstd 12u",
		 cnt);
	vf_compare(v, "bn_forward", "bn_forward_train y", shape, gy, wy, tol, nx, bound);
	if ((st = ampcl_tensor_read(v->ctx, &tsm, gc)))
		goto out_stats;
	vf_compare(v, "bn_forward", "bn_forward_train mean", shape, gc, wsm, e_mu, c,
		   "8 sqrt(cnt) u mean|x| + u|mean|");
	if ((st = ampcl_tensor_read(v->ctx, &tsi, gc)))
		goto out_stats;
	for (int ch = 0; ch < c; ch++)
		tc[ch] = r_inv[ch] * wsi[ch];
	vf_compare(v, "bn_forward", "bn_forward_train invstd", shape, gc, wsi, tc, c,
		   "r_var/2 + 12u relative");
	if ((st = ampcl_tensor_read(v->ctx, &trm, gc)))
		goto out_stats;
	for (int ch = 0; ch < c; ch++)
		tc[ch] = mom * e_mu[ch] + 4 * U * (fabs((1 - mom) * rm[ch]) + fabs(mom * wsm[ch]));
	vf_compare(v, "bn_forward", "bn_forward_train running_mean", shape, gc, wrm, tc, c,
		   "m e_mu + 4u per term");
	if ((st = ampcl_tensor_read(v->ctx, &trv, gc)))
		goto out_stats;
	for (int ch = 0; ch < c; ch++) {
		double unb = cnt > 1 ? var[ch] * cnt / (cnt - 1) : var[ch];
		tc[ch] = mom * unb * (r_var[ch] + 2 * U) +
			 4 * U * (fabs((1 - mom) * rv[ch]) + mom * unb);
	}
	vf_compare(v, "bn_forward", "bn_forward_train running_var", shape, gc, wrv, tc, c,
		   "m var r_var + 4u per term");

	/* evaluation forward, with the running statistics the device just wrote */
	float *frm = ampcl_xmalloc(c * 4), *frv = ampcl_xmalloc(c * 4);
	if ((st = ampcl_tensor_read(v->ctx, &trm, frm)) ||
	    (st = ampcl_tensor_read(v->ctx, &trv, frv)) || (st = vf_put(v, &ty, NULL))) {
		FREE_ALL(frm, frv);
		goto out_stats;
	}
	vf_record_start(v);
	if ((st = ampcl_bn_forward_eval(v->ctx, &bs, &ty, &tx, &tg, &tb, &trm, &trv, eps)) ||
	    (st = vf_record_stop(v)) || (st = ampcl_tensor_read(v->ctx, &ty, gy))) {
		FREE_ALL(frm, frv);
		goto out_stats;
	}
	snprintf(path_eval, sizeof(path_eval), "%s", v->path);
	{
		double *drm = vf_to_double(frm, c), *drv = vf_to_double(frv, c);
		ref_bn_forward_eval(ty2, xd, gd, bd, drm, drv, n, c, hw, eps);
		for (int i = 0; i < n; i++)
			for (int ch = 0; ch < c; ch++)
				for (int j = 0; j < hw; j++) {
					size_t e = ((size_t)i * c + ch) * hw + j;
					double inv = 1 / sqrt(drv[ch] + eps);
					tol[e] =
					    16 * U *
					    (fabs(gd[ch]) * (fabs(xd[e]) + fabs(drm[ch])) * inv +
					     fabs(bd[ch]));
				}
		vf_compare(v, "bn_eval", "bn_forward_eval y", shape, gy, ty2, tol, nx,
			   "16u (|gamma| (|x| + |rm|) invstd + |beta|)");
		FREE_ALL(drm, drv);
	}
	FREE_ALL(frm, frv);

	/* backward from the reference's saved statistics, rounded to float as a forward saves */
	for (int ch = 0; ch < c; ch++) {
		fsm[ch] = (float)wsm[ch];
		fsi[ch] = (float)wsi[ch];
		wsm[ch] = fsm[ch];
		wsi[ch] = fsi[ch];
	}
	if ((st = vf_put(v, &tsm, fsm)) || (st = vf_put(v, &tsi, fsi)) ||
	    (st = vf_put(v, &tdy, dy)) || (st = vf_put(v, &tdx, beta != 0 ? dx0 : NULL)) ||
	    (st = vf_put(v, &tdg, dg0)) || (st = vf_put(v, &tdb, db0)))
		goto out_stats;
	vf_record_start(v);
	if ((st = ampcl_bn_backward(v->ctx, &bs, &tdx, &tdg, &tdb, &tdy, &tx, &tsm, &tsi, &tg,
				    beta)) ||
	    (st = vf_record_stop(v)) || (st = ampcl_tensor_read(v->ctx, &tdx, gdx)))
		goto out_stats;
	ref_bn_backward(wdx, wdg, wdb, dyd, xd, wsm, wsi, gd, n, c, hw, beta);
	{
		double *mdy = ampcl_xcalloc(c, 8), *mdyx = ampcl_xcalloc(c, 8);
		double *sady = ampcl_xcalloc(c, 8), *sadyx = ampcl_xcalloc(c, 8);
		for (int i = 0; i < n; i++)
			for (int ch = 0; ch < c; ch++)
				for (int j = 0; j < hw; j++) {
					size_t e = ((size_t)i * c + ch) * hw + j;
					double inv = wsi[ch], xh = (xd[e] - wsm[ch]) * inv;
					mdy[ch] += dyd[e] / cnt;
					mdyx[ch] += dyd[e] * xh / cnt;
					sady[ch] += fabs(dyd[e]);
					sadyx[ch] +=
					    fabs(dyd[e]) *
					    (fabs(xh) + (fabs(xd[e]) + fabs(wsm[ch])) * inv);
				}
		double k = LAMBDA * sqrt((double)cnt) + 8;
		for (int i = 0; i < n; i++)
			for (int ch = 0; ch < c; ch++)
				for (int j = 0; j < hw; j++) {
					size_t e = ((size_t)i * c + ch) * hw + j;
					double inv = wsi[ch], xh = (xd[e] - wsm[ch]) * inv;
					double e_mdy = k * U * sady[ch] / cnt;
					double e_mdyx = k * U * sadyx[ch] / cnt;
					double exh = 4 * U * (fabs(xd[e]) + fabs(wsm[ch])) * inv;
					tol[e] =
					    fabs(gd[ch]) * inv *
						(6 * U *
						     (fabs(dyd[e]) + fabs(mdy[ch]) +
						      fabs(xh * mdyx[ch])) +
						 e_mdy + fabs(xh) * e_mdyx + exh * fabs(mdyx[ch])) +
					    2 * U * (fabs(beta * dx0[e]) + fabs(wdx[e]));
				}
		snprintf(bound, sizeof(bound), "sums of %zu: 8 sqrt(cnt) u; 6u per term of dx",
			 cnt);
		vf_compare(v, "bn_backward", "bn_backward dx", shape, gdx, wdx, tol, nx, bound);
		if (!(st = ampcl_tensor_read(v->ctx, &tdg, gc))) {
			for (int ch = 0; ch < c; ch++)
				tc[ch] =
				    k * U * sadyx[ch] + 2 * U * (fabs(dg0[ch]) + fabs(wdg[ch]));
			vf_compare(v, "bn_backward", "bn_backward dgamma", shape, gc, wdg, tc, c,
				   "(8 sqrt(cnt) + 8) u sum|dy xhat| + 2u");
		}
		if (!st && !(st = ampcl_tensor_read(v->ctx, &tdb, gc))) {
			for (int ch = 0; ch < c; ch++)
				tc[ch] = k * U * sady[ch] + 2 * U * (fabs(db0[ch]) + fabs(wdb[ch]));
			vf_compare(v, "bn_backward", "bn_backward dbeta", shape, gc, wdb, tc, c,
				   "(8 sqrt(cnt) + 8) u sum|dy| + 2u");
		}
		FREE_ALL(mdy, mdyx, sady, sadyx);
	}
	(void)path_train;
	(void)path_eval;
out_stats:
	FREE_ALL(e_mu, r_var, r_inv, var);
out:
	vf_arena_free(&ar);
	FREE_ALL(x, dy, dx0, g, bp, rm, rv, dg0, db0, gy, gdx, gc, xd, dyd, gd, bd, wy, wsm, wsi,
		 wrm, wrv, wdx, wdg, wdb, tol, tc, ty2, fsm, fsi);
	return st;
}

/* Max-pool picks values: the forward is exact (tolerance 0); each dx element takes one dy at
 * most, dx = beta dx0 + dy, one rounding. One rounding is allowed an ulp, 2u |result|, here and
 * below: round-to-nearest gives half of that, a faithful rounding (FTZ neighbours, an embedded
 * profile's round-to-zero) the whole, and a wrong operand far more. */
ampcl_status vf_check_maxpool(struct vf_run *v, int n, int c, int h, int w, float beta)
{
	int p = h / 2, q = w / 2;
	size_t nx = (size_t)n * c * h * w, ny = (size_t)n * c * p * q;
	int xs[4] = {n, c, h, w}, ys[4] = {n, c, p, q};
	struct vf_arena ar;
	vf_arena_init(&ar, "verify maxpool");
	struct ampcl_tensor tx = vf_reserve(&ar, 4, xs), ty = vf_reserve(&ar, 4, ys);
	struct ampcl_tensor tdx = vf_reserve(&ar, 4, xs), tdy = vf_reserve(&ar, 4, ys);
	float *x = vf_uniform(v, nx, -1, 1), *dy = vf_uniform(v, ny, -1, 1);
	float *dx0 = vf_uniform(v, nx, -1, 1);
	float *gy = ampcl_xmalloc(ny * 4), *gdx = ampcl_xmalloc(nx * 4);
	double *xd = vf_to_double(x, nx), *dyd = vf_to_double(dy, ny), *wy = ampcl_xmalloc(ny * 8);
	double *wdx = vf_to_double(dx0, nx), *tol = ampcl_xcalloc(nx, 8);
	char shape[96], fpath[200];
	snprintf(shape, sizeof(shape), "n%d c%d %dx%d%s", n, c, h, w, beta != 0 ? " dx+=" : "");
	ampcl_status st;
	if ((st = vf_arena_commit(v, &ar)) || (st = vf_put(v, &tx, x)) ||
	    (st = vf_put(v, &tdy, dy)) || (st = vf_put(v, &ty, NULL)) ||
	    (st = vf_put(v, &tdx, beta != 0 ? dx0 : NULL)))
		goto out;
	vf_record_start(v);
	if ((st = ampcl_maxpool2_forward(v->ctx, &ty, &tx)) || (st = vf_record_stop(v)))
		goto out;
	snprintf(fpath, sizeof(fpath), "%s", v->path);
	vf_record_start(v);
	if ((st = ampcl_maxpool2_backward(v->ctx, &tdx, &tdy, &tx, beta)) ||
	    (st = vf_record_stop(v)) || (st = ampcl_tensor_read(v->ctx, &ty, gy)) ||
	    (st = ampcl_tensor_read(v->ctx, &tdx, gdx)))
		goto out;
	ref_maxpool2_forward(wy, xd, n, c, h, w);
	ref_maxpool2_backward(wdx, dyd, xd, n, c, h, w, beta);
	char bpath[200];
	snprintf(bpath, sizeof(bpath), "%s", v->path);
	snprintf(v->path, sizeof(v->path), "%s", fpath);
	vf_compare(v, "maxpool", "maxpool2_forward y", shape, gy, wy, tol, ny,
		   "exact: a selection");
	snprintf(v->path, sizeof(v->path), "%s", bpath);
	for (size_t i = 0; i < nx; i++)
		tol[i] = 2 * U * fabs(wdx[i]);
	vf_compare(v, "maxpool", "maxpool2_backward dx", shape, gdx, wdx, tol, nx,
		   "one rounding: 2u|dx|");
out:
	vf_arena_free(&ar);
	FREE_ALL(x, dy, dx0, gy, gdx, xd, dyd, wy, wdx, tol);
	return st;
}

/* Average pool: y is a sum of h*w terms over h*w (vf_tol_sum with K = h*w + 1); dx = beta dx0 +
 * dy/(h*w): two roundings, 2u of each term plus 2u |dx|. */
ampcl_status vf_check_avgpool(struct vf_run *v, int n, int c, int h, int w, float beta)
{
	size_t hw = (size_t)h * w, nx = (size_t)n * c * hw, ny = (size_t)n * c;
	int xs[4] = {n, c, h, w}, ys[2] = {n, c};
	struct vf_arena ar;
	vf_arena_init(&ar, "verify avgpool");
	struct ampcl_tensor tx = vf_reserve(&ar, 4, xs), ty = vf_reserve(&ar, 2, ys);
	struct ampcl_tensor tdx = vf_reserve(&ar, 4, xs), tdy = vf_reserve(&ar, 2, ys);
	float *x = vf_uniform(v, nx, -1, 1), *dy = vf_uniform(v, ny, -1, 1);
	float *dx0 = vf_uniform(v, nx, -1, 1);
	float *gy = ampcl_xmalloc(ny * 4), *gdx = ampcl_xmalloc(nx * 4);
	double *xd = vf_to_double(x, nx), *dyd = vf_to_double(dy, ny), *wy = ampcl_xmalloc(ny * 8);
	double *my = ampcl_xmalloc(ny * 8), *ax = vf_abs(xd, nx);
	double *wdx = vf_to_double(dx0, nx), *tol = ampcl_xcalloc(nx, 8), *ytol = NULL;
	char shape[96], bound[96], fpath[200], bpath[200];
	snprintf(shape, sizeof(shape), "n%d c%d %dx%d%s", n, c, h, w, beta != 0 ? " dx+=" : "");
	ampcl_status st;
	if ((st = vf_arena_commit(v, &ar)) || (st = vf_put(v, &tx, x)) ||
	    (st = vf_put(v, &tdy, dy)) || (st = vf_put(v, &ty, NULL)) ||
	    (st = vf_put(v, &tdx, beta != 0 ? dx0 : NULL)))
		goto out;
	vf_record_start(v);
	if ((st = ampcl_avgpool_forward(v->ctx, &ty, &tx)) || (st = vf_record_stop(v)))
		goto out;
	snprintf(fpath, sizeof(fpath), "%s", v->path);
	vf_record_start(v);
	if ((st = ampcl_avgpool_backward(v->ctx, &tdx, &tdy, beta)) || (st = vf_record_stop(v)) ||
	    (st = ampcl_tensor_read(v->ctx, &ty, gy)) ||
	    (st = ampcl_tensor_read(v->ctx, &tdx, gdx)))
		goto out;
	snprintf(bpath, sizeof(bpath), "%s", v->path);
	ref_avgpool_forward(wy, xd, n, c, (int)hw);
	ref_avgpool_forward(my, ax, n, c, (int)hw);
	ref_avgpool_backward(wdx, dyd, n, c, (int)hw, beta);
	snprintf(v->path, sizeof(v->path), "%s", fpath);
	ytol = vf_tol_sum(my, wy, ny, (double)hw + 1);
	snprintf(bound, sizeof(bound), "8 sqrt(K) u mean|x| + 2u|y|, K=h*w+1=%zu", hw + 1);
	vf_compare(v, "avgpool", "avgpool_forward y", shape, gy, wy, ytol, ny, bound);
	snprintf(v->path, sizeof(v->path), "%s", bpath);
	for (size_t i = 0; i < nx; i++)
		tol[i] =
		    2 * U * (fabs(beta * dx0[i]) + fabs(dyd[i / hw]) / hw) + 2 * U * fabs(wdx[i]);
	vf_compare(v, "avgpool", "avgpool_backward dx", shape, gdx, wdx, tol, nx,
		   "two roundings: 2u per term + 2u|dx|");
out:
	vf_arena_free(&ar);
	FREE_ALL(x, dy, dx0, gy, gdx, xd, dyd, wy, my, ax, wdx, tol, ytol);
	return st;
}

/* ReLU: the forward selects (exact, tolerance 0); dx = beta dx0 + dy where y > 0: one rounding,
 * 2u |dx|. */
ampcl_status vf_check_relu(struct vf_run *v, size_t count, float beta)
{
	int s1[1] = {(int)count};
	struct vf_arena ar;
	vf_arena_init(&ar, "verify relu");
	struct ampcl_tensor tx = vf_reserve(&ar, 1, s1), ty = vf_reserve(&ar, 1, s1);
	struct ampcl_tensor tdx = vf_reserve(&ar, 1, s1), tdy = vf_reserve(&ar, 1, s1);
	float *x = vf_uniform(v, count, -1, 1), *dy = vf_uniform(v, count, -1, 1);
	float *dx0 = vf_uniform(v, count, -1, 1);
	float *gy = ampcl_xmalloc(count * 4), *gdx = ampcl_xmalloc(count * 4);
	double *xd = vf_to_double(x, count), *dyd = vf_to_double(dy, count);
	double *wy = ampcl_xmalloc(count * 8), *wdx = vf_to_double(dx0, count);
	double *tol = ampcl_xcalloc(count, 8);
	char shape[96], fpath[200];
	snprintf(shape, sizeof(shape), "%zu elements%s", count, beta != 0 ? " dx+=" : "");
	ampcl_status st;
	if ((st = vf_arena_commit(v, &ar)) || (st = vf_put(v, &tx, x)) ||
	    (st = vf_put(v, &tdy, dy)) || (st = vf_put(v, &ty, NULL)) ||
	    (st = vf_put(v, &tdx, beta != 0 ? dx0 : NULL)))
		goto out;
	vf_record_start(v);
	if ((st = ampcl_relu_forward(v->ctx, &ty, &tx)) || (st = vf_record_stop(v)))
		goto out;
	snprintf(fpath, sizeof(fpath), "%s", v->path);
	vf_record_start(v);
	if ((st = ampcl_relu_backward(v->ctx, &tdx, &tdy, &ty, beta)) || (st = vf_record_stop(v)) ||
	    (st = ampcl_tensor_read(v->ctx, &ty, gy)) ||
	    (st = ampcl_tensor_read(v->ctx, &tdx, gdx)))
		goto out;
	ref_relu_forward(wy, xd, count);
	ref_relu_backward(wdx, dyd, wy, count, beta);
	char bpath[200];
	snprintf(bpath, sizeof(bpath), "%s", v->path);
	snprintf(v->path, sizeof(v->path), "%s", fpath);
	vf_compare(v, "relu", "relu_forward y", shape, gy, wy, tol, count, "exact: a selection");
	snprintf(v->path, sizeof(v->path), "%s", bpath);
	for (size_t i = 0; i < count; i++)
		tol[i] = 2 * U * fabs(wdx[i]);
	vf_compare(v, "relu", "relu_backward dx", shape, gdx, wdx, tol, count,
		   "one rounding: 2u|dx|");
out:
	vf_arena_free(&ar);
	FREE_ALL(x, dy, dx0, gy, gdx, xd, dyd, wy, wdx, tol);
	return st;
}

/* The residual join: y = a + b and dx = beta dx0 + dy, each one rounded addition: 2u |result|. */
ampcl_status vf_check_add(struct vf_run *v, size_t count, float beta)
{
	int s1[1] = {(int)count};
	struct vf_arena ar;
	vf_arena_init(&ar, "verify add");
	struct ampcl_tensor ta = vf_reserve(&ar, 1, s1), tb = vf_reserve(&ar, 1, s1);
	struct ampcl_tensor ty = vf_reserve(&ar, 1, s1), tdx = vf_reserve(&ar, 1, s1);
	float *a = vf_uniform(v, count, -1, 1), *b = vf_uniform(v, count, -1, 1);
	float *dx0 = vf_uniform(v, count, -1, 1);
	float *gy = ampcl_xmalloc(count * 4), *gdx = ampcl_xmalloc(count * 4);
	double *ad = vf_to_double(a, count), *bd = vf_to_double(b, count);
	double *wy = ampcl_xmalloc(count * 8), *wdx = vf_to_double(dx0, count);
	double *tol = ampcl_xcalloc(count, 8);
	char shape[96], fpath[200];
	snprintf(shape, sizeof(shape), "%zu elements%s", count, beta != 0 ? " dx+=" : "");
	ampcl_status st;
	if ((st = vf_arena_commit(v, &ar)) || (st = vf_put(v, &ta, a)) ||
	    (st = vf_put(v, &tb, b)) || (st = vf_put(v, &ty, NULL)) ||
	    (st = vf_put(v, &tdx, beta != 0 ? dx0 : NULL)))
		goto out;
	vf_record_start(v);
	if ((st = ampcl_add_forward(v->ctx, &ty, &ta, &tb)) || (st = vf_record_stop(v)))
		goto out;
	snprintf(fpath, sizeof(fpath), "%s", v->path);
	vf_record_start(v);
	if ((st = ampcl_add_backward(v->ctx, &tdx, &tb, beta)) || (st = vf_record_stop(v)) ||
	    (st = ampcl_tensor_read(v->ctx, &ty, gy)) ||
	    (st = ampcl_tensor_read(v->ctx, &tdx, gdx)))
		goto out;
	ref_add_forward(wy, ad, bd, count);
	for (size_t i = 0; i < count; i++) {
		wdx[i] = beta * wdx[i] + bd[i];
		tol[i] = 2 * U * fabs(wy[i]);
	}
	char bpath[200];
	snprintf(bpath, sizeof(bpath), "%s", v->path);
	snprintf(v->path, sizeof(v->path), "%s", fpath);
	vf_compare(v, "add", "add_forward y", shape, gy, wy, tol, count, "one rounding: 2u|y|");
	snprintf(v->path, sizeof(v->path), "%s", bpath);
	for (size_t i = 0; i < count; i++)
		tol[i] = 2 * U * fabs(wdx[i]);
	vf_compare(v, "add", "add_backward dx", shape, gdx, wdx, tol, count,
		   "one rounding: 2u|dx|");
out:
	vf_arena_free(&ar);
	FREE_ALL(a, b, dx0, gy, gdx, ad, bd, wy, wdx, tol);
	return st;
}

/*
 * Softmax cross-entropy of n rows of k logits in [-4, 4). Per row, p_j = exp(x_j - max) / S:
 * x_j - max rounds (u |x_j - max| relative in exp), exp is within 3 ulp (6u), S a sum of k
 * terms (8 sqrt(k) u): dlogits_j = (p_j - onehot)/n is off by (8 sqrt(k) + 8 + 2|x_j - max|)
 * u p_j / n + 2u |dlogits_j|. The loss is the mean of log S - (x_label - max): log within 3 ulp,
 * so each row is off by r_S + 6u (|log S| + |x_label - max|), and the mean of n adds 8 sqrt(n) u
 * mean |row|. The correct count must match, except for rows whose two largest logits are closer
 * than the logits' own rounding (none with these inputs, in practice).
 */
ampcl_status vf_check_loss(struct vf_run *v, int n, int k)
{
	size_t nl = (size_t)n * k;
	int ls[2] = {n, k}, ss[1] = {2}, ns[1] = {n};
	struct vf_arena ar;
	vf_arena_init(&ar, "verify loss");
	struct ampcl_tensor tl = vf_reserve(&ar, 2, ls), tdl = vf_reserve(&ar, 2, ls);
	struct ampcl_tensor tst = vf_reserve(&ar, 1, ss), tlab = vf_reserve(&ar, 1, ns);
	float *x = vf_uniform(v, nl, -4, 4), *lf = ampcl_xmalloc(n * 4);
	int *lab = ampcl_xmalloc(n * sizeof(int));
	float *gdl = ampcl_xmalloc(nl * 4), gst[2];
	double *xd = vf_to_double(x, nl), *wdl = ampcl_xmalloc(nl * 8),
	       *tol = ampcl_xmalloc(nl * 8);
	float *r = vf_uniform(v, n, 0, (float)k);
	for (int i = 0; i < n; i++) {
		lab[i] = (int)r[i] < k ? (int)r[i] : k - 1;
		memcpy(&lf[i], &lab[i], 4);
	}
	char shape[96];
	snprintf(shape, sizeof(shape), "n%d k%d", n, k);
	ampcl_status st;
	if ((st = vf_arena_commit(v, &ar)) || (st = vf_put(v, &tl, x)) ||
	    (st = vf_put(v, &tlab, lf)) || (st = vf_put(v, &tdl, NULL)) ||
	    (st = vf_put(v, &tst, NULL)))
		goto out;
	vf_record_start(v);
	if ((st = ampcl_softmax_ce(v->ctx, &tdl, &tst, &tl, ampcl_tensor_mem(&tlab),
				   ampcl_tensor_off(&tlab), n, k)) ||
	    (st = vf_record_stop(v)) || (st = ampcl_tensor_read(v->ctx, &tdl, gdl)) ||
	    (st = ampcl_tensor_read(v->ctx, &tst, gst)))
		goto out;
	int correct = 0;
	double loss = ref_softmax_ce(wdl, &correct, xd, lab, n, k);
	double tl_sum = 0, rows_abs = 0;
	int ties = 0;
	for (int i = 0; i < n; i++) {
		const double *row = xd + (size_t)i * k;
		double mx = -INFINITY, second = -INFINITY, s = 0;
		for (int j = 0; j < k; j++) {
			if (row[j] > mx)
				second = mx, mx = row[j];
			else if (row[j] > second)
				second = row[j];
		}
		for (int j = 0; j < k; j++)
			s += exp(row[j] - mx);
		ties += k > 1 && mx - second < 16 * U * fabs(mx);
		double r_s = (LAMBDA * sqrt((double)k) + 8) * U;
		double lrow = log(s) - (row[lab[i]] - mx);
		tl_sum += r_s + 6 * U * (fabs(log(s)) + fabs(row[lab[i]] - mx));
		rows_abs += fabs(lrow);
		for (int j = 0; j < k; j++) {
			double p = exp(row[j] - mx) / s;
			tol[(size_t)i * k + j] =
			    (LAMBDA * sqrt((double)k) + 8 + 2 * fabs(row[j] - mx)) * U * p / n +
			    2 * U * fabs(wdl[(size_t)i * k + j]);
		}
	}
	vf_compare(v, "loss", "softmax_ce dlogits", shape, gdl, wdl, tol, nl,
		   "(8 sqrt(k) + 8 + 2|x-max|) u p/n + 2u");
	double tloss =
	    tl_sum / n + LAMBDA * sqrt((double)n) * U * rows_abs / n + 2 * U * fabs(loss);
	float gl = gst[0];
	if (vf_broken(v, "loss"))
		gl =
		    (float)(gl + 3 * tloss) != gl ? (float)(gl + 3 * tloss) : nextafterf(gl, 1e30f);
	vf_result(v, "loss", "softmax_ce mean loss", shape, fabs(gl - loss), tloss,
		  fabs(gl - loss) / fmax(fabs(loss), 1e-30),
		  "per row r_S + 6u terms, mean 8 sqrt(n) u");
	double dc = fabs((double)gst[1] - correct);
	vf_result(v, "loss", "softmax_ce correct count", shape, dc, ties, dc / fmax(correct, 1),
		  "exact, but for near-tied rows");
out:
	vf_arena_free(&ar);
	FREE_ALL(x, lf, lab, gdl, xd, wdl, tol, r);
	return st;
}

/* Amplification g *= factor: one rounded product, 2u |g factor|; factor 1 must leave every bit as
 * it was (docs/design.md), tolerance 0. */
ampcl_status vf_check_amplify(struct vf_run *v, size_t count, float factor)
{
	int s1[1] = {(int)count};
	struct vf_arena ar;
	vf_arena_init(&ar, "verify amplify");
	struct ampcl_tensor tg = vf_reserve(&ar, 1, s1);
	float *g = vf_uniform(v, count, -1, 1), *got = ampcl_xmalloc(count * 4);
	double *want = vf_to_double(g, count), *tol = ampcl_xmalloc(count * 8);
	char shape[96];
	snprintf(shape, sizeof(shape), "%zu elements, factor %g", count, factor);
	ampcl_status st;
	if ((st = vf_arena_commit(v, &ar)) || (st = vf_put(v, &tg, g)))
		goto out;
	vf_record_start(v);
	if ((st = ampcl_amplify(v->ctx, &tg, factor)) || (st = vf_record_stop(v)) ||
	    (st = ampcl_tensor_read(v->ctx, &tg, got)))
		goto out;
	ref_scale_inplace(want, count, factor);
	for (size_t i = 0; i < count; i++)
		tol[i] = factor == 1.0f ? 0 : 2 * U * fabs(want[i]);
	vf_compare(v, "amplify", "amplify g", shape, got, want, tol, count,
		   factor == 1.0f ? "exact: factor 1 keeps every bit" : "one rounding: 2u|g|");
out:
	vf_arena_free(&ar);
	FREE_ALL(g, got, want, tol);
	return st;
}

/* SGD: g = grad + wd p, buf = m buf + g, step = nesterov ? g + m buf : buf, p -= lr step: at
 * most 8 roundings, each at most u of the largest term along the way, so 8u (|p| + lr |step|)
 * with |step| built from absolute values; the momentum buffer 8u (m |buf| + |g|). */
ampcl_status vf_check_sgd(struct vf_run *v, size_t count, float lr, float momentum, float wd,
			  int nesterov)
{
	int s1[1] = {(int)count};
	struct vf_arena ar;
	vf_arena_init(&ar, "verify sgd");
	struct ampcl_tensor tp = vf_reserve(&ar, 1, s1), tb = vf_reserve(&ar, 1, s1);
	struct ampcl_tensor tg = vf_reserve(&ar, 1, s1);
	float *p = vf_uniform(v, count, -1, 1), *buf = vf_uniform(v, count, -1, 1);
	float *g = vf_uniform(v, count, -1, 1), *got = ampcl_xmalloc(count * 4);
	double *wp = vf_to_double(p, count), *wb = vf_to_double(buf, count);
	double *gd = vf_to_double(g, count), *tol = ampcl_xmalloc(count * 8);
	double *tolb = ampcl_xmalloc(count * 8);
	char shape[96], path[200];
	snprintf(shape, sizeof(shape), "%zu, lr %g momentum %g wd %g%s", count, lr, momentum, wd,
		 nesterov ? " nesterov" : "");
	ampcl_status st;
	if ((st = vf_arena_commit(v, &ar)) || (st = vf_put(v, &tp, p)) ||
	    (st = vf_put(v, &tb, buf)) || (st = vf_put(v, &tg, g)))
		goto out;
	vf_record_start(v);
	if ((st = ampcl_sgd_step(v->ctx, &tp, momentum != 0 ? &tb : NULL, &tg, lr, momentum, wd,
				 nesterov)) ||
	    (st = vf_record_stop(v)) || (st = ampcl_tensor_read(v->ctx, &tp, got)))
		goto out;
	snprintf(path, sizeof(path), "%s", v->path);
	for (size_t i = 0; i < count; i++) {
		double ga = fabs(g[i]) + wd * fabs(p[i]), ba = momentum * fabs(buf[i]) + ga;
		double step = momentum == 0 ? ga : nesterov ? ga + momentum * ba : ba;
		tol[i] = 8 * U * (fabs(p[i]) + lr * step);
		tolb[i] = 8 * U * ba;
	}
	ref_sgd_step(wp, momentum != 0 ? wb : NULL, gd, count, lr, momentum, wd, nesterov);
	vf_compare(v, "sgd", "sgd_step param", shape, got, wp, tol, count, "8u (|p| + lr |step|)");
	if (momentum != 0) {
		if ((st = ampcl_tensor_read(v->ctx, &tb, got)))
			goto out;
		vf_compare(v, "sgd", "sgd_step momentum", shape, got, wb, tolb, count,
			   "8u (m |buf| + |g|)");
	}
out:
	vf_arena_free(&ar);
	FREE_ALL(p, buf, g, got, wp, wb, gd, tol, tolb);
	return st;
}
