/* test_ref_main.c: checks the reference itself - every backward against central finite
 * differences of its forward, beta/accumulate rules, and hand-computed forward/optimizer cases. */
#include "ref.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* h = 1e-6 balances truncation (~h^2) against rounding (~1e-16*|L|/h) for L of order 1-10. */
#define FD_STEP 1e-6

struct tally {
	int passed, failed;
};

/* Pass when every |got - want| <= atol + rtol*|want|; NaN anywhere fails. Prints one line. */
static void check(struct tally *t, const char *name, const double *got, const double *want,
		  size_t n, double atol, double rtol)
{
	int ok = 1;
	for (size_t i = 0; i < n; i++)
		if (!(fabs(got[i] - want[i]) <= atol + rtol * fabs(want[i])))
			ok = 0;
	printf("%-52s max_abs %.3e  max_rel %.3e  (atol %.0e rtol %.0e)  %s\n", name,
	       ref_max_abs_diff(got, want, n), ref_max_rel_diff(got, want, n, atol), atol, rtol,
	       ok ? "PASS" : "FAIL");
	if (ok)
		t->passed++;
	else
		t->failed++;
}

static void check_scalar(struct tally *t, const char *name, double got, double want, double atol,
			 double rtol)
{
	check(t, name, &got, &want, 1, atol, rtol);
}

static double *dalloc(size_t n)
{
	double *p = calloc(n ? n : 1, sizeof(*p));
	if (!p) {
		fprintf(stderr, "out of memory allocating %zu doubles\n", n);
		exit(1);
	}
	return p;
}

static void fill_nan(double *x, size_t n)
{
	for (size_t i = 0; i < n; i++)
		x[i] = NAN;
}

/* Neumaier-compensated sum(a*b): the loss L is a sum of hundreds of terms and its rounding,
 * divided by 2h, would otherwise be most of the finite-difference noise. */
static double dot(const double *a, const double *b, size_t n)
{
	double s = 0.0, comp = 0.0;
	for (size_t i = 0; i < n; i++) {
		double v = a[i] * b[i], t = s + v;
		comp += fabs(s) >= fabs(v) ? (s - t) + v : (v - t) + s;
		s = t;
	}
	return s + comp;
}

/* want[i] = a[i] + b[i]: the expected result of accumulating b onto a pre-filled a. */
static void sum_into(double *want, const double *a, const double *b, size_t n)
{
	for (size_t i = 0; i < n; i++)
		want[i] = a[i] + b[i];
}

/* Central differences of loss() w.r.t. every element of p; the divisor is the step actually
 * taken after rounding, not 2h, so it does not add its own error. */
static void fd_gradient(double *grad, double *p, size_t n, double (*loss)(void *), void *ctx)
{
	for (size_t i = 0; i < n; i++) {
		double save = p[i];
		double hi = save + FD_STEP, lo = save - FD_STEP;
		p[i] = hi;
		double lp = loss(ctx);
		p[i] = lo;
		double lm = loss(ctx);
		p[i] = save;
		grad[i] = (lp - lm) / (hi - lo);
	}
}

/* ---- conv2d ---- */

struct conv_case {
	int n, c, h, wd, k, r, s, stride, pad;
	double *x, *w, *b, *g, *y; /* x: (n,c,h,wd) w: (k,c,r,s) b: (k) g, y: (n,k,p,q) */
	size_t ny;
};

static double conv_loss(void *vp)
{
	struct conv_case *cc = vp;
	ref_conv2d_forward(cc->y, cc->x, cc->w, cc->b, cc->n, cc->c, cc->h, cc->wd, cc->k, cc->r,
			   cc->s, cc->stride, cc->pad);
	return dot(cc->y, cc->g, cc->ny);
}

static void test_conv_fd(struct tally *t, unsigned long long *rng, int n, int c, int h, int wd,
			 int k, int r, int s, int stride, int pad)
{
	int p = ref_conv2d_out_size(h, r, stride, pad), q = ref_conv2d_out_size(wd, s, stride, pad);
	size_t nx = (size_t)n * c * h * wd, nw = (size_t)k * c * r * s, ny = (size_t)n * k * p * q;
	struct conv_case cc = {.n = n, .c = c, .h = h, .wd = wd, .k = k, .ny = ny};
	cc.r = r, cc.s = s, cc.stride = stride, cc.pad = pad;
	cc.x = dalloc(nx), cc.w = dalloc(nw), cc.b = dalloc(k);
	cc.g = dalloc(ny), cc.y = dalloc(ny);
	double *dx = dalloc(nx), *dw = dalloc(nw), *db = dalloc(k);
	double *fx = dalloc(nx), *fw = dalloc(nw), *fb = dalloc(k);
	double *dx0 = dalloc(nx), *dw0 = dalloc(nw), *db0 = dalloc(k), *want = dalloc(nx);
	char name[96];

	ref_fill_uniform(cc.x, nx, rng, -1.0, 1.0);
	ref_fill_uniform(cc.w, nw, rng, -1.0, 1.0);
	ref_fill_uniform(cc.b, k, rng, -1.0, 1.0);
	ref_fill_uniform(cc.g, ny, rng, -1.0, 1.0);

	/* dL/dy = g for L = sum(y*g); NaN in dx proves beta = 0 overwrites. */
	fill_nan(dx, nx);
	ref_conv2d_backward(dx, dw, db, cc.g, cc.x, cc.w, n, c, h, wd, k, r, s, stride, pad, 0.0);
	fd_gradient(fx, cc.x, nx, conv_loss, &cc);
	fd_gradient(fw, cc.w, nw, conv_loss, &cc);
	fd_gradient(fb, cc.b, k, conv_loss, &cc);
	char pre[64];
	snprintf(pre, sizeof(pre), "conv2d n%d c%d %dx%d k%d %dx%d s%d p%d", n, c, h, wd, k, r, s,
		 stride, pad);
	snprintf(name, sizeof(name), "%s dx vs fd", pre);
	check(t, name, dx, fx, nx, 1e-8, 1e-6); /* FD: atol 1e-8, rtol 1e-6 */
	snprintf(name, sizeof(name), "%s dw vs fd", pre);
	check(t, name, dw, fw, nw, 1e-8, 1e-6);
	snprintf(name, sizeof(name), "%s db vs fd", pre);
	check(t, name, db, fb, k, 1e-8, 1e-6);

	/* beta = 1 adds onto dx; dw/db always +=. Same loops, so the match is to rounding. */
	ref_fill_uniform(dx0, nx, rng, -1.0, 1.0);
	ref_fill_uniform(dw0, nw, rng, -1.0, 1.0);
	ref_fill_uniform(db0, k, rng, -1.0, 1.0);
	double *dx1 = dalloc(nx), *dw1 = dalloc(nw), *db1 = dalloc(k);
	memcpy(dx1, dx0, nx * sizeof(*dx1));
	memcpy(dw1, dw0, nw * sizeof(*dw1));
	memcpy(db1, db0, k * sizeof(*db1));
	ref_conv2d_backward(dx1, dw1, db1, cc.g, cc.x, cc.w, n, c, h, wd, k, r, s, stride, pad,
			    1.0);
	snprintf(name, sizeof(name), "%s beta=1 dx accumulates", pre);
	sum_into(want, dx0, dx, nx);
	check(t, name, dx1, want, nx, 1e-12, 1e-12); /* same arithmetic up to one rounding */
	snprintf(name, sizeof(name), "%s dw,db accumulate", pre);
	{
		/* dw and db side by side so one line reports both */
		double *got = dalloc(nw + k), *expect = dalloc(nw + k);
		memcpy(got, dw1, nw * sizeof(*got));
		memcpy(got + nw, db1, k * sizeof(*got));
		sum_into(expect, dw0, dw, nw);
		sum_into(expect + nw, db0, db, k);
		check(t, name, got, expect, nw + k, 1e-12, 1e-12); /* one rounding */
		free(got);
		free(expect);
	}

	/* dx and db are optional: dw alone must come out the same. */
	memset(dw1, 0, nw * sizeof(*dw1));
	ref_conv2d_backward(NULL, dw1, NULL, cc.g, cc.x, cc.w, n, c, h, wd, k, r, s, stride, pad,
			    0.0);
	snprintf(name, sizeof(name), "%s dw with dx,db NULL", pre);
	check(t, name, dw1, dw, nw, 0.0, 0.0); /* identical arithmetic: exact */

	free(cc.x), free(cc.w), free(cc.b), free(cc.g), free(cc.y);
	free(dx), free(dw), free(db), free(fx), free(fw), free(fb);
	free(dx0), free(dw0), free(db0), free(dx1), free(dw1), free(db1), free(want);
}

static void test_conv_forward_hand(struct tally *t)
{
	/* x: (1,1,3,3) = 1..9, w: (1,1,2,2) = [[1,0],[0,-1]], so y = x[i][j] - x[i+1][j+1]. */
	double x[9] = {1, 2, 3, 4, 5, 6, 7, 8, 9}, w[4] = {1, 0, 0, -1}, b = 0.5, y[4];
	double want_s1p0[4] = {-4, -4, -4, -4};
	ref_conv2d_forward(y, x, w, NULL, 1, 1, 3, 3, 1, 2, 2, 1, 0);
	check(t, "conv2d forward hand 3x3 k2 s1 p0", y, want_s1p0, 4, 0.0,
	      0.0); /* exact integers */
	/* stride 2, pad 1: windows start at (-1,-1), (-1,1), (1,-1), (1,1); padding reads as 0. */
	double want_s2p1[4] = {-1 + 0.5, -3 + 0.5, -7 + 0.5, 5 - 9 + 0.5};
	ref_conv2d_forward(y, x, w, &b, 1, 1, 3, 3, 1, 2, 2, 2, 1);
	check(t, "conv2d forward hand 3x3 k2 s2 p1 bias", y, want_s2p1, 4, 0.0, 0.0);
	double sizes[3] = {ref_conv2d_out_size(5, 3, 2, 0), ref_conv2d_out_size(6, 3, 2, 0),
			   ref_conv2d_out_size(7, 1, 2, 1)};
	double want_sizes[3] = {2, 2, 5}; /* (5-3)/2+1, floor((6-3)/2)+1, (7+2-1)/2+1 */
	check(t, "conv2d out_size floor", sizes, want_sizes, 3, 0.0, 0.0);
}

/* ---- batch norm ---- */

struct bn_case {
	int n, c, hw;
	double *x, *gamma, *beta, *g, *y, *mean, *invstd, *rm,
	    *rv; /* x, g, y: (n,c,hw); rest: (c) */
};

static double bn_loss(void *vp)
{
	struct bn_case *b = vp;
	/* Running stats are scratch here: they do not feed y in training mode. */
	ref_bn_forward_train(b->y, b->mean, b->invstd, b->rm, b->rv, b->x, b->gamma, b->beta, b->n,
			     b->c, b->hw, 0.1, 1e-5);
	return dot(b->y, b->g, (size_t)b->n * b->c * b->hw);
}

static void test_bn_fd(struct tally *t, unsigned long long *rng, int n, int c, int hw)
{
	size_t nx = (size_t)n * c * hw;
	struct bn_case b = {.n = n, .c = c, .hw = hw};
	b.x = dalloc(nx), b.g = dalloc(nx), b.y = dalloc(nx);
	b.gamma = dalloc(c), b.beta = dalloc(c), b.mean = dalloc(c), b.invstd = dalloc(c);
	b.rm = dalloc(c), b.rv = dalloc(c);
	double *dx = dalloc(nx), *dg = dalloc(c), *dbt = dalloc(c);
	double *fx = dalloc(nx), *fg = dalloc(c), *fbt = dalloc(c);
	char name[96];

	ref_fill_uniform(b.x, nx, rng, -2.0, 2.0);
	ref_fill_uniform(b.gamma, c, rng, 0.5, 1.5);
	ref_fill_uniform(b.beta, c, rng, -1.0, 1.0);
	ref_fill_uniform(b.g, nx, rng, -1.0, 1.0);

	bn_loss(&b); /* fills save_mean / save_invstd for backward */
	fill_nan(dx, nx);
	ref_bn_backward(dx, dg, dbt, b.g, b.x, b.mean, b.invstd, b.gamma, n, c, hw, 0.0);
	fd_gradient(fx, b.x, nx, bn_loss, &b);
	fd_gradient(fg, b.gamma, c, bn_loss, &b);
	fd_gradient(fbt, b.beta, c, bn_loss, &b);
	snprintf(name, sizeof(name), "bn train n%d c%d hw%d dx vs fd", n, c, hw);
	check(t, name, dx, fx, nx, 1e-8, 1e-6); /* FD: atol 1e-8, rtol 1e-6 */
	snprintf(name, sizeof(name), "bn train n%d c%d hw%d dgamma vs fd", n, c, hw);
	check(t, name, dg, fg, c, 1e-8, 1e-6);
	snprintf(name, sizeof(name), "bn train n%d c%d hw%d dbeta vs fd", n, c, hw);
	check(t, name, dbt, fbt, c, 1e-8, 1e-6);

	/* beta = 1 on dx, and += on dgamma/dbeta: dx must not pick up the old dgamma/dbeta. */
	double *dx1 = dalloc(nx), *dx0 = dalloc(nx), *want = dalloc(nx);
	double *dg1 = dalloc(c), *dbt1 = dalloc(c), *dg0 = dalloc(c), *dbt0 = dalloc(c);
	ref_fill_uniform(dx0, nx, rng, -1.0, 1.0);
	ref_fill_uniform(dg0, c, rng, -1.0, 1.0);
	ref_fill_uniform(dbt0, c, rng, -1.0, 1.0);
	memcpy(dx1, dx0, nx * sizeof(*dx1));
	memcpy(dg1, dg0, c * sizeof(*dg1));
	memcpy(dbt1, dbt0, c * sizeof(*dbt1));
	ref_bn_backward(dx1, dg1, dbt1, b.g, b.x, b.mean, b.invstd, b.gamma, n, c, hw, 1.0);
	sum_into(want, dx0, dx, nx);
	check(t, "bn backward beta=1 dx accumulates", dx1, want, nx, 1e-12,
	      1e-12); /* one rounding */
	sum_into(want, dg0, dg, c);
	check(t, "bn backward dgamma +=", dg1, want, c, 1e-12, 1e-12);
	sum_into(want, dbt0, dbt, c);
	check(t, "bn backward dbeta +=", dbt1, want, c, 1e-12, 1e-12);

	free(b.x), free(b.gamma), free(b.beta), free(b.g), free(b.y);
	free(b.mean), free(b.invstd), free(b.rm), free(b.rv);
	free(dx), free(dg), free(dbt), free(fx), free(fg), free(fbt);
	free(dx1), free(dx0), free(want), free(dg1), free(dbt1), free(dg0), free(dbt0);
}

static void test_bn_hand(struct tally *t)
{
	/* x: (2,1,2) = {1,2 | 3,6}: mean 3, biased var (4+1+0+9)/4 = 3.5, unbiased 14/3. */
	double x[4] = {1, 2, 3, 6}, gamma = 2.0, beta = 1.0, eps = 1e-5, m = 0.1;
	double y[4], mean, invstd, rm = 0.5, rv = 2.0;
	ref_bn_forward_train(y, &mean, &invstd, &rm, &rv, x, &gamma, &beta, 2, 1, 2, m, eps);
	double stats[4] = {mean, invstd, rm, rv};
	double want_stats[4] = {3.0, 1.0 / sqrt(3.5 + eps), 0.9 * 0.5 + 0.1 * 3.0,
				0.9 * 2.0 + 0.1 * (14.0 / 3.0)};
	check(t, "bn train mean/invstd/run_mean/run_var hand", stats, want_stats, 4, 1e-15, 1e-14);
	double s = 1.0 / sqrt(3.5 + eps);
	double want_y[4] = {2 * -2 * s + 1, 2 * -1 * s + 1, 1, 2 * 3 * s + 1};
	check(t, "bn train y hand", y, want_y, 4, 1e-15, 1e-14); /* a few roundings */

	/* One element per channel: no unbiased variance exists, PyTorch keeps the biased 0. */
	double x1 = 4.0, y1, mean1, invstd1, rm1 = 0.0, rv1 = 1.0;
	ref_bn_forward_train(&y1, &mean1, &invstd1, &rm1, &rv1, &x1, &gamma, &beta, 1, 1, 1, m,
			     eps);
	double st1[3] = {y1, rm1, rv1}, want1[3] = {1.0, 0.4, 0.9};
	check(t, "bn train cnt=1 y/run_mean/run_var hand", st1, want1, 3, 1e-15, 1e-14);

	/* Eval uses the running stats: c = 2 channels, hw = 1, n = 2. */
	double xe[4] = {1, 2, 3, 4}, ge[2] = {2, 3}, be[2] = {0.5, -1}, rme[2] = {1, 2},
	       rve[2] = {4, 9};
	double ye[4];
	ref_bn_forward_eval(ye, xe, ge, be, rme, rve, 2, 2, 1, 0.0);
	double want_e[4] = {2 * 0 / 2.0 + 0.5, 3 * 0 / 3.0 - 1, 2 * 2 / 2.0 + 0.5, 3 * 2 / 3.0 - 1};
	check(t, "bn eval y hand (eps 0)", ye, want_e, 4, 1e-15, 1e-14);
}

/* ---- relu ---- */

struct relu_case {
	double *x, *g, *y;
	size_t n;
};

static double relu_loss(void *vp)
{
	struct relu_case *r = vp;
	ref_relu_forward(r->y, r->x, r->n);
	return dot(r->y, r->g, r->n);
}

static void test_relu(struct tally *t, unsigned long long *rng)
{
	size_t n = 33;
	struct relu_case rc = {dalloc(n), dalloc(n), dalloc(n), n};
	double *dx = dalloc(n), *fx = dalloc(n), *dx0 = dalloc(n), *want = dalloc(n);
	ref_fill_uniform(rc.x, n, rng, -1.0, 1.0);
	/* Keep every x at least 0.05 from the kink so the FD step never straddles it. */
	for (size_t i = 0; i < n; i++)
		if (fabs(rc.x[i]) < 0.05)
			rc.x[i] = rc.x[i] < 0 ? -0.05 - rc.x[i] : 0.05 + rc.x[i];
	ref_fill_uniform(rc.g, n, rng, -1.0, 1.0);
	relu_loss(&rc);
	fill_nan(dx, n);
	ref_relu_backward(dx, rc.g, rc.y, n, 0.0);
	fd_gradient(fx, rc.x, n, relu_loss, &rc);
	check(t, "relu 33 dx vs fd", dx, fx, n, 1e-8, 1e-6); /* FD: atol 1e-8, rtol 1e-6 */
	ref_fill_uniform(dx0, n, rng, -1.0, 1.0);
	double *dx1 = dalloc(n);
	memcpy(dx1, dx0, n * sizeof(*dx1));
	ref_relu_backward(dx1, rc.g, rc.y, n, 1.0);
	sum_into(want, dx0, dx, n);
	check(t, "relu beta=1 dx accumulates", dx1, want, n, 0.0, 0.0); /* one add: exact */
	/* At the kink PyTorch's threshold_backward passes nothing: y == 0 gives dx = 0. */
	double xk[3] = {-1, 0, 2}, yk[3], dyk[3] = {1, 1, 1}, dxk[3], want_k[3] = {0, 0, 1};
	ref_relu_forward(yk, xk, 3);
	fill_nan(dxk, 3);
	ref_relu_backward(dxk, dyk, yk, 3, 0.0);
	check(t, "relu backward hand (y == 0 -> 0)", dxk, want_k, 3, 0.0, 0.0);
	double xn = NAN, yn;
	ref_relu_forward(&yn, &xn, 1);
	check_scalar(t, "relu forward propagates NaN", isnan(yn) ? 1.0 : 0.0, 1.0, 0.0, 0.0);
	free(rc.x), free(rc.g), free(rc.y), free(dx), free(fx), free(dx0), free(dx1), free(want);
}

/* ---- maxpool ---- */

struct pool_case {
	int n, c, h, wd, hw;
	double *x, *g, *y;
	size_t ny;
};

static double maxpool_loss(void *vp)
{
	struct pool_case *p = vp;
	ref_maxpool2_forward(p->y, p->x, p->n, p->c, p->h, p->wd);
	return dot(p->y, p->g, p->ny);
}

static void test_maxpool(struct tally *t, unsigned long long *rng)
{
	int n = 3, c = 3, h = 5, wd = 7; /* odd: last row and column are dropped by the floor */
	size_t nx = (size_t)n * c * h * wd, ny = (size_t)n * c * (h / 2) * (wd / 2);
	struct pool_case pc = {n, c, h, wd, 0, dalloc(nx), dalloc(ny), dalloc(ny), ny};
	double *dx = dalloc(nx), *fx = dalloc(nx), *dx0 = dalloc(nx), *dx1 = dalloc(nx),
	       *want = dalloc(nx);
	/* No ties: a permutation of evenly spaced values, gaps 2/nx >> the FD step. 17 is coprime
	 * with nx = 315, so i -> 17*i+5 mod nx hits every slot once. */
	for (size_t i = 0; i < nx; i++)
		pc.x[i] = (double)((17 * i + 5) % nx) / (double)nx * 2.0 - 1.0;
	ref_fill_uniform(pc.g, ny, rng, -1.0, 1.0);
	fill_nan(dx, nx);
	ref_maxpool2_backward(dx, pc.g, pc.x, n, c, h, wd, 0.0);
	fd_gradient(fx, pc.x, nx, maxpool_loss, &pc);
	check(t, "maxpool2 3x3x5x7 dx vs fd", dx, fx, nx, 1e-8,
	      1e-6); /* FD: atol 1e-8, rtol 1e-6 */
	ref_fill_uniform(dx0, nx, rng, -1.0, 1.0);
	memcpy(dx1, dx0, nx * sizeof(*dx1));
	ref_maxpool2_backward(dx1, pc.g, pc.x, n, c, h, wd, 1.0);
	sum_into(want, dx0, dx, nx);
	check(t, "maxpool2 beta=1 dx accumulates", dx1, want, nx, 0.0, 0.0); /* one add: exact */

	/* Ties go to the first maximum in row-major window order; NaN wins a window.
	 * x: (1,1,2,6) windows {1,1 / 1,1}, {0,3 / 2,3}, {5,NaN / 1,9}. */
	double xt[12] = {1, 1, 0, 3, 5, NAN, 1, 1, 2, 3, 1, 9};
	double yt[3], dyt[3] = {10, 20, 30}, dxt[12];
	ref_maxpool2_forward(yt, xt, 1, 1, 2, 6);
	double got_f[3] = {yt[0], yt[1], isnan(yt[2]) ? 1.0 : 0.0}, want_f[3] = {1, 3, 1};
	check(t, "maxpool2 forward hand (ties, NaN)", got_f, want_f, 3, 0.0, 0.0);
	fill_nan(dxt, 12);
	ref_maxpool2_backward(dxt, dyt, xt, 1, 1, 2, 6, 0.0);
	double want_t[12] = {10, 0, 0, 20, 0, 30, 0, 0, 0, 0, 0, 0};
	check(t, "maxpool2 backward tie -> first max", dxt, want_t, 12, 0.0, 0.0);
	free(pc.x), free(pc.g), free(pc.y), free(dx), free(fx), free(dx0), free(dx1), free(want);
}

/* ---- avgpool ---- */

static double avgpool_loss(void *vp)
{
	struct pool_case *p = vp;
	ref_avgpool_forward(p->y, p->x, p->n, p->c, p->hw);
	return dot(p->y, p->g, p->ny);
}

static void test_avgpool(struct tally *t, unsigned long long *rng)
{
	int n = 3, c = 5, hw = 7;
	size_t nx = (size_t)n * c * hw, ny = (size_t)n * c;
	struct pool_case pc = {n, c, 0, 0, hw, dalloc(nx), dalloc(ny), dalloc(ny), ny};
	double *dx = dalloc(nx), *fx = dalloc(nx), *dx0 = dalloc(nx), *dx1 = dalloc(nx),
	       *want = dalloc(nx);
	ref_fill_uniform(pc.x, nx, rng, -1.0, 1.0);
	ref_fill_uniform(pc.g, ny, rng, -1.0, 1.0);
	fill_nan(dx, nx);
	ref_avgpool_backward(dx, pc.g, n, c, hw, 0.0);
	fd_gradient(fx, pc.x, nx, avgpool_loss, &pc);
	check(t, "avgpool 3x5x7 dx vs fd", dx, fx, nx, 1e-8, 1e-6); /* FD: atol 1e-8, rtol 1e-6 */
	ref_fill_uniform(dx0, nx, rng, -1.0, 1.0);
	memcpy(dx1, dx0, nx * sizeof(*dx1));
	ref_avgpool_backward(dx1, pc.g, n, c, hw, 1.0);
	sum_into(want, dx0, dx, nx);
	check(t, "avgpool beta=1 dx accumulates", dx1, want, nx, 0.0, 0.0); /* one add: exact */
	double xh[4] = {1, 2, 3, 6}, yh;
	ref_avgpool_forward(&yh, xh, 1, 1, 4);
	check_scalar(t, "avgpool forward hand", yh, 3.0, 0.0, 0.0);
	free(pc.x), free(pc.g), free(pc.y), free(dx), free(fx), free(dx0), free(dx1), free(want);
}

/* ---- linear ---- */

struct linear_case {
	int n, in, out;
	double *x, *w, *b, *g, *y; /* x: (n,in) w: (out,in) b: (out) g, y: (n,out) */
};

static double linear_loss(void *vp)
{
	struct linear_case *l = vp;
	ref_linear_forward(l->y, l->x, l->w, l->b, l->n, l->in, l->out);
	return dot(l->y, l->g, (size_t)l->n * l->out);
}

static void test_linear(struct tally *t, unsigned long long *rng)
{
	int n = 3, in = 5, out = 7;
	size_t nx = (size_t)n * in, nw = (size_t)out * in, ny = (size_t)n * out;
	struct linear_case lc = {n,          in,          out,        dalloc(nx),
				 dalloc(nw), dalloc(out), dalloc(ny), dalloc(ny)};
	double *dx = dalloc(nx), *dw = dalloc(nw), *db = dalloc(out);
	double *fx = dalloc(nx), *fw = dalloc(nw), *fb = dalloc(out);
	ref_fill_uniform(lc.x, nx, rng, -1.0, 1.0);
	ref_fill_uniform(lc.w, nw, rng, -1.0, 1.0);
	ref_fill_uniform(lc.b, out, rng, -1.0, 1.0);
	ref_fill_uniform(lc.g, ny, rng, -1.0, 1.0);
	fill_nan(dx, nx);
	ref_linear_backward(dx, dw, db, lc.g, lc.x, lc.w, n, in, out, 0.0);
	fd_gradient(fx, lc.x, nx, linear_loss, &lc);
	fd_gradient(fw, lc.w, nw, linear_loss, &lc);
	fd_gradient(fb, lc.b, out, linear_loss, &lc);
	check(t, "linear 3x5->7 dx vs fd", dx, fx, nx, 1e-8, 1e-6); /* FD: atol 1e-8, rtol 1e-6 */
	check(t, "linear 3x5->7 dw vs fd", dw, fw, nw, 1e-8, 1e-6);
	check(t, "linear 3x5->7 db vs fd", db, fb, out, 1e-8, 1e-6);

	double *dx0 = dalloc(nx), *dx1 = dalloc(nx), *dw0 = dalloc(nw), *dw1 = dalloc(nw);
	double *db0 = dalloc(out), *db1 = dalloc(out), *want = dalloc(nw);
	ref_fill_uniform(dx0, nx, rng, -1.0, 1.0);
	ref_fill_uniform(dw0, nw, rng, -1.0, 1.0);
	ref_fill_uniform(db0, out, rng, -1.0, 1.0);
	memcpy(dx1, dx0, nx * sizeof(*dx1));
	memcpy(dw1, dw0, nw * sizeof(*dw1));
	memcpy(db1, db0, out * sizeof(*db1));
	ref_linear_backward(dx1, dw1, db1, lc.g, lc.x, lc.w, n, in, out, 1.0);
	sum_into(want, dx0, dx, nx);
	check(t, "linear beta=1 dx accumulates", dx1, want, nx, 0.0, 0.0); /* one add: exact */
	sum_into(want, dw0, dw, nw);
	check(t, "linear dw +=", dw1, want, nw, 0.0, 0.0);
	sum_into(want, db0, db, out);
	check(t, "linear db +=", db1, want, out, 0.0, 0.0);
	memset(dw1, 0, nw * sizeof(*dw1));
	ref_linear_backward(NULL, dw1, NULL, lc.g, lc.x, lc.w, n, in, out, 0.0);
	check(t, "linear dw with dx,db NULL", dw1, dw, nw, 0.0, 0.0);

	/* x: (1,2) = {1,2}, w: (3,2) = {1,0 / 0,1 / 1,1}, b = {0.5,0,-1} -> y = {1.5, 2, 2} */
	double xh[2] = {1, 2}, wh[6] = {1, 0, 0, 1, 1, 1}, bh[3] = {0.5, 0, -1}, yh[3];
	double want_h[3] = {1.5, 2, 2};
	ref_linear_forward(yh, xh, wh, bh, 1, 2, 3);
	check(t, "linear forward hand", yh, want_h, 3, 0.0, 0.0);
	free(lc.x), free(lc.w), free(lc.b), free(lc.g), free(lc.y);
	free(dx), free(dw), free(db), free(fx), free(fw), free(fb);
	free(dx0), free(dx1), free(dw0), free(dw1), free(db0), free(db1), free(want);
}

/* ---- softmax cross-entropy ---- */

struct ce_case {
	int n, k;
	double *logits;
	int *labels;
};

static double ce_loss(void *vp)
{
	struct ce_case *cc = vp;
	return ref_softmax_ce(NULL, NULL, cc->logits, cc->labels, cc->n, cc->k);
}

static void test_softmax_ce(struct tally *t, unsigned long long *rng)
{
	int n = 5, k = 7, labels[5] = {0, 6, 3, 3, 1};
	size_t nl = (size_t)n * k;
	struct ce_case cc = {n, k, dalloc(nl), labels};
	double *dl = dalloc(nl), *fl = dalloc(nl);
	ref_fill_uniform(cc.logits, nl, rng, -3.0, 3.0);
	fill_nan(dl, nl); /* dlogits is overwritten, never accumulated */
	ref_softmax_ce(dl, NULL, cc.logits, labels, n, k);
	fd_gradient(fl, cc.logits, nl, ce_loss, &cc);
	check(t, "softmax_ce 5x7 dlogits vs fd", dl, fl, nl, 1e-8,
	      1e-6); /* FD: atol 1e-8, rtol 1e-6 */

	/* Hand: {0,0} label 0 -> log 2; {1,3,3} ties go to index 1. */
	double l2[2] = {0, 0};
	int lab0 = 0;
	check_scalar(t, "softmax_ce loss hand log(2)", ref_softmax_ce(NULL, NULL, l2, &lab0, 1, 2),
		     log(2.0), 1e-15, 1e-15);
	double l3[6] = {1, 3, 3, 1, 3, 3};
	int lab3[2] = {1, 2}, correct = -1;
	ref_softmax_ce(NULL, &correct, l3, lab3, 2, 3);
	check_scalar(t, "softmax_ce correct: tie -> first max", correct, 1.0, 0.0, 0.0);
	/* Shift invariance: logits near 1000 would overflow exp() without the row max. */
	double big[3] = {1000, 1001, 1002}, small[3] = {0, 1, 2}, dbig[3], dsmall[3];
	int lab2 = 2;
	double lb = ref_softmax_ce(dbig, NULL, big, &lab2, 1, 3);
	double ls = ref_softmax_ce(dsmall, NULL, small, &lab2, 1, 3);
	check_scalar(t, "softmax_ce stable loss at 1000", lb, ls, 1e-12, 1e-12);
	check(t, "softmax_ce stable dlogits at 1000", dbig, dsmall, 3, 1e-12, 1e-12);
	free(cc.logits), free(dl), free(fl);
}

/* ---- gemm ---- */

static void test_gemm(struct tally *t, unsigned long long *rng, int m, int n, int k)
{
	for (int ta = 0; ta < 2; ta++)
		for (int tb = 0; tb < 2; tb++) {
			/* Stored shapes, each row padded by 2-3 unused columns to exercise the
			 * strides. */
			int ar = ta ? k : m, ac = ta ? m : k, br = tb ? n : k, bc = tb ? k : n;
			int lda = ac + 2, ldb = bc + 3, ldc = n + 2;
			double *a = dalloc((size_t)ar * lda), *b = dalloc((size_t)br * ldb);
			double *c = dalloc((size_t)m * ldc), *c0 = dalloc((size_t)m * ldc),
			       *want = dalloc((size_t)m * ldc);
			double *opa = dalloc((size_t)m * k),
			       *opb = dalloc((size_t)k * n); /* dense op(A), op(B) */
			ref_fill_uniform(a, (size_t)ar * lda, rng, -1.0, 1.0);
			ref_fill_uniform(b, (size_t)br * ldb, rng, -1.0, 1.0);
			ref_fill_uniform(c0, (size_t)m * ldc, rng, -1.0, 1.0);
			/* Walk each matrix in storage order and drop elements where op() puts them.
			 */
			for (int i = 0; i < ar; i++)
				for (int j = 0; j < ac; j++)
					opa[ta ? (size_t)j * k + i : (size_t)i * k + j] =
					    a[(size_t)i * lda + j];
			for (int i = 0; i < br; i++)
				for (int j = 0; j < bc; j++)
					opb[tb ? (size_t)j * n + i : (size_t)i * n + j] =
					    b[(size_t)i * ldb + j];
			double alpha = 0.75, betas[3] = {0.0, 1.0, 0.5};
			for (int bi = 0; bi < 3; bi++) {
				double beta = betas[bi];
				memcpy(c, c0, (size_t)m * ldc * sizeof(*c));
				memcpy(want, c0,
				       (size_t)m * ldc *
					   sizeof(*c)); /* padding columns must survive */
				if (beta == 0.0) /* BLAS: C is write-only, NaN must not leak */
					for (int i = 0; i < m; i++)
						fill_nan(c + (size_t)i * ldc, (size_t)n);
				for (int i = 0; i < m; i++)
					for (int j = 0; j < n; j++) {
						double s = 0.0;
						for (int p = 0; p < k; p++)
							s += opa[(size_t)i * k + p] *
							     opb[(size_t)p * n + j];
						size_t ij = (size_t)i * ldc + j;
						want[ij] =
						    alpha * s + (beta == 0.0 ? 0.0 : beta * c0[ij]);
					}
				ref_gemm(ta, tb, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
				char name[96];
				snprintf(name, sizeof(name),
					 "gemm %c%c m%d n%d k%d beta=%.1f vs naive", ta ? 'T' : 'N',
					 tb ? 'T' : 'N', m, n, k, beta);
				check(t, name, c, want, (size_t)m * ldc, 1e-13,
				      1e-13); /* same sums, same order */
			}
			free(a), free(b), free(c), free(c0), free(want), free(opa), free(opb);
		}
}

/* ---- sgd, add, scale ---- */

static void test_sgd(struct tally *t)
{
	/* lr 0.1, momentum 0.9, wd 0.01; param 1; grads 0.5 then -0.25. By hand:
	 * plain:    g1 = 0.51, buf = 0.51, p = 0.949;
	 *           g2 = -0.25 + 0.00949 = -0.24051, buf = 0.459 - 0.24051 = 0.21849,
	 *           p = 0.949 - 0.021849 = 0.927151
	 * nesterov: g1 = 0.51, buf = 0.51, step 0.51 + 0.459 = 0.969, p = 0.9031;
	 *           g2 = -0.25 + 0.009031 = -0.240969, buf = 0.459 - 0.240969 = 0.218031,
	 *           step = -0.240969 + 0.1962279 = -0.0447411, p = 0.90757411 */
	double grads[2] = {0.5, -0.25};
	for (int nest = 0; nest < 2; nest++) {
		double p = 1.0, buf = 0.0;
		for (int step = 0; step < 2; step++)
			ref_sgd_step(&p, &buf, &grads[step], 1, 0.1, 0.9, 0.01, nest);
		double got[2] = {p, buf};
		double want[2] = {nest ? 0.90757411 : 0.927151, nest ? 0.218031 : 0.21849};
		check(t,
		      nest ? "sgd nesterov two steps hand (param, buf)"
			   : "sgd momentum two steps hand (param, buf)",
		      got, want, 2, 1e-14, 1e-14); /* decimal literals vs binary: rounding only */
	}
	/* momentum 0 needs no buffer: p = 1 - 0.1*(0.5 + 0.01*1) = 0.949 */
	double p = 1.0;
	ref_sgd_step(&p, NULL, &grads[0], 1, 0.1, 0.0, 0.01, 0);
	check_scalar(t, "sgd momentum 0, buf NULL hand", p, 0.949, 1e-15, 1e-15);
}

static void test_elementwise(struct tally *t)
{
	double a[3] = {1, -2, 0.5}, b[3] = {3, 2, 0.25}, y[3], want_add[3] = {4, 0, 0.75};
	ref_add_forward(y, a, b, 3);
	check(t, "add forward hand", y, want_add, 3, 0.0, 0.0);
	double want_scale[3] = {4096, -8192, 2048}; /* powers of two: exact */
	ref_scale_inplace(a, 3, 4096.0);
	check(t, "scale_inplace hand", a, want_scale, 3, 0.0, 0.0);
}

int main(void)
{
	struct tally t = {0, 0};
	unsigned long long rng = 20240611ULL;

	test_conv_forward_hand(&t);
	/* stride {1,2} x pad {0,1} x kernel {1,3} on n=3 c=3 5x7 k=2, then a non-square kernel and
	 * an even input whose stride-2 output floors away the last row and column. */
	for (int stride = 1; stride <= 2; stride++)
		for (int pad = 0; pad <= 1; pad++)
			for (int ks = 1; ks <= 3; ks += 2)
				test_conv_fd(&t, &rng, 3, 3, 5, 7, 2, ks, ks, stride, pad);
	test_conv_fd(&t, &rng, 3, 3, 5, 7, 2, 3, 1, 1, 1);
	test_conv_fd(&t, &rng, 1, 3, 6, 8, 3, 3, 3, 2, 0);

	test_bn_hand(&t);
	test_bn_fd(&t, &rng, 3, 5, 7);
	test_bn_fd(&t, &rng, 1, 3, 33);
	test_relu(&t, &rng);
	test_maxpool(&t, &rng);
	test_avgpool(&t, &rng);
	test_linear(&t, &rng);
	test_softmax_ce(&t, &rng);
	test_gemm(&t, &rng, 3, 5, 7);
	test_gemm(&t, &rng, 1, 1, 1);
	test_gemm(&t, &rng, 33, 31, 65);
	test_sgd(&t);
	test_elementwise(&t);

	printf("%d passed, %d failed\n", t.passed, t.failed);
	return t.failed ? 1 : 0;
}
