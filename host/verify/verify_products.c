/* verify_products.c: the checks of the ops that are sums of products (GEMM on the back end in
 * effect, convolution forward and backward, linear), each with the bound of a float32 sum. */
#include "verify_ops.h"
#include "alloc.h"
#include "gemm.h"
#include "linear.h"
#include "ref.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void vf_arena_init(struct vf_arena *a, const char *role)
{
	a->arena = ampcl_arena_create(role);
	a->n = 0;
	a->st = AMPCL_OK;
}

struct ampcl_tensor vf_reserve(struct vf_arena *a, int ndim, const int *shape)
{
	struct ampcl_tensor t, pad;
	char name[32];
	int one[1] = {1 + a->n % 3};
	snprintf(name, sizeof(name), "pad%d", a->n);
	memset(&t, 0, sizeof(t));
	if (a->st || (a->st = ampcl_arena_reserve(a->arena, name, 1, one, &pad)))
		return t;
	snprintf(name, sizeof(name), "t%d", a->n++);
	a->st = ampcl_arena_reserve(a->arena, name, ndim, shape, &t);
	return t;
}

ampcl_status vf_arena_commit(struct vf_run *v, struct vf_arena *a)
{
	return a->st ? a->st : ampcl_arena_commit(v->ctx, a->arena);
}

void vf_arena_free(struct vf_arena *a)
{
	ampcl_arena_free(a->arena);
	a->arena = NULL;
}

void vf_free_all(void **p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(p[i]);
}

ampcl_status vf_put(struct vf_run *v, const struct ampcl_tensor *t, const float *src)
{
	return src ? ampcl_tensor_write(v->ctx, t, src) : ampcl_tensor_fill(v->ctx, t, NAN);
}

static void absgemm(int ta, int tb, int m, int n, int k, double alpha, const double *a, int lda,
		    const double *b, int ldb, double beta, double *c, int ldc, size_t na, size_t nb,
		    size_t nc)
{
	double *aa = vf_abs(a, na), *ab = vf_abs(b, nb);
	for (size_t i = 0; i < nc; i++)
		c[i] = fabs(beta * c[i]);
	ref_gemm(ta, tb, m, n, k, fabs(alpha), aa, lda, ab, ldb, 1.0, c, ldc);
	free(aa);
	free(ab);
}

/* C = alpha op(A) op(B) + beta C with row strides one past the matrices' widths. Each element of
 * C is a sum of k products plus beta C: tolerance VF_LAMBDA sqrt(k) u (|alpha| sum|a b| +
 * |beta c|) + 2 u |C| (vf_tol_sum); a missing or doubled product is ~sum|ab|/k off. */
ampcl_status vf_check_gemm(struct vf_run *v, int ta, int tb, int m, int n, int k, float alpha,
			   float beta)
{
	int lda = (ta ? m : k) + 1, ldb = (tb ? k : n) + 1, ldc = n + 1;
	int arows = ta ? k : m, brows = tb ? n : k;
	size_t na = (size_t)arows * lda, nb = (size_t)brows * ldb, nc = (size_t)m * ldc;
	float *fa = vf_uniform(v, na, -1, 1), *fb = vf_uniform(v, nb, -1, 1);
	float *fc = vf_uniform(v, nc, -1, 1), *got = ampcl_xmalloc(nc * sizeof(float));
	double *da = vf_to_double(fa, na), *db = vf_to_double(fb, nb), *want = vf_to_double(fc, nc);
	double *mag = vf_to_double(fc, nc);
	struct vf_arena ar;
	vf_arena_init(&ar, "verify gemm");
	int sa[1] = {(int)na}, sb[1] = {(int)nb}, sc[1] = {(int)nc};
	struct ampcl_tensor ta_ = vf_reserve(&ar, 1, sa), tb_ = vf_reserve(&ar, 1, sb);
	struct ampcl_tensor tc = vf_reserve(&ar, 1, sc);
	ampcl_status st;
	if ((st = vf_arena_commit(v, &ar)) || (st = vf_put(v, &ta_, fa)) ||
	    (st = vf_put(v, &tb_, fb)) || (st = vf_put(v, &tc, beta != 0 ? fc : NULL)))
		goto out;
	vf_record_start(v);
	if ((st = ampcl_gemm(v->ctx, ta, tb, m, n, k, alpha, ampcl_tensor_mem(&ta_),
			     ampcl_tensor_off(&ta_), lda, ampcl_tensor_mem(&tb_),
			     ampcl_tensor_off(&tb_), ldb, beta, ampcl_tensor_mem(&tc),
			     ampcl_tensor_off(&tc), ldc)) ||
	    (st = vf_record_stop(v)) || (st = ampcl_tensor_read(v->ctx, &tc, got)))
		goto out;
	ref_gemm(ta, tb, m, n, k, alpha, da, lda, db, ldb, beta, want, ldc);
	absgemm(ta, tb, m, n, k, alpha, da, lda, db, ldb, beta, mag, ldc, na, nb, nc);
	/* the padding column of each row is no output: compare the m x n block */
	size_t cnt = (size_t)m * n;
	float *g2 = ampcl_xmalloc(cnt * sizeof(float));
	double *w2 = ampcl_xmalloc(cnt * sizeof(double)), *m2 = ampcl_xmalloc(cnt * sizeof(double));
	for (int i = 0; i < m; i++)
		for (int j = 0; j < n; j++) {
			g2[(size_t)i * n + j] = got[(size_t)i * ldc + j];
			w2[(size_t)i * n + j] = want[(size_t)i * ldc + j];
			m2[(size_t)i * n + j] = mag[(size_t)i * ldc + j];
		}
	double *tol = vf_tol_sum(m2, w2, cnt, k + 1);
	char op[48], shape[96], bound[96];
	snprintf(op, sizeof(op), "gemm %s%s (%s)", ta ? "T" : "N", tb ? "T" : "N",
		 ampcl_gemm_backend_name(v->ctx));
	snprintf(shape, sizeof(shape), "m%d n%d k%d alpha %g beta %g", m, n, k, alpha, beta);
	snprintf(bound, sizeof(bound), "8 sqrt(K) u sum|ab| + 2u|c|, K=%d", k + 1);
	vf_compare(v, "gemm", op, shape, g2, w2, tol, cnt, bound);
	free(tol);
	free(g2);
	free(w2);
	free(m2);
out:
	vf_arena_free(&ar);
	free(fa);
	free(fb);
	free(fc);
	free(got);
	free(da);
	free(db);
	free(want);
	free(mag);
	return st;
}

/* Convolution: y = conv(x, w) + b, a sum of c*r*s products and the bias; dx = beta dx0 + a sum
 * of at most k*r*s products; dw += and db += sums of n*p*q products. The magnitudes sum|ab| are
 * the reference run on |x|, |w|, |dy| (and |beta dx0|, |dw0|, |db0|); tolerances from
 * vf_tol_sum with those K. */
ampcl_status vf_check_conv(struct vf_run *v, const struct ampcl_conv2d_shape *s, int bias,
			   int with_dx, float beta)
{
	int p = ampcl_conv2d_out_h(s), q = ampcl_conv2d_out_w(s);
	int xs[4] = {s->n, s->c, s->h, s->w}, ws[4] = {s->k, s->c, s->r, s->s};
	int ys[4] = {s->n, s->k, p, q}, bs[1] = {s->k};
	size_t nx = (size_t)s->n * s->c * s->h * s->w, nw = (size_t)s->k * s->c * s->r * s->s;
	size_t ny = (size_t)s->n * s->k * p * q, nb = s->k;
	int ss[1] = {(int)ampcl_conv2d_scratch_floats(s, s->n)};
	struct vf_arena ar;
	vf_arena_init(&ar, "verify conv");
	struct ampcl_tensor tx = vf_reserve(&ar, 4, xs), tw = vf_reserve(&ar, 4, ws);
	struct ampcl_tensor tb = vf_reserve(&ar, 1, bs), ty = vf_reserve(&ar, 4, ys);
	struct ampcl_tensor tdx = vf_reserve(&ar, 4, xs), tdw = vf_reserve(&ar, 4, ws);
	struct ampcl_tensor tdb = vf_reserve(&ar, 1, bs), tdy = vf_reserve(&ar, 4, ys);
	struct ampcl_tensor scratch = vf_reserve(&ar, 1, ss);
	float *x = vf_uniform(v, nx, -1, 1), *w = vf_uniform(v, nw, -1, 1);
	float *b = vf_uniform(v, nb, -1, 1), *dy = vf_uniform(v, ny, -1, 1);
	float *dx0 = vf_uniform(v, nx, -1, 1), *dw0 = vf_uniform(v, nw, -1, 1);
	float *db0 = vf_uniform(v, nb, -1, 1);
	float *gy = ampcl_xmalloc(ny * 4), *gdx = ampcl_xmalloc(nx * 4);
	float *gdw = ampcl_xmalloc(nw * 4), *gdb = ampcl_xmalloc(nb * 4);
	double *dxd = vf_to_double(x, nx), *dwd = vf_to_double(w, nw), *dbd = vf_to_double(b, nb);
	double *ddy = vf_to_double(dy, ny);
	double *wy = ampcl_xmalloc(ny * 8), *wdx = vf_to_double(dx0, nx);
	double *wdw = vf_to_double(dw0, nw), *wdb = vf_to_double(db0, nb);
	double *my = ampcl_xmalloc(ny * 8), *mdx = vf_to_double(dx0, nx);
	double *mdw = vf_to_double(dw0, nw), *mdb = vf_to_double(db0, nb);
	double *ax = vf_abs(dxd, nx), *aw = vf_abs(dwd, nw), *ab = vf_abs(dbd, nb);
	double *ady = vf_abs(ddy, ny);
	ampcl_status st;
	if ((st = vf_arena_commit(v, &ar)) || (st = vf_put(v, &tx, x)) ||
	    (st = vf_put(v, &tw, w)) || (st = vf_put(v, &tb, b)) || (st = vf_put(v, &tdy, dy)) ||
	    (st = vf_put(v, &ty, NULL)) || (st = vf_put(v, &tdx, beta != 0 ? dx0 : NULL)) ||
	    (st = vf_put(v, &tdw, dw0)) || (st = vf_put(v, &tdb, db0)) ||
	    (st = vf_put(v, &scratch, NULL)))
		goto out;
	char shape[96], bound[96], fpath[200];
	snprintf(shape, sizeof(shape), "n%d c%d %dx%d k%d %dx%d stride %d pad %d%s%s", s->n, s->c,
		 s->h, s->w, s->k, s->r, s->s, s->stride, s->pad, bias ? " bias" : "",
		 !with_dx    ? " no dx"
		 : beta != 0 ? " dx+="
			     : "");
	vf_record_start(v);
	if ((st = ampcl_conv2d_forward(v->ctx, s, &ty, &tx, &tw, bias ? &tb : NULL, &scratch)) ||
	    (st = vf_record_stop(v)))
		goto out;
	snprintf(fpath, sizeof(fpath), "%s", v->path);
	vf_record_start(v);
	if ((st = ampcl_conv2d_backward(v->ctx, s, with_dx ? &tdx : NULL, &tdw, bias ? &tdb : NULL,
					&tdy, &tx, &tw, beta, &scratch)) ||
	    (st = vf_record_stop(v)) || (st = ampcl_tensor_read(v->ctx, &ty, gy)) ||
	    (with_dx && (st = ampcl_tensor_read(v->ctx, &tdx, gdx))) ||
	    (st = ampcl_tensor_read(v->ctx, &tdw, gdw)) ||
	    (bias && (st = ampcl_tensor_read(v->ctx, &tdb, gdb))))
		goto out;
	ref_conv2d_forward(wy, dxd, dwd, bias ? dbd : NULL, s->n, s->c, s->h, s->w, s->k, s->r,
			   s->s, s->stride, s->pad);
	ref_conv2d_forward(my, ax, aw, bias ? ab : NULL, s->n, s->c, s->h, s->w, s->k, s->r, s->s,
			   s->stride, s->pad);
	ref_conv2d_backward(with_dx ? wdx : NULL, wdw, bias ? wdb : NULL, ddy, dxd, dwd, s->n, s->c,
			    s->h, s->w, s->k, s->r, s->s, s->stride, s->pad, beta);
	for (size_t i = 0; i < nx; i++)
		mdx[i] = fabs(beta * mdx[i]);
	for (size_t i = 0; i < nw; i++)
		mdw[i] = fabs(mdw[i]);
	for (size_t i = 0; i < nb; i++)
		mdb[i] = fabs(mdb[i]);
	ref_conv2d_backward(with_dx ? mdx : NULL, mdw, bias ? mdb : NULL, ady, ax, aw, s->n, s->c,
			    s->h, s->w, s->k, s->r, s->s, s->stride, s->pad, 1.0);
	int crs = s->c * s->r * s->s, krs = s->k * s->r * s->s, npq = s->n * p * q;
	char bpath[200];
	snprintf(bpath, sizeof(bpath), "%s", v->path);
	snprintf(v->path, sizeof(v->path), "%s", fpath);
	double *t = vf_tol_sum(my, wy, ny, crs + 1);
	snprintf(bound, sizeof(bound), "8 sqrt(K) u sum|xw| + 2u|y|, K=c*r*s+1=%d", crs + 1);
	vf_compare(v, "conv_forward", "conv2d_forward y", shape, gy, wy, t, ny, bound);
	free(t);
	snprintf(v->path, sizeof(v->path), "%s", bpath);
	if (with_dx) {
		t = vf_tol_sum(mdx, wdx, nx, krs + 1);
		snprintf(bound, sizeof(bound), "8 sqrt(K) u sum|dy w| + 2u|dx|, K=k*r*s+1=%d",
			 krs + 1);
		vf_compare(v, "conv_backward", "conv2d_backward dx", shape, gdx, wdx, t, nx, bound);
		free(t);
	}
	t = vf_tol_sum(mdw, wdw, nw, npq + 1);
	snprintf(bound, sizeof(bound), "8 sqrt(K) u sum|dy x| + 2u|dw|, K=n*p*q+1=%d", npq + 1);
	vf_compare(v, "conv_backward", "conv2d_backward dw", shape, gdw, wdw, t, nw, bound);
	free(t);
	if (bias) {
		t = vf_tol_sum(mdb, wdb, nb, npq + 1);
		snprintf(bound, sizeof(bound), "8 sqrt(K) u sum|dy| + 2u|db|, K=n*p*q+1=%d",
			 npq + 1);
		vf_compare(v, "conv_backward", "conv2d_backward db", shape, gdb, wdb, t, nb, bound);
		free(t);
	}
out:
	vf_arena_free(&ar);
	void *all[] = {x,   w,  b,   dy,  dx0, dw0, db0, gy,  gdx, gdw, gdb, dxd, dwd, dbd,
		       ddy, wy, wdx, wdw, wdb, my,  mdx, mdw, mdb, ax,  aw,  ab,  ady};
	for (size_t i = 0; i < sizeof(all) / sizeof(all[0]); i++)
		free(all[i]);
	return st;
}

/* a (rows, cols) -> t (cols, rows) */
static void transpose(float *t, const float *a, int rows, int cols)
{
	for (int i = 0; i < rows; i++)
		for (int j = 0; j < cols; j++)
			t[(size_t)j * rows + i] = a[(size_t)i * cols + j];
}

/* Linear: y = x W^T + b sums in+1 terms; dx = beta dx0 + dy W sums out; dw += dy^T x and
 * db += sum dy sum n. Magnitudes from the reference on absolute values, as for convolution.
 * With w_in_out the device holds W and dW as (in, out) (ONNX's MatMul): the host keeps them
 * (out, in), as the reference does, and transposes on the way in and out. */
ampcl_status vf_check_linear(struct vf_run *v, int n, int in, int out, int bias, int w_in_out,
			     float beta)
{
	size_t nx = (size_t)n * in, nw = (size_t)out * in, ny = (size_t)n * out, nb = out;
	int xs[2] = {n, in}, ws[2] = {out, in}, ys[2] = {n, out}, bs[1] = {out};
	if (w_in_out)
		ws[0] = in, ws[1] = out;
	struct vf_arena ar;
	vf_arena_init(&ar, "verify linear");
	struct ampcl_tensor tx = vf_reserve(&ar, 2, xs), tw = vf_reserve(&ar, 2, ws);
	struct ampcl_tensor tb = vf_reserve(&ar, 1, bs), ty = vf_reserve(&ar, 2, ys);
	struct ampcl_tensor tdx = vf_reserve(&ar, 2, xs), tdw = vf_reserve(&ar, 2, ws);
	struct ampcl_tensor tdb = vf_reserve(&ar, 1, bs), tdy = vf_reserve(&ar, 2, ys);
	float *x = vf_uniform(v, nx, -1, 1), *w = vf_uniform(v, nw, -1, 1);
	float *b = vf_uniform(v, nb, -1, 1), *dy = vf_uniform(v, ny, -1, 1);
	float *dx0 = vf_uniform(v, nx, -1, 1), *dw0 = vf_uniform(v, nw, -1, 1);
	float *db0 = vf_uniform(v, nb, -1, 1);
	float *gy = ampcl_xmalloc(ny * 4), *gdx = ampcl_xmalloc(nx * 4);
	float *gdw = ampcl_xmalloc(nw * 4), *gdb = ampcl_xmalloc(nb * 4);
	double *dx_ = vf_to_double(x, nx), *dw_ = vf_to_double(w, nw), *db_ = vf_to_double(b, nb);
	double *ddy = vf_to_double(dy, ny);
	double *wy = ampcl_xmalloc(ny * 8), *wdx = vf_to_double(dx0, nx);
	double *wdw = vf_to_double(dw0, nw), *wdb = vf_to_double(db0, nb);
	double *my = ampcl_xmalloc(ny * 8), *mdx = vf_to_double(dx0, nx);
	double *mdw = vf_to_double(dw0, nw), *mdb = vf_to_double(db0, nb);
	double *ax = vf_abs(dx_, nx), *aw = vf_abs(dw_, nw), *ab = vf_abs(db_, nb);
	double *ady = vf_abs(ddy, ny);
	/* the weight and its gradient as the device holds them */
	float *dev_w = ampcl_xmalloc(nw * 4), *dev_dw0 = ampcl_xmalloc(nw * 4);
	if (w_in_out) {
		transpose(dev_w, w, out, in);
		transpose(dev_dw0, dw0, out, in);
	} else {
		memcpy(dev_w, w, nw * 4);
		memcpy(dev_dw0, dw0, nw * 4);
	}
	ampcl_status st;
	if ((st = vf_arena_commit(v, &ar)) || (st = vf_put(v, &tx, x)) ||
	    (st = vf_put(v, &tw, dev_w)) || (st = vf_put(v, &tb, b)) ||
	    (st = vf_put(v, &tdy, dy)) || (st = vf_put(v, &ty, NULL)) ||
	    (st = vf_put(v, &tdx, beta != 0 ? dx0 : NULL)) || (st = vf_put(v, &tdw, dev_dw0)) ||
	    (st = vf_put(v, &tdb, db0)))
		goto out;
	char shape[96], bound[96], fpath[200], bpath[200];
	snprintf(shape, sizeof(shape), "n%d in%d out%d%s%s%s", n, in, out,
		 w_in_out ? " w(in,out)" : "", bias ? " bias" : "", beta != 0 ? " dx+=" : "");
	vf_record_start(v);
	if ((st = ampcl_linear_forward(v->ctx, &ty, &tx, &tw, bias ? &tb : NULL, n, in, out,
				       w_in_out)) ||
	    (st = vf_record_stop(v)))
		goto out;
	snprintf(fpath, sizeof(fpath), "%s", v->path);
	vf_record_start(v);
	if ((st = ampcl_linear_backward(v->ctx, &tdx, &tdw, bias ? &tdb : NULL, &tdy, &tx, &tw, n,
					in, out, w_in_out, beta)) ||
	    (st = vf_record_stop(v)) || (st = ampcl_tensor_read(v->ctx, &ty, gy)) ||
	    (st = ampcl_tensor_read(v->ctx, &tdx, gdx)) ||
	    (st = ampcl_tensor_read(v->ctx, &tdw, dev_dw0)) ||
	    (bias && (st = ampcl_tensor_read(v->ctx, &tdb, gdb))))
		goto out;
	if (w_in_out)
		transpose(gdw, dev_dw0, in, out);
	else
		memcpy(gdw, dev_dw0, nw * 4);
	snprintf(bpath, sizeof(bpath), "%s", v->path);
	ref_linear_forward(wy, dx_, dw_, bias ? db_ : NULL, n, in, out);
	ref_linear_forward(my, ax, aw, bias ? ab : NULL, n, in, out);
	ref_linear_backward(wdx, wdw, bias ? wdb : NULL, ddy, dx_, dw_, n, in, out, beta);
	for (size_t i = 0; i < nx; i++)
		mdx[i] = fabs(beta * mdx[i]);
	for (size_t i = 0; i < nw; i++)
		mdw[i] = fabs(mdw[i]);
	for (size_t i = 0; i < nb; i++)
		mdb[i] = fabs(mdb[i]);
	ref_linear_backward(mdx, mdw, bias ? mdb : NULL, ady, ax, aw, n, in, out, 1.0);
	snprintf(v->path, sizeof(v->path), "%s", fpath);
	double *t = vf_tol_sum(my, wy, ny, in + 1);
	snprintf(bound, sizeof(bound), "8 sqrt(K) u sum|xw| + 2u|y|, K=in+1=%d", in + 1);
	vf_compare(v, "linear", "linear_forward y", shape, gy, wy, t, ny, bound);
	free(t);
	snprintf(v->path, sizeof(v->path), "%s", bpath);
	t = vf_tol_sum(mdx, wdx, nx, out + 1);
	snprintf(bound, sizeof(bound), "8 sqrt(K) u sum|dy w| + 2u|dx|, K=out+1=%d", out + 1);
	vf_compare(v, "linear", "linear_backward dx", shape, gdx, wdx, t, nx, bound);
	free(t);
	t = vf_tol_sum(mdw, wdw, nw, n + 1);
	snprintf(bound, sizeof(bound), "8 sqrt(K) u sum|dy x| + 2u|dw|, K=n+1=%d", n + 1);
	vf_compare(v, "linear", "linear_backward dw", shape, gdw, wdw, t, nw, bound);
	free(t);
	if (bias) {
		t = vf_tol_sum(mdb, wdb, nb, n + 1);
		snprintf(bound, sizeof(bound), "8 sqrt(K) u sum|dy| + 2u|db|, K=n+1=%d", n + 1);
		vf_compare(v, "linear", "linear_backward db", shape, gdb, wdb, t, nb, bound);
		free(t);
	}
out:
	vf_arena_free(&ar);
	VF_FREE_ALL(x, w, b, dy, dx0, dw0, db0, gy, gdx, gdw, gdb, dx_, dw_, db_, ddy, wy, wdx, wdw,
		    wdb, my, mdx, mdw, mdb, ax, aw, ab, ady, dev_w, dev_dw0);
	return st;
}
