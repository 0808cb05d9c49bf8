/* test_relu.c: ReLU and Clip (ReLU6) forward (out of place, in place, at unaligned offsets) and
 * backward against the double reference on odd sizes, NaN-poisoned outputs, both beta values,
 * repeatability; Clip's backward also against finite differences of its forward. */
#include "ref.h"
#include "relu.h"
#include "testutil.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static unsigned long long seed = 42;

/* ReLU is a selection and beta 1 a single float add: the device must match the reference
 * (computed in double from the same float inputs) to float rounding. */
#define ATOL_EXACT 0.0
#define RTOL_EXACT 0.0
#define ATOL_ADD 1e-7 /* one float rounding of dx + g, |values| <= 2 */
#define RTOL_ADD 1e-6

static void check_shape(struct ampcl_context *ctx, int n, int c, int h, int w)
{
	int shape[4] = {n, c, h, w};
	size_t count = (size_t)n * c * h * w;
	char name[128];
	struct tu_arena a;
	tu_arena_init(&a, "relu");
	struct ampcl_tensor x = tu_reserve(&a, "x", 4, shape);
	struct ampcl_tensor y = tu_reserve(&a, "y", 4, shape);
	struct ampcl_tensor dy = tu_reserve(&a, "dy", 4, shape);
	struct ampcl_tensor dx = tu_reserve(&a, "dx", 4, shape);
	tu_arena_commit(ctx, &a);

	float *hx = tu_malloc(count * sizeof(float)), *hdy = tu_malloc(count * sizeof(float));
	float *hdx0 = tu_malloc(count * sizeof(float)), *got = tu_malloc(count * sizeof(float));
	float *got2 = tu_malloc(count * sizeof(float));
	double *dxd = tu_malloc(count * sizeof(double)), *dyd = tu_malloc(count * sizeof(double));
	double *want = tu_malloc(count * sizeof(double)), *yd = tu_malloc(count * sizeof(double));
	tu_fill_uniform_f(hx, count, &seed, -1.0f, 1.0f);
	for (size_t i = 0; i < count; i += 7)
		hx[i] = 0.0f; /* exact zeros: neither forward nor backward may pass them */
	tu_fill_uniform_f(hdy, count, &seed, -1.0f, 1.0f);
	tu_fill_uniform_f(hdx0, count, &seed, -1.0f, 1.0f);
	tu_float_to_double(want, hx, count);
	ref_relu_forward(yd, want, count);

	/* forward, out of place */
	tu_ok(ampcl_tensor_write(ctx, &x, hx), "write x");
	tu_poison(ctx, &y);
	tu_ok(ampcl_relu_forward(ctx, &y, &x), "relu forward");
	tu_ok(ampcl_tensor_read(ctx, &y, got), "read y");
	snprintf(name, sizeof(name), "relu forward (%d,%d,%d,%d)", n, c, h, w);
	tu_compare(name, got, yd, count, ATOL_EXACT, RTOL_EXACT);
	tu_poison(ctx, &y);
	tu_ok(ampcl_relu_forward(ctx, &y, &x), "relu forward again");
	tu_ok(ampcl_tensor_read(ctx, &y, got2), "read y");
	snprintf(name, sizeof(name), "relu forward (%d,%d,%d,%d) repeatable", n, c, h, w);
	tu_check(!memcmp(got, got2, count * sizeof(float)), name, "two runs bit-identical");

	/* forward, in place: y and x the same view */
	tu_ok(ampcl_relu_forward(ctx, &x, &x), "relu forward in place");
	tu_ok(ampcl_tensor_read(ctx, &x, got), "read x");
	snprintf(name, sizeof(name), "relu forward in place (%d,%d,%d,%d)", n, c, h, w);
	tu_compare(name, got, yd, count, ATOL_EXACT, RTOL_EXACT);

	/* backward from y, both beta values; beta 0 over a NaN-poisoned dx */
	tu_float_to_double(dyd, hdy, count);
	tu_ok(ampcl_tensor_write(ctx, &dy, hdy), "write dy");
	for (int beta = 0; beta <= 1; beta++) {
		if (beta) {
			tu_ok(ampcl_tensor_write(ctx, &dx, hdx0), "write dx");
			tu_float_to_double(dxd, hdx0, count);
		} else {
			tu_poison(ctx, &dx);
			for (size_t i = 0; i < count; i++)
				dxd[i] = NAN;
		}
		ref_relu_backward(dxd, dyd, yd, count, beta);
		tu_ok(ampcl_relu_backward(ctx, &dx, &dy, &x, (float)beta), "relu backward");
		tu_ok(ampcl_tensor_read(ctx, &dx, got), "read dx");
		snprintf(name, sizeof(name), "relu backward (%d,%d,%d,%d) beta %d", n, c, h, w,
			 beta);
		tu_compare(name, got, dxd, count, beta ? ATOL_ADD : ATOL_EXACT,
			   beta ? RTOL_ADD : RTOL_EXACT);
	}
	/* scaled (amplification folded in): dx = beta*dx + 2.5*dy*(y > 0); 2.5*dy is one
	 * rounding, so the reference rounds it to float first */
	for (int beta = 0; beta <= 1; beta++) {
		for (size_t i = 0; i < count; i++)
			dyd[i] = (double)(2.5f * hdy[i]);
		if (beta) {
			tu_ok(ampcl_tensor_write(ctx, &dx, hdx0), "write dx");
			tu_float_to_double(dxd, hdx0, count);
		} else {
			tu_poison(ctx, &dx);
			for (size_t i = 0; i < count; i++)
				dxd[i] = NAN;
		}
		ref_relu_backward(dxd, dyd, yd, count, beta);
		tu_ok(ampcl_relu_backward_scaled(ctx, &dx, &dy, &x, 2.5f, (float)beta),
		      "relu backward scaled");
		tu_ok(ampcl_tensor_read(ctx, &dx, got), "read dx");
		snprintf(name, sizeof(name), "relu backward x2.5 (%d,%d,%d,%d) beta %d", n, c, h,
			 w, beta);
		tu_compare(name, got, dxd, count, beta ? ATOL_ADD : ATOL_EXACT,
			   beta ? RTOL_ADD : RTOL_EXACT);
	}
	tu_check(ampcl_relu_backward_scaled(ctx, &dx, &dy, &x, 0.0f, 0.0f) != AMPCL_OK &&
		     ampcl_relu_backward_scaled(ctx, &dx, &dy, &x, 1.0f, 0.5f) != AMPCL_OK,
		 "relu backward refuses scale 0 and beta 0.5", "both refused");
	free(hx), free(hdy), free(hdx0), free(got), free(got2);
	free(dxd), free(dyd), free(want), free(yd);
	tu_arena_free(&a);
}

/* Views that start 1 and 3 floats into a tensor: vload4 must not assume 16-byte alignment,
 * and the odd count leaves a partial tail. */
static void check_unaligned(struct ampcl_context *ctx)
{
	enum { N = 1031 };
	int shape[1] = {N + 3};
	struct tu_arena a;
	tu_arena_init(&a, "relu-unaligned");
	struct ampcl_tensor xs = tu_reserve(&a, "x", 1, shape);
	struct ampcl_tensor ys = tu_reserve(&a, "y", 1, shape);
	tu_arena_commit(ctx, &a);
	struct ampcl_tensor x = xs, y = ys;
	x.offset += 1 * sizeof(float);
	x.shape[0] = N;
	y.offset += 3 * sizeof(float);
	y.shape[0] = N;
	float hx[N], got[N + 3];
	double xd[N], want[N + 3];
	tu_fill_uniform_f(hx, N, &seed, -1.0f, 1.0f);
	tu_float_to_double(xd, hx, N);
	ref_relu_forward(want + 3, xd, N);
	want[0] = want[1] = want[2] = 7.0; /* the floats before the view stay as they were */
	tu_ok(ampcl_tensor_fill(ctx, &ys, 7.0f), "fill y");
	tu_ok(ampcl_tensor_write(ctx, &x, hx), "write x");
	tu_ok(ampcl_relu_forward(ctx, &y, &x), "relu forward unaligned");
	tu_ok(ampcl_tensor_read(ctx, &ys, got), "read y");
	tu_compare("relu forward, views at float offsets +1 and +3, n=1031", got, want, N + 3,
		   ATOL_EXACT, RTOL_EXACT);
	tu_arena_free(&a);
}

/* torch.relu propagates NaN; fmax(x, 0) would not. */
static void check_nan(struct ampcl_context *ctx)
{
	int shape[1] = {6};
	struct tu_arena a;
	tu_arena_init(&a, "relu-nan");
	struct ampcl_tensor x = tu_reserve(&a, "x", 1, shape);
	struct ampcl_tensor y = tu_reserve(&a, "y", 1, shape);
	tu_arena_commit(ctx, &a);
	float hx[6] = {NAN, -1.0f, -0.0f, 2.5f, -INFINITY, INFINITY}, got[6];
	tu_ok(ampcl_tensor_write(ctx, &x, hx), "write x");
	tu_poison(ctx, &y);
	tu_ok(ampcl_relu_forward(ctx, &y, &x), "relu forward nan");
	tu_ok(ampcl_tensor_read(ctx, &y, got), "read y");
	int ok = isnan(got[0]) && got[1] == 0.0f && got[2] == 0.0f && got[3] == 2.5f &&
		 got[4] == 0.0f && isinf(got[5]) && got[5] > 0;
	tu_check(ok, "relu forward special values",
		 "got %g %g %g %g %g %g (want nan 0 0 2.5 0 inf)", got[0], got[1], got[2], got[3],
		 got[4], got[5]);
	tu_arena_free(&a);
}

/* Clip at bounds lo, hi: forward (out of place and in place) and backward (both betas) against
 * the reference, inputs spread over and beyond the bounds with some exactly on them; then the
 * backward against central differences of the device's forward, at inputs 2h from any bound. */
static void check_clip(struct ampcl_context *ctx, size_t count, float lo, float hi)
{
	int shape[1] = {(int)count};
	char name[160];
	struct tu_arena a;
	tu_arena_init(&a, "clip");
	struct ampcl_tensor x = tu_reserve(&a, "x", 1, shape);
	struct ampcl_tensor y = tu_reserve(&a, "y", 1, shape);
	struct ampcl_tensor dy = tu_reserve(&a, "dy", 1, shape);
	struct ampcl_tensor dx = tu_reserve(&a, "dx", 1, shape);
	tu_arena_commit(ctx, &a);
	float *hx = tu_malloc(count * sizeof(float)), *hdy = tu_malloc(count * sizeof(float));
	float *got = tu_malloc(count * sizeof(float)), *hdx0 = tu_malloc(count * sizeof(float));
	double *xd = tu_malloc(count * sizeof(double)), *yd = tu_malloc(count * sizeof(double));
	double *dyd = tu_malloc(count * sizeof(double)), *dxd = tu_malloc(count * sizeof(double));
	float span = hi - lo;
	tu_fill_uniform_f(hx, count, &seed, lo - span, hi + span);
	for (size_t i = 0; i < count; i += 11)
		hx[i] = i % 2 ? lo : hi; /* on a bound: no gradient passes */
	tu_fill_uniform_f(hdy, count, &seed, -1.0f, 1.0f);
	tu_fill_uniform_f(hdx0, count, &seed, -1.0f, 1.0f);
	tu_float_to_double(xd, hx, count);
	ref_clip_forward(yd, xd, count, lo, hi);
	tu_ok(ampcl_tensor_write(ctx, &x, hx), "write x");
	tu_poison(ctx, &y);
	tu_ok(ampcl_clip_forward(ctx, &y, &x, lo, hi), "clip forward");
	tu_ok(ampcl_tensor_read(ctx, &y, got), "read y");
	snprintf(name, sizeof(name), "clip [%g, %g] forward, n=%zu", lo, hi, count);
	tu_compare(name, got, yd, count, ATOL_EXACT, RTOL_EXACT);
	tu_float_to_double(dyd, hdy, count);
	tu_ok(ampcl_tensor_write(ctx, &dy, hdy), "write dy");
	for (int beta = 0; beta <= 1; beta++) {
		if (beta) {
			tu_ok(ampcl_tensor_write(ctx, &dx, hdx0), "write dx");
			tu_float_to_double(dxd, hdx0, count);
		} else {
			tu_poison(ctx, &dx);
			for (size_t i = 0; i < count; i++)
				dxd[i] = NAN;
		}
		ref_clip_backward(dxd, dyd, yd, count, lo, hi, beta);
		tu_ok(ampcl_clip_backward(ctx, &dx, &dy, &y, lo, hi, (float)beta), "clip backward");
		tu_ok(ampcl_tensor_read(ctx, &dx, got), "read dx");
		snprintf(name, sizeof(name), "clip [%g, %g] backward, n=%zu, beta %d", lo, hi, count,
			 beta);
		tu_compare(name, got, dxd, count, beta ? ATOL_ADD : ATOL_EXACT,
			   beta ? RTOL_ADD : RTOL_EXACT);
	}
	/* in place, as the net may run it */
	tu_ok(ampcl_clip_forward(ctx, &x, &x, lo, hi), "clip forward in place");
	tu_ok(ampcl_tensor_read(ctx, &x, got), "read x");
	snprintf(name, sizeof(name), "clip [%g, %g] forward in place, n=%zu", lo, hi, count);
	tu_compare(name, got, yd, count, ATOL_EXACT, RTOL_EXACT);

	/* finite differences of L = sum(dy * clip(x)): dL/dx_i is dy_i inside, 0 outside */
	const float h = 1e-2f * span;
	for (size_t i = 0; i < count; i++) {
		float v = hx[i];
		if (fabsf(v - lo) < 2 * h || fabsf(v - hi) < 2 * h)
			hx[i] = v < lo + 2 * h ? lo - 3 * h : v > hi - 2 * h ? hi + 3 * h : v;
	}
	tu_ok(ampcl_tensor_write(ctx, &x, hx), "write x");
	tu_ok(ampcl_clip_forward(ctx, &y, &x, lo, hi), "clip forward");
	tu_ok(ampcl_clip_backward(ctx, &dx, &dy, &y, lo, hi, 0.0f), "clip backward");
	tu_ok(ampcl_tensor_read(ctx, &dx, got), "read dx");
	double worst = 0;
	float *yp = tu_malloc(count * sizeof(float)), *ym = tu_malloc(count * sizeof(float));
	for (size_t i = 0; i < count; i += 1 + count / 97) {
		float keep = hx[i];
		hx[i] = keep + h;
		tu_ok(ampcl_tensor_write(ctx, &x, hx), "write x+h");
		tu_ok(ampcl_clip_forward(ctx, &y, &x, lo, hi), "clip forward x+h");
		tu_ok(ampcl_tensor_read(ctx, &y, yp), "read");
		hx[i] = keep - h;
		tu_ok(ampcl_tensor_write(ctx, &x, hx), "write x-h");
		tu_ok(ampcl_clip_forward(ctx, &y, &x, lo, hi), "clip forward x-h");
		tu_ok(ampcl_tensor_read(ctx, &y, ym), "read");
		hx[i] = keep;
		double fd = 0;
		for (size_t k = 0; k < count; k++)
			fd += (double)hdy[k] * ((double)yp[k] - (double)ym[k]);
		fd /= 2.0 * ((double)(keep + h) - (double)keep);
		worst = fmax(worst, fabs(fd - got[i]));
	}
	snprintf(name, sizeof(name), "clip [%g, %g] backward against finite differences, n=%zu", lo,
		 hi, count);
	tu_check(worst < 1e-3, name, "max |fd - backward| %.2e", worst);
	free(yp), free(ym), free(hx), free(hdy), free(got), free(hdx0);
	free(xd), free(yd), free(dyd), free(dxd);
	tu_arena_free(&a);
}

static void check_bad_args(struct ampcl_context *ctx)
{
	int s1[1] = {5}, s2[1] = {6};
	struct tu_arena a;
	tu_arena_init(&a, "relu-bad");
	struct ampcl_tensor x = tu_reserve(&a, "x", 1, s1);
	struct ampcl_tensor y = tu_reserve(&a, "y", 1, s2);
	tu_arena_commit(ctx, &a);
	int st = ampcl_relu_forward(ctx, &y, &x);
	tu_check(st == AMPCL_ERR_INVALID_ARG, "relu forward size mismatch",
		 "status %d, message: %s", st, ampcl_last_error());
	st = ampcl_relu_backward(ctx, &x, &x, &y, 0.0f);
	tu_check(st == AMPCL_ERR_INVALID_ARG, "relu backward size mismatch",
		 "status %d, message: %s", st, ampcl_last_error());
	tu_arena_free(&a);
}

int main(void)
{
	struct ampcl_context *ctx = tu_context();
	check_shape(ctx, 1, 1, 1, 1);
	check_shape(ctx, 3, 3, 5, 7);
	check_shape(ctx, 3, 33, 7, 5);
	check_shape(ctx, 1, 33, 33, 33);
	check_unaligned(ctx);
	check_nan(ctx);
	check_clip(ctx, 1, 0.0f, 6.0f);
	check_clip(ctx, 1031, 0.0f, 6.0f);
	check_clip(ctx, 4099, -1.0f, 1.0f);
	check_bad_args(ctx);
	ampcl_context_free(ctx);
	return tu_finish();
}
