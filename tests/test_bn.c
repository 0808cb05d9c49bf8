/* test_bn.c: batch normalisation 2-D kernels against the double reference (tests/ref): training
 * forward with running stats, evaluation forward, backward with both betas, bits, bad input, and
 * the fused ReLU and amplification against the unfused passes, bit for bit. */
#include "bn.h"
#include "eltwise.h"
#include "ref.h"
#include "relu.h"
#include "testutil.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MOMENTUM 0.1f
#define EPS 1e-5f

struct bn_case {
	int n, c, hw;
	float lo, hi; /* x ~ U[lo, hi): 100 + U[0, 1) checks the variance against cancellation */
};

/* The device views of one case. */
struct bn_views {
	struct tu_arena a;
	/* y, x, dx, dy: (n, c, hw); the rest: (c) */
	struct ampcl_tensor y, x, dx, dy, mean, invstd, rm, rv, gamma, beta_p, dgamma, dbeta;
	struct ampcl_tensor y2, dy2, tmp; /* (n, c, hw): the unfused passes' own */
};

/* Host inputs of one case (float, what the device gets) and their double copies. */
struct bn_host {
	size_t nx, c;
	float *x, *dy, *dx0, *gamma, *beta_p, *rm, *rv, *dg0, *db0;
	double *x_d, *dy_d, *dx0_d, *gamma_d, *beta_p_d, *rm_d, *rv_d, *dg0_d, *db0_d;
};

static float *falloc(size_t n)
{
	return tu_malloc(n * sizeof(float));
}

static double *dalloc(size_t n)
{
	return tu_malloc(n * sizeof(double));
}

static void host_init(struct bn_host *h, const struct bn_case *k, unsigned long long *rng)
{
	h->nx = (size_t)k->n * k->c * k->hw;
	h->c = (size_t)k->c;
	h->x = falloc(h->nx), h->dy = falloc(h->nx), h->dx0 = falloc(h->nx);
	h->gamma = falloc(h->c), h->beta_p = falloc(h->c), h->rm = falloc(h->c);
	h->rv = falloc(h->c), h->dg0 = falloc(h->c), h->db0 = falloc(h->c);
	tu_fill_uniform_f(h->x, h->nx, rng, k->lo, k->hi);
	tu_fill_uniform_f(h->dy, h->nx, rng, -1.0f, 1.0f);
	tu_fill_uniform_f(h->dx0, h->nx, rng, -1.0f, 1.0f);
	tu_fill_uniform_f(h->gamma, h->c, rng, 0.5f, 1.5f);
	tu_fill_uniform_f(h->beta_p, h->c, rng, -1.0f, 1.0f);
	tu_fill_uniform_f(h->rm, h->c, rng, -1.0f, 1.0f);
	tu_fill_uniform_f(h->rv, h->c, rng, 0.5f, 2.0f);
	/* non-zero starting parameter gradients, so += is told apart from = */
	tu_fill_uniform_f(h->dg0, h->c, rng, -1.0f, 1.0f);
	tu_fill_uniform_f(h->db0, h->c, rng, -1.0f, 1.0f);
	h->x_d = tu_to_double(h->x, h->nx), h->dy_d = tu_to_double(h->dy, h->nx);
	h->dx0_d = tu_to_double(h->dx0, h->nx), h->gamma_d = tu_to_double(h->gamma, h->c);
	h->beta_p_d = tu_to_double(h->beta_p, h->c), h->rm_d = tu_to_double(h->rm, h->c);
	h->rv_d = tu_to_double(h->rv, h->c), h->dg0_d = tu_to_double(h->dg0, h->c);
	h->db0_d = tu_to_double(h->db0, h->c);
}

static void host_free(struct bn_host *h)
{
	float *f[] = {h->x, h->dy, h->dx0, h->gamma, h->beta_p, h->rm, h->rv, h->dg0, h->db0};
	double *d[] = {h->x_d,  h->dy_d, h->dx0_d, h->gamma_d, h->beta_p_d,
		       h->rm_d, h->rv_d, h->dg0_d, h->db0_d};
	for (size_t i = 0; i < sizeof(f) / sizeof(f[0]); i++)
		free(f[i]);
	for (size_t i = 0; i < sizeof(d) / sizeof(d[0]); i++)
		free(d[i]);
}

static void views_init(struct ampcl_context *ctx, struct bn_views *v, const struct bn_case *k)
{
	int big[3] = {k->n, k->c, k->hw}, small[1] = {k->c};
	tu_arena_init(&v->a, "bn test");
	v->y = tu_reserve(&v->a, "y", 3, big);
	v->x = tu_reserve(&v->a, "x", 3, big);
	v->dx = tu_reserve(&v->a, "dx", 3, big);
	v->dy = tu_reserve(&v->a, "dy", 3, big);
	v->mean = tu_reserve(&v->a, "save_mean", 1, small);
	v->invstd = tu_reserve(&v->a, "save_invstd", 1, small);
	v->rm = tu_reserve(&v->a, "run_mean", 1, small);
	v->rv = tu_reserve(&v->a, "run_var", 1, small);
	v->gamma = tu_reserve(&v->a, "gamma", 1, small);
	v->beta_p = tu_reserve(&v->a, "beta_p", 1, small);
	v->dgamma = tu_reserve(&v->a, "dgamma", 1, small);
	v->dbeta = tu_reserve(&v->a, "dbeta", 1, small);
	v->y2 = tu_reserve(&v->a, "y2", 3, big);
	v->dy2 = tu_reserve(&v->a, "dy2", 3, big);
	v->tmp = tu_reserve(&v->a, "tmp", 3, big);
	tu_arena_commit(ctx, &v->a);
}

static void put(struct ampcl_context *ctx, const struct ampcl_tensor *t, const float *src)
{
	tu_ok(ampcl_tensor_write(ctx, t, src), "tensor write");
}

static void get(struct ampcl_context *ctx, const struct ampcl_tensor *t, float *dst)
{
	tu_ok(ampcl_tensor_read(ctx, t, dst), "tensor read");
}

static int same_bits(const float *a, const float *b, size_t n)
{
	return memcmp(a, b, n * sizeof(float)) == 0;
}

/* Tolerances, each an (absolute, relative) pair, set about ten times above the largest miss
 * seen on PoCL; the reference works in double on the same float inputs, so every miss is the
 * kernels' float32 rounding. Large-mean inputs (100 + U[0, 1)) hold their spread of 0.29 in the
 * low bits of x (ulp(100) = 7.6e-6), so the mean's last bit moves y and invstd more; a variance
 * from sum(x^2) - sum(x)^2 in float would miss invstd there by far more than 1e-3. */
struct bn_tol {
	double y_a, y_r;       /* train y */
	double mean_a, mean_r; /* save_mean, run_mean */
	double var_a, var_r;   /* save_invstd, run_var */
	double ev_a, ev_r;     /* eval y: |y| reaches ~100 for large-mean x, not centred there */
	double dx_a, dx_r;     /* dx: dy less two means, an absolute error near zero */
	double dp_a, dp_r;     /* dgamma, dbeta: float sums over cnt = n*hw terms of size ~1 */
};

static struct bn_tol tol_for(const struct bn_case *k)
{
	double cnt = (double)k->n * k->hw;
	struct bn_tol t = {
	    .y_a = 4e-6,
	    .y_r = 1e-5,
	    .mean_a = 1e-6,
	    .mean_r = 1e-5,
	    .var_a = 1e-6,
	    .var_r = 2e-6,
	    .ev_a = 4e-6,
	    .ev_r = 2e-6,
	    .dx_a = 2e-6,
	    .dx_r = 1e-5,
	    .dp_a = 5e-6 + 3e-8 * cnt,
	    .dp_r = 1e-5,
	};
	if (k->lo >= 50.0f) {
		t.y_a = 2e-4;    /* the mean's rounding (~7e-6) times invstd (~3.5) */
		t.mean_r = 5e-7; /* a few ulp of 100 */
		t.var_r = 2e-5;
		t.dx_a = 8e-6;
	}
	return t;
}

/* Training forward: y, the saved statistics and the updated running statistics against the
 * reference, then the same run again for bit-identity. save_mean/save_invstd stay on the
 * device for the backward checks. */
static void check_forward_train(struct ampcl_context *ctx, const struct bn_case *k,
				struct bn_views *v, const struct bn_host *h, const struct bn_tol *t,
				const char *tag)
{
	struct ampcl_bn_shape s = {k->n, k->c, k->hw};
	size_t nx = h->nx, c = h->c;
	float *y = falloc(nx), *y2 = falloc(nx), *st = falloc(4 * c), *st2 = falloc(4 * c);
	double *wy = dalloc(nx), *wmean = dalloc(c), *winv = dalloc(c);
	double *wrm = dalloc(c), *wrv = dalloc(c);
	char name[160];

	memcpy(wrm, h->rm_d, c * sizeof(double));
	memcpy(wrv, h->rv_d, c * sizeof(double));
	ref_bn_forward_train(wy, wmean, winv, wrm, wrv, h->x_d, h->gamma_d, h->beta_p_d, k->n, k->c,
			     k->hw, MOMENTUM, EPS);

	for (int run = 0; run < 2; run++) {
		float *yr = run ? y2 : y, *str = run ? st2 : st;
		tu_poison(ctx, &v->y);
		tu_poison(ctx, &v->mean);
		tu_poison(ctx, &v->invstd);
		put(ctx, &v->rm, h->rm);
		put(ctx, &v->rv, h->rv);
		tu_ok(ampcl_bn_forward_train(ctx, &s, &v->y, &v->mean, &v->invstd, &v->rm, &v->rv,
					     &v->x, &v->gamma, &v->beta_p, MOMENTUM, EPS),
		      "ampcl_bn_forward_train");
		get(ctx, &v->y, yr);
		get(ctx, &v->mean, str);
		get(ctx, &v->invstd, str + c);
		get(ctx, &v->rm, str + 2 * c);
		get(ctx, &v->rv, str + 3 * c);
	}

	snprintf(name, sizeof(name), "%s train y", tag);
	tu_compare(name, y, wy, nx, t->y_a, t->y_r);
	snprintf(name, sizeof(name), "%s train save_mean", tag);
	tu_compare(name, st, wmean, c, t->mean_a, t->mean_r);
	snprintf(name, sizeof(name), "%s train save_invstd", tag);
	tu_compare(name, st + c, winv, c, t->var_a, t->var_r);
	snprintf(name, sizeof(name), "%s train run_mean", tag);
	tu_compare(name, st + 2 * c, wrm, c, t->mean_a, t->mean_r);
	snprintf(name, sizeof(name), "%s train run_var (unbiased)", tag);
	tu_compare(name, st + 3 * c, wrv, c, t->var_a, t->var_r);
	snprintf(name, sizeof(name), "%s train bits run after run", tag);
	tu_check(same_bits(y, y2, nx) && same_bits(st, st2, 4 * c), name,
		 "y and the four statistics compared with memcmp");

	free(y), free(y2), free(st), free(st2);
	free(wy), free(wmean), free(winv), free(wrm), free(wrv);
}

static void check_forward_eval(struct ampcl_context *ctx, const struct bn_case *k,
			       struct bn_views *v, const struct bn_host *h, const struct bn_tol *t,
			       const char *tag)
{
	struct ampcl_bn_shape s = {k->n, k->c, k->hw};
	float *y = falloc(h->nx);
	double *wy = dalloc(h->nx);
	char name[160];

	ref_bn_forward_eval(wy, h->x_d, h->gamma_d, h->beta_p_d, h->rm_d, h->rv_d, k->n, k->c,
			    k->hw, EPS);
	tu_poison(ctx, &v->y);
	put(ctx, &v->rm, h->rm);
	put(ctx, &v->rv, h->rv);
	tu_ok(ampcl_bn_forward_eval(ctx, &s, &v->y, &v->x, &v->gamma, &v->beta_p, &v->rm, &v->rv,
				    EPS),
	      "ampcl_bn_forward_eval");
	get(ctx, &v->y, y);
	snprintf(name, sizeof(name), "%s eval y", tag);
	tu_compare(name, y, wy, h->nx, t->ev_a, t->ev_r);
	free(y), free(wy);
}

/* Backward with beta 0 (dx NaN-poisoned) and 1 (dx holding dx0), dgamma/dbeta starting at
 * non-zero values; the reference gets the device's own saved statistics, so only the backward
 * is measured. beta 0 runs twice for bit-identity. */
static void check_backward(struct ampcl_context *ctx, const struct bn_case *k, struct bn_views *v,
			   const struct bn_host *h, const struct bn_tol *t, const char *tag)
{
	struct ampcl_bn_shape s = {k->n, k->c, k->hw};
	size_t nx = h->nx, c = h->c;
	float *mean = falloc(c), *invstd = falloc(c);
	float *dx = falloc(nx), *dx2 = falloc(nx), *dp = falloc(2 * c), *dp2 = falloc(2 * c);
	double *wdx = dalloc(nx), *wdg = dalloc(c), *wdb = dalloc(c);
	char name[160];

	get(ctx, &v->mean, mean);
	get(ctx, &v->invstd, invstd);
	double *mean_d = tu_to_double(mean, c), *invstd_d = tu_to_double(invstd, c);

	for (int beta = 0; beta <= 1; beta++) {
		if (beta)
			memcpy(wdx, h->dx0_d, nx * sizeof(double));
		memcpy(wdg, h->dg0_d, c * sizeof(double));
		memcpy(wdb, h->db0_d, c * sizeof(double));
		ref_bn_backward(wdx, wdg, wdb, h->dy_d, h->x_d, mean_d, invstd_d, h->gamma_d, k->n,
				k->c, k->hw, beta);
		for (int run = 0; run < 2 - beta; run++) {
			float *dxr = run ? dx2 : dx, *dpr = run ? dp2 : dp;
			if (beta)
				put(ctx, &v->dx, h->dx0);
			else
				tu_poison(ctx, &v->dx);
			put(ctx, &v->dgamma, h->dg0);
			put(ctx, &v->dbeta, h->db0);
			tu_ok(ampcl_bn_backward(ctx, &s, &v->dx, &v->dgamma, &v->dbeta, &v->dy,
						&v->x, &v->mean, &v->invstd, &v->gamma,
						(float)beta),
			      "ampcl_bn_backward");
			get(ctx, &v->dx, dxr);
			get(ctx, &v->dgamma, dpr);
			get(ctx, &v->dbeta, dpr + c);
		}
		snprintf(name, sizeof(name), "%s backward beta=%d dx", tag, beta);
		tu_compare(name, dx, wdx, nx, t->dx_a, t->dx_r);
		snprintf(name, sizeof(name), "%s backward beta=%d dgamma +=", tag, beta);
		tu_compare(name, dp, wdg, c, t->dp_a, t->dp_r);
		snprintf(name, sizeof(name), "%s backward beta=%d dbeta +=", tag, beta);
		tu_compare(name, dp + c, wdb, c, t->dp_a, t->dp_r);
		if (!beta) {
			snprintf(name, sizeof(name), "%s backward bits run after run", tag);
			tu_check(same_bits(dx, dx2, nx) && same_bits(dp, dp2, 2 * c), name,
				 "dx, dgamma and dbeta compared with memcmp");
		}
	}
	free(mean), free(invstd), free(mean_d), free(invstd_d);
	free(dx), free(dx2), free(dp), free(dp2), free(wdx), free(wdg), free(wdb);
}

/* The fused forward (BN then ReLU in one pass, training and evaluation) against BN then
 * ampcl_relu_forward, and the fused backward (the ReLU's mask recomputed, dy and dx scaled)
 * against ampcl_relu_backward, ampcl_amplify of dy, ampcl_bn_backward into a temporary,
 * ampcl_amplify of it and its add into dx: the same bits, both betas. The unfused passes are
 * the ones checked against the double reference above. */
static void check_fused(struct ampcl_context *ctx, const struct bn_case *k, struct bn_views *v,
			const struct bn_host *h, const char *tag)
{
	struct ampcl_bn_shape s = {k->n, k->c, k->hw};
	size_t nx = h->nx, c = h->c;
	float *a = falloc(nx), *b = falloc(nx), *pa = falloc(2 * c), *pb = falloc(2 * c);
	char name[200];
	struct ampcl_bn_fuse relu = {1, 1.0f, 1.0f};

	/* forward, training: y fused; y2 by the two passes (running stats reset before each) */
	for (int train = 1; train >= 0; train--) {
		for (int fused = 0; fused <= 1; fused++) {
			const struct ampcl_tensor *y = fused ? &v->y : &v->y2;
			put(ctx, &v->rm, h->rm);
			put(ctx, &v->rv, h->rv);
			const struct ampcl_bn_fuse *f = fused ? &relu : &AMPCL_BN_FUSE_NONE;
			if (train)
				tu_ok(ampcl_bn_forward_train_fused(ctx, &s, y, &v->mean, &v->invstd,
								   &v->rm, &v->rv, &v->x, &v->gamma,
								   &v->beta_p, MOMENTUM, EPS, f),
				      "bn forward train fused");
			else
				tu_ok(ampcl_bn_forward_eval_fused(ctx, &s, y, &v->x, &v->gamma,
								  &v->beta_p, &v->rm, &v->rv, EPS,
								  f),
				      "bn forward eval fused");
			if (!fused)
				tu_ok(ampcl_relu_forward(ctx, y, y), "relu forward");
		}
		get(ctx, &v->y, a);
		get(ctx, &v->y2, b);
		snprintf(name, sizeof(name), "%s fused %s forward + relu", tag,
			 train ? "training" : "evaluation");
		tu_check(same_bits(a, b, nx), name, "y of one pass against BN then ReLU, memcmp");
	}
	/* the training forward again: its statistics and the ReLU's output serve the backward */
	tu_ok(ampcl_bn_forward_train(ctx, &s, &v->y2, &v->mean, &v->invstd, &v->rm, &v->rv, &v->x,
				     &v->gamma, &v->beta_p, MOMENTUM, EPS),
	      "bn forward train");
	tu_ok(ampcl_relu_forward(ctx, &v->y2, &v->y2), "relu forward");

	static const float scales[][3] = {{1, 1, 1}, {1, 2, 1}, {1, 1, 1.5f}, {1, 0.75f, 3},
					  {0, 1.5f, 1}, {0, 1, 2}};
	for (size_t i = 0; i < sizeof(scales) / sizeof(scales[0]); i++) {
		struct ampcl_bn_fuse f = {(int)scales[i][0], scales[i][1], scales[i][2]};
		for (int beta = 0; beta <= 1; beta++) {
			/* fused: dx (dx0 or poison) += ..., dgamma, dbeta from dg0, db0 */
			if (beta)
				put(ctx, &v->dx, h->dx0);
			else
				tu_poison(ctx, &v->dx);
			put(ctx, &v->dgamma, h->dg0);
			put(ctx, &v->dbeta, h->db0);
			tu_ok(ampcl_bn_backward_fused(ctx, &s, &v->dx, &v->dgamma, &v->dbeta, &v->dy,
						      &v->x, &v->mean, &v->invstd, &v->gamma,
						      &v->beta_p, (float)beta, &f),
			      "bn backward fused");
			get(ctx, &v->dx, a);
			get(ctx, &v->dgamma, pa);
			get(ctx, &v->dbeta, pa + c);
			/* unfused: dy2 = relu'(dy) (or dy) * dy_scale; tmp = bn'(dy2) * dx_scale;
			 * dx = beta * dx + tmp */
			if (f.relu)
				tu_ok(ampcl_relu_backward(ctx, &v->dy2, &v->dy, &v->y2, 0.0f),
				      "relu backward");
			else
				tu_ok(ampcl_add_backward(ctx, &v->dy2, &v->dy, 0.0f), "copy");
			tu_ok(ampcl_amplify(ctx, &v->dy2, f.dy_scale), "amplify dy");
			if (beta)
				put(ctx, &v->dx, h->dx0);
			put(ctx, &v->dgamma, h->dg0);
			put(ctx, &v->dbeta, h->db0);
			tu_ok(ampcl_bn_backward(ctx, &s, &v->tmp, &v->dgamma, &v->dbeta, &v->dy2,
						&v->x, &v->mean, &v->invstd, &v->gamma, 0.0f),
			      "bn backward");
			tu_ok(ampcl_amplify(ctx, &v->tmp, f.dx_scale), "amplify dx");
			tu_ok(ampcl_add_backward(ctx, beta ? &v->dx : &v->dy2, &v->tmp, (float)beta),
			      "add into dx");
			get(ctx, beta ? &v->dx : &v->dy2, b);
			get(ctx, &v->dgamma, pb);
			get(ctx, &v->dbeta, pb + c);
			snprintf(name, sizeof(name),
				 "%s fused backward relu=%d dy_scale=%g dx_scale=%g beta=%d", tag,
				 f.relu, (double)f.dy_scale, (double)f.dx_scale, beta);
			tu_check(same_bits(a, b, nx) && same_bits(pa, pb, 2 * c), name,
				 "dx, dgamma and dbeta against the unfused passes, memcmp");
		}
	}
	free(a), free(b), free(pa), free(pb);
}

static void run_case(struct ampcl_context *ctx, const struct bn_case *k, unsigned long long *rng)
{
	struct bn_host h;
	struct bn_views v;
	struct bn_tol t = tol_for(k);
	char tag[96];
	snprintf(tag, sizeof(tag), "bn n%d c%d hw%d x~U[%g,%g)", k->n, k->c, k->hw, (double)k->lo,
		 (double)k->hi);

	host_init(&h, k, rng);
	views_init(ctx, &v, k);
	put(ctx, &v.x, h.x);
	put(ctx, &v.dy, h.dy);
	put(ctx, &v.gamma, h.gamma);
	put(ctx, &v.beta_p, h.beta_p);

	check_forward_train(ctx, k, &v, &h, &t, tag);
	check_forward_eval(ctx, k, &v, &h, &t, tag);
	check_backward(ctx, k, &v, &h, &t, tag);
	check_fused(ctx, k, &v, &h, tag);

	tu_arena_free(&v.a);
	host_free(&h);
}

/* One element per channel (n = 1, hw = 1): PyTorch raises in training mode; ampcl computes it
 * with the biased variance 0, as the reference does: y = beta_p exactly, run_var decays by
 * (1 - momentum), dx = 0 (each x is its own mean). */
static void check_cnt1(struct ampcl_context *ctx, unsigned long long *rng)
{
	struct bn_case k = {1, 3, 1, -2.0f, 2.0f};
	struct bn_host h;
	struct bn_views v;
	struct ampcl_bn_shape s = {1, 3, 1};
	float y[3], rv[3], dx[3];
	host_init(&h, &k, rng);
	views_init(ctx, &v, &k);
	put(ctx, &v.x, h.x);
	put(ctx, &v.dy, h.dy);
	put(ctx, &v.gamma, h.gamma);
	put(ctx, &v.beta_p, h.beta_p);
	put(ctx, &v.rm, h.rm);
	put(ctx, &v.rv, h.rv);
	tu_poison(ctx, &v.y);
	int st = ampcl_bn_forward_train(ctx, &s, &v.y, &v.mean, &v.invstd, &v.rm, &v.rv, &v.x,
					&v.gamma, &v.beta_p, MOMENTUM, EPS);
	tu_check(st == AMPCL_OK, "bn cnt=1 train accepted", "status %d (%s)", st,
		 ampcl_last_error());
	get(ctx, &v.y, y);
	get(ctx, &v.rv, rv);
	tu_check(memcmp(y, h.beta_p, sizeof(y)) == 0, "bn cnt=1 train y == beta_p exactly",
		 "y %g %g %g, beta_p %g %g %g", (double)y[0], (double)y[1], (double)y[2],
		 (double)h.beta_p[0], (double)h.beta_p[1], (double)h.beta_p[2]);
	double want_rv[3];
	for (int i = 0; i < 3; i++)
		want_rv[i] = (1.0 - MOMENTUM) * h.rv_d[i];
	tu_compare("bn cnt=1 run_var = (1-m)*run_var (biased var 0)", rv, want_rv, 3, 1e-7, 1e-6);
	tu_poison(ctx, &v.dx);
	tu_ok(ampcl_bn_backward(ctx, &s, &v.dx, &v.dgamma, &v.dbeta, &v.dy, &v.x, &v.mean,
				&v.invstd, &v.gamma, 0.0f),
	      "ampcl_bn_backward cnt=1");
	get(ctx, &v.dx, dx);
	double zero[3] = {0, 0, 0};
	tu_compare("bn cnt=1 backward dx = 0", dx, zero, 3, 0.0, 0.0);
	tu_arena_free(&v.a);
	host_free(&h);
}

/* Wrong sizes and values come back as AMPCL_ERR_INVALID_ARG with a message, before any launch. */
static void check_bad_input(struct ampcl_context *ctx, unsigned long long *rng)
{
	struct bn_case k = {3, 3, 25, -2.0f, 2.0f};
	struct bn_host h;
	struct bn_views v;
	host_init(&h, &k, rng);
	views_init(ctx, &v, &k);
	struct ampcl_bn_shape good = {3, 3, 25}, wrong_c = {3, 4, 25}, zero_n = {0, 3, 25};
	struct ampcl_tensor short_y = v.y;
	short_y.shape[2] = 24;
	int st;

	st = ampcl_bn_forward_train(ctx, &wrong_c, &v.y, &v.mean, &v.invstd, &v.rm, &v.rv, &v.x,
				    &v.gamma, &v.beta_p, MOMENTUM, EPS);
	tu_check(st == AMPCL_ERR_INVALID_ARG, "bn bad: shape c=4 on c=3 views", "status %d: %s", st,
		 ampcl_last_error());
	st = ampcl_bn_forward_train(ctx, &zero_n, &v.y, &v.mean, &v.invstd, &v.rm, &v.rv, &v.x,
				    &v.gamma, &v.beta_p, MOMENTUM, EPS);
	tu_check(st == AMPCL_ERR_INVALID_ARG, "bn bad: n=0", "status %d: %s", st,
		 ampcl_last_error());
	st = ampcl_bn_forward_eval(ctx, &good, &short_y, &v.x, &v.gamma, &v.beta_p, &v.rm, &v.rv,
				   EPS);
	tu_check(st == AMPCL_ERR_INVALID_ARG, "bn bad: eval y with 3*3*24 elements",
		 "status %d: %s", st, ampcl_last_error());
	st = ampcl_bn_forward_train(ctx, &good, &v.y, &v.mean, &v.invstd, &v.rm, &v.rv, &v.x,
				    &v.gamma, &v.beta_p, 1.5f, EPS);
	tu_check(st == AMPCL_ERR_INVALID_ARG, "bn bad: momentum 1.5", "status %d: %s", st,
		 ampcl_last_error());
	st =
	    ampcl_bn_forward_eval(ctx, &good, &v.y, &v.x, &v.gamma, &v.beta_p, &v.rm, &v.rv, -1.0f);
	tu_check(st == AMPCL_ERR_INVALID_ARG, "bn bad: eps -1", "status %d: %s", st,
		 ampcl_last_error());
	st = ampcl_bn_backward(ctx, &good, &v.dx, &v.dgamma, &v.dbeta, &v.dy, &v.x, &v.mean,
			       &v.invstd, &v.dbeta, 0.5f);
	tu_check(st == AMPCL_ERR_INVALID_ARG, "bn bad: backward beta 0.5", "status %d: %s", st,
		 ampcl_last_error());
	st = ampcl_bn_backward(ctx, &good, &v.dx, &v.dgamma, &v.dbeta, &v.dy, &v.x, &v.mean,
			       &v.invstd, NULL, 0.0f);
	tu_check(st == AMPCL_ERR_INVALID_ARG, "bn bad: backward gamma NULL", "status %d: %s", st,
		 ampcl_last_error());
	tu_arena_free(&v.a);
	host_free(&h);
}

int main(void)
{
	struct ampcl_context *ctx = tu_context();
	unsigned long long rng = 0x6e2d5b1aULL;
	/* n in {1, 3, 33, 65}, c in {1, 2, 3, 33}, hw in {1, 3, 25, 31, 49, 1024, 1089}: planes
	 * shorter than one vector (hw 1, 3: all tail), vectors with a tail (25, 31, 49, 1089) and
	 * none (1024, 16 floats a vector); n = 33 with hw = 25 makes a GPU's interleaved walk wrap
	 * across batch items. n = 65 at hw >= 1024 splits each channel into several chunks on
	 * both a CPU (65536 elements a chunk) and a GPU (16384), so the partials are folded, and
	 * gives a CPU's work-items long contiguous runs that end mid-plane. */
	static const struct bn_case cases[] = {
	    {3, 3, 25, -2.0f, 2.0f},   {1, 33, 49, -2.0f, 2.0f},     {3, 33, 1, -2.0f, 2.0f},
	    {3, 1, 1089, -2.0f, 2.0f}, {1, 3, 1089, 100.0f, 101.0f}, {3, 3, 49, 100.0f, 101.0f},
	    {33, 3, 25, -2.0f, 2.0f},  {1, 1, 25, 100.0f, 101.0f},   {3, 33, 31, -2.0f, 2.0f},
	    {1, 1, 3, -2.0f, 2.0f},    {65, 3, 1089, -2.0f, 2.0f},   {65, 2, 1024, 100.0f, 101.0f},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		run_case(ctx, &cases[i], &rng);
	check_cnt1(ctx, &rng);
	check_bad_input(ctx, &rng);
	ampcl_context_free(ctx);
	return tu_finish();
}
