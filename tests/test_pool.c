/* test_pool.c: max-pool 2x2 (odd sizes for the floor, ties to the first maximum) and global
 * average pool, forward and backward, against the double reference; NaN-poisoned outputs,
 * both beta values, bit-repeatable reductions, the shape checks, and the CPU and GPU launch
 * shapes of each kernel whichever device runs the test. */
#include "pool.h"
#include "ref.h"
#include "testutil.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static unsigned long long seed = 7;

/* Max-pool selects and copies: exact. beta 1 adds one float rounding of values <= 2. */
#define ATOL_EXACT 0.0
#define RTOL_EXACT 0.0
#define ATOL_ADD 1e-7
#define RTOL_ADD 1e-6
/* The average sums up to 1089 floats in [-1, 1) in float: error ~ sqrt(hw) * eps * max|x|,
 * then divides; 2e-6 absolute leaves a wide margin over the observed ~1e-7. */
#define ATOL_AVG 2e-6
#define RTOL_AVG 1e-5

/* The max-pool kernels' span (blocks of 4 windows per work-item) is 1 on GPUs and a whole row
 * on CPUs; span 0 here goes through the public call (the device's own choice), any other
 * through the op's own launch with that span, so both shapes are checked on every device. */
static ampcl_status maxpool_forward_span(struct ampcl_context *ctx, const struct ampcl_tensor *y,
					 const struct ampcl_tensor *x, unsigned span)
{
	if (!span)
		return ampcl_maxpool2_forward(ctx, y, x);
	return ampcl_maxpool2_forward_launch(ctx, y, x, span);
}

static ampcl_status maxpool_backward_span(struct ampcl_context *ctx, const struct ampcl_tensor *dx,
					  const struct ampcl_tensor *dy,
					  const struct ampcl_tensor *x, float beta, unsigned span)
{
	if (!span)
		return ampcl_maxpool2_backward(ctx, dx, dy, x, beta);
	return ampcl_maxpool2_backward_launch(ctx, dx, dy, x, beta, span);
}

/* The average's two forms: kind 0 the public call, 1 the one-plane-per-item kernel CPUs get,
 * 2 the lanes-per-plane tree GPUs get, here in groups of at most 16 so that groups hold several
 * planes and lanes stay partly empty on small maps. */
static ampcl_status avgpool_forward_kind(struct ampcl_context *ctx, const struct ampcl_tensor *y,
					 const struct ampcl_tensor *x, int kind)
{
	if (kind == 0)
		return ampcl_avgpool_forward(ctx, y, x);
	return ampcl_avgpool_forward_launch(ctx, y, x, kind == 1, 16);
}

/* ties: inputs drawn from {-1, 0, 1}, so most windows hold equal maxima */
static void check_maxpool_span(struct ampcl_context *ctx, int n, int c, int h, int w, int ties,
			       unsigned span)
{
	int xs[4] = {n, c, h, w}, ys[4] = {n, c, h / 2, w / 2};
	size_t nx = (size_t)n * c * h * w, ny = (size_t)n * c * (h / 2) * (w / 2);
	char name[160], what[96];
	snprintf(what, sizeof(what), "(%d,%d,%d,%d)%s span %u", n, c, h, w, ties ? " ties" : "",
		 span);
	struct tu_arena a;
	tu_arena_init(&a, "maxpool");
	struct ampcl_tensor x = tu_reserve(&a, "x", 4, xs), y = tu_reserve(&a, "y", 4, ys);
	struct ampcl_tensor dy = tu_reserve(&a, "dy", 4, ys), dx = tu_reserve(&a, "dx", 4, xs);
	tu_arena_commit(ctx, &a);

	float *hx = tu_malloc(nx * sizeof(float)), *hdx0 = tu_malloc(nx * sizeof(float));
	float *hdy = tu_malloc(ny * sizeof(float));
	float *got = tu_malloc(nx * sizeof(float)), *got2 = tu_malloc(nx * sizeof(float));
	tu_fill_uniform_f(hx, nx, &seed, -1.0f, 1.0f);
	if (ties)
		for (size_t i = 0; i < nx; i++)
			hx[i] = floorf(hx[i] * 1.5f + 0.5f); /* -1, 0 or 1 */
	tu_fill_uniform_f(hdy, ny, &seed, -1.0f, 1.0f);
	tu_fill_uniform_f(hdx0, nx, &seed, -1.0f, 1.0f);
	double *xd = tu_to_double(hx, nx), *dyd = tu_to_double(hdy, ny);
	double *yd = tu_malloc(ny * sizeof(double)), *dxd = tu_malloc(nx * sizeof(double));
	ref_maxpool2_forward(yd, xd, n, c, h, w);

	tu_ok(ampcl_tensor_write(ctx, &x, hx), "write x");
	tu_poison(ctx, &y);
	tu_ok(maxpool_forward_span(ctx, &y, &x, span), "maxpool forward");
	tu_ok(ampcl_tensor_read(ctx, &y, got), "read y");
	snprintf(name, sizeof(name), "maxpool forward %s", what);
	tu_compare(name, got, yd, ny, ATOL_EXACT, RTOL_EXACT);

	tu_ok(ampcl_tensor_write(ctx, &dy, hdy), "write dy");
	for (int beta = 0; beta <= 1; beta++) {
		if (beta) {
			tu_ok(ampcl_tensor_write(ctx, &dx, hdx0), "write dx");
			tu_float_to_double(dxd, hdx0, nx);
		} else {
			tu_poison(ctx, &dx);
			for (size_t i = 0; i < nx; i++)
				dxd[i] = NAN;
		}
		ref_maxpool2_backward(dxd, dyd, xd, n, c, h, w, beta);
		tu_ok(maxpool_backward_span(ctx, &dx, &dy, &x, (float)beta, span),
		      "maxpool backward");
		tu_ok(ampcl_tensor_read(ctx, &dx, got), "read dx");
		snprintf(name, sizeof(name), "maxpool backward %s beta %d", what, beta);
		tu_compare(name, got, dxd, nx, beta ? ATOL_ADD : ATOL_EXACT,
			   beta ? RTOL_ADD : RTOL_EXACT);
	}
	/* got holds the beta 1 result; a second run over the same dx must give the same bits */
	tu_ok(ampcl_tensor_write(ctx, &dx, hdx0), "write dx");
	tu_ok(maxpool_backward_span(ctx, &dx, &dy, &x, 1.0f, span), "maxpool backward again");
	tu_ok(ampcl_tensor_read(ctx, &dx, got2), "read dx");
	snprintf(name, sizeof(name), "maxpool backward %s repeatable", what);
	tu_check(!memcmp(got, got2, nx * sizeof(float)), name, "two runs bit-identical");

	free(hx), free(hdx0), free(hdy), free(got), free(got2);
	free(xd), free(dyd), free(yd), free(dxd);
	tu_arena_free(&a);
}

/* the public call, then spans 1 (the GPU shape), 2 (a row split over items) and a whole row */
static void check_maxpool(struct ampcl_context *ctx, int n, int c, int h, int w, int ties)
{
	unsigned row = (unsigned)((w / 2 + 3) / 4);
	check_maxpool_span(ctx, n, c, h, w, ties, 0);
	check_maxpool_span(ctx, n, c, h, w, ties, 1);
	if (row > 2)
		check_maxpool_span(ctx, n, c, h, w, ties, 2);
	if (row > 1)
		check_maxpool_span(ctx, n, c, h, w, ties, row);
}

static void check_avgpool(struct ampcl_context *ctx, int n, int c, int h, int w)
{
	int xs[4] = {n, c, h, w}, ys[2] = {n, c};
	int hw = h * w;
	size_t nx = (size_t)n * c * hw, ny = (size_t)n * c;
	char name[160], what[64];
	snprintf(what, sizeof(what), "(%d,%d,%d,%d)", n, c, h, w);
	struct tu_arena a;
	tu_arena_init(&a, "avgpool");
	struct ampcl_tensor x = tu_reserve(&a, "x", 4, xs), y = tu_reserve(&a, "y", 2, ys);
	struct ampcl_tensor dy = tu_reserve(&a, "dy", 2, ys), dx = tu_reserve(&a, "dx", 4, xs);
	tu_arena_commit(ctx, &a);

	float *hx = tu_malloc(nx * sizeof(float)), *hdx0 = tu_malloc(nx * sizeof(float));
	float *hdy = tu_malloc(ny * sizeof(float));
	float *got = tu_malloc(nx * sizeof(float)), *got2 = tu_malloc(nx * sizeof(float));
	tu_fill_uniform_f(hx, nx, &seed, -1.0f, 1.0f);
	tu_fill_uniform_f(hdy, ny, &seed, -1.0f, 1.0f);
	tu_fill_uniform_f(hdx0, nx, &seed, -1.0f, 1.0f);
	double *xd = tu_to_double(hx, nx), *dyd = tu_to_double(hdy, ny);
	double *yd = tu_malloc(ny * sizeof(double)), *dxd = tu_malloc(nx * sizeof(double));
	ref_avgpool_forward(yd, xd, n, c, hw);

	tu_ok(ampcl_tensor_write(ctx, &x, hx), "write x");
	for (int kind = 0; kind < 3; kind++) {
		tu_poison(ctx, &y);
		tu_ok(avgpool_forward_kind(ctx, &y, &x, kind), "avgpool forward");
		tu_ok(ampcl_tensor_read(ctx, &y, got), "read y");
		snprintf(name, sizeof(name), "avgpool forward %s form %d", what, kind);
		tu_compare(name, got, yd, ny, ATOL_AVG, RTOL_AVG);
		tu_poison(ctx, &y);
		tu_ok(avgpool_forward_kind(ctx, &y, &x, kind), "avgpool forward again");
		tu_ok(ampcl_tensor_read(ctx, &y, got2), "read y");
		snprintf(name, sizeof(name), "avgpool forward %s form %d repeatable", what, kind);
		tu_check(!memcmp(got, got2, ny * sizeof(float)), name, "two runs bit-identical");
	}

	tu_ok(ampcl_tensor_write(ctx, &dy, hdy), "write dy");
	for (int beta = 0; beta <= 1; beta++) {
		if (beta) {
			tu_ok(ampcl_tensor_write(ctx, &dx, hdx0), "write dx");
			tu_float_to_double(dxd, hdx0, nx);
		} else {
			tu_poison(ctx, &dx);
			for (size_t i = 0; i < nx; i++)
				dxd[i] = NAN;
		}
		ref_avgpool_backward(dxd, dyd, n, c, hw, beta);
		tu_ok(ampcl_avgpool_backward(ctx, &dx, &dy, (float)beta), "avgpool backward");
		tu_ok(ampcl_tensor_read(ctx, &dx, got), "read dx");
		snprintf(name, sizeof(name), "avgpool backward %s beta %d", what, beta);
		/* dy/hw is one float division, plus one add for beta 1 */
		tu_compare(name, got, dxd, nx, ATOL_ADD, RTOL_ADD);
	}
	free(hx), free(hdx0), free(hdy), free(got), free(got2);
	free(xd), free(dyd), free(yd), free(dxd);
	tu_arena_free(&a);
}

static void check_bad_args(struct ampcl_context *ctx)
{
	int x1[4] = {1, 3, 1, 5}, y1[4] = {1, 3, 1, 2}, x2[4] = {3, 3, 5, 7};
	int y2[4] = {3, 3, 3, 3}, p2[2] = {3, 4};
	struct tu_arena a;
	tu_arena_init(&a, "pool-bad");
	struct ampcl_tensor xa = tu_reserve(&a, "xa", 4, x1), ya = tu_reserve(&a, "ya", 4, y1);
	struct ampcl_tensor xb = tu_reserve(&a, "xb", 4, x2), yb = tu_reserve(&a, "yb", 4, y2);
	struct ampcl_tensor pb = tu_reserve(&a, "pb", 2, p2);
	tu_arena_commit(ctx, &a);
	int st = ampcl_maxpool2_forward(ctx, &ya, &xa);
	tu_check(st == AMPCL_ERR_INVALID_ARG, "maxpool h=1 refused", "status %d: %s", st,
		 ampcl_last_error());
	st = ampcl_maxpool2_forward(ctx, &yb, &xb);
	tu_check(st == AMPCL_ERR_INVALID_ARG, "maxpool wrong output shape refused", "status %d: %s",
		 st, ampcl_last_error());
	st = ampcl_avgpool_forward(ctx, &pb, &xb);
	tu_check(st == AMPCL_ERR_INVALID_ARG, "avgpool wrong output shape refused", "status %d: %s",
		 st, ampcl_last_error());
	tu_arena_free(&a);
}

int main(void)
{
	struct ampcl_context *ctx = tu_context();
	check_maxpool(ctx, 1, 1, 2, 2, 0);
	check_maxpool(ctx, 1, 3, 5, 7, 0);
	check_maxpool(ctx, 3, 1, 7, 5, 1);
	check_maxpool(ctx, 3, 33, 5, 5, 1);
	check_maxpool(ctx, 1, 3, 33, 33, 0);
	check_maxpool(ctx, 3, 3, 33, 7, 1);
	check_maxpool(ctx, 3, 3, 2, 33, 1);
	check_maxpool(ctx, 1, 33, 7, 19, 0);
	check_maxpool(ctx, 3, 1, 5, 17, 1);
	check_maxpool(ctx, 1, 3, 2, 16, 0);
	check_avgpool(ctx, 1, 1, 1, 1);
	check_avgpool(ctx, 3, 3, 5, 5);
	check_avgpool(ctx, 3, 33, 7, 7);
	check_avgpool(ctx, 1, 3, 33, 33);
	check_avgpool(ctx, 3, 33, 1, 1);
	check_avgpool(ctx, 1, 1, 5, 7);
	check_avgpool(ctx, 3, 1, 2, 2);
	check_avgpool(ctx, 1, 33, 2, 5);
	check_bad_args(ctx);
	ampcl_context_free(ctx);
	return tu_finish();
}
