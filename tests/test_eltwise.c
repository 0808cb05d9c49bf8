/* test_eltwise.c: the residual add (forward, backward with both beta values), amplification,
 * fill, the channel concatenation and slice and dropout against the double reference, on odd sizes,
 * unaligned views, NaN-poisoned outputs, bit-repeatability, factor 1 as a bit-exact no-op, size
 * mismatches refused; the backward of the concatenation, the slice and dropout against finite
 * differences too. */
#include "eltwise.h"
#include "ref.h"
#include "testutil.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static unsigned long long seed = 3;

/* one float rounding of a sum or product of values in [-1, 1) (times at most 2.5) */
#define ATOL_ONE 1e-7
#define RTOL_ONE 1e-6
#define ATOL_EXACT 0.0
#define RTOL_EXACT 0.0

static void check_count(struct ampcl_context *ctx, int n, int c, int h, int w)
{
	int shape[4] = {n, c, h, w};
	size_t count = (size_t)n * c * h * w;
	char name[128], what[64];
	snprintf(what, sizeof(what), "(%d,%d,%d,%d)", n, c, h, w);
	struct tu_arena ar;
	tu_arena_init(&ar, "eltwise");
	struct ampcl_tensor a = tu_reserve(&ar, "a", 4, shape), b = tu_reserve(&ar, "b", 4, shape);
	struct ampcl_tensor y = tu_reserve(&ar, "y", 4, shape);
	tu_arena_commit(ctx, &ar);

	float *ha = tu_malloc(count * sizeof(float)), *hb = tu_malloc(count * sizeof(float));
	float *got = tu_malloc(count * sizeof(float)), *got2 = tu_malloc(count * sizeof(float));
	double *ad = tu_malloc(count * sizeof(double)), *bd = tu_malloc(count * sizeof(double));
	double *want = tu_malloc(count * sizeof(double));
	tu_fill_uniform_f(ha, count, &seed, -1.0f, 1.0f);
	tu_fill_uniform_f(hb, count, &seed, -1.0f, 1.0f);
	tu_float_to_double(ad, ha, count);
	tu_float_to_double(bd, hb, count);
	tu_ok(ampcl_tensor_write(ctx, &a, ha), "write a");
	tu_ok(ampcl_tensor_write(ctx, &b, hb), "write b");

	/* forward */
	ref_add_forward(want, ad, bd, count);
	tu_poison(ctx, &y);
	tu_ok(ampcl_add_forward(ctx, &y, &a, &b), "add forward");
	tu_ok(ampcl_tensor_read(ctx, &y, got), "read y");
	snprintf(name, sizeof(name), "add forward %s", what);
	tu_compare(name, got, want, count, ATOL_ONE, RTOL_ONE);
	tu_poison(ctx, &y);
	tu_ok(ampcl_add_forward(ctx, &y, &a, &b), "add forward again");
	tu_ok(ampcl_tensor_read(ctx, &y, got2), "read y");
	snprintf(name, sizeof(name), "add forward %s repeatable", what);
	tu_check(!memcmp(got, got2, count * sizeof(float)), name, "two runs bit-identical");

	/* the add with the ReLU after it: max(a + b, 0), one rounding then a selection */
	for (size_t i = 0; i < count; i++)
		want[i] = (double)((float)(ad[i] + bd[i])) > 0 ? (double)(float)(ad[i] + bd[i]) : 0.0;
	tu_poison(ctx, &y);
	tu_ok(ampcl_add_relu_forward(ctx, &y, &a, &b), "add + relu forward");
	tu_ok(ampcl_tensor_read(ctx, &y, got), "read y");
	snprintf(name, sizeof(name), "add + relu forward %s", what);
	tu_compare(name, got, want, count, ATOL_EXACT, RTOL_EXACT);

	/* backward: dx = beta*dx + dy, with a as dy and y as dx */
	for (int beta = 0; beta <= 1; beta++) {
		if (beta) {
			tu_ok(ampcl_tensor_write(ctx, &y, hb), "write dx");
			ref_add_forward(want, bd, ad, count);
		} else {
			tu_poison(ctx, &y);
			memcpy(want, ad, count * sizeof(double));
		}
		tu_ok(ampcl_add_backward(ctx, &y, &a, (float)beta), "add backward");
		tu_ok(ampcl_tensor_read(ctx, &y, got), "read dx");
		snprintf(name, sizeof(name), "add backward %s beta %d", what, beta);
		tu_compare(name, got, want, count, beta ? ATOL_ONE : ATOL_EXACT,
			   beta ? RTOL_ONE : RTOL_EXACT);
	}

	/* amplification in place, then fill */
	tu_ok(ampcl_tensor_write(ctx, &y, ha), "write g");
	tu_ok(ampcl_amplify(ctx, &y, 2.5f), "amplify");
	tu_ok(ampcl_tensor_read(ctx, &y, got), "read g");
	memcpy(want, ad, count * sizeof(double));
	ref_scale_inplace(want, count, 2.5);
	snprintf(name, sizeof(name), "amplify x2.5 %s", what);
	tu_compare(name, got, want, count, ATOL_ONE, RTOL_ONE);
	tu_ok(ampcl_amplify(ctx, &y, 1.0f), "amplify by 1");
	tu_ok(ampcl_tensor_read(ctx, &y, got2), "read g");
	snprintf(name, sizeof(name), "amplify x1 %s is a no-op", what);
	tu_check(!memcmp(got, got2, count * sizeof(float)), name, "bits unchanged");

	tu_poison(ctx, &y);
	tu_ok(ampcl_fill(ctx, &y, -0.375f), "fill");
	tu_ok(ampcl_tensor_read(ctx, &y, got), "read y");
	for (size_t i = 0; i < count; i++)
		want[i] = -0.375;
	snprintf(name, sizeof(name), "fill %s", what);
	tu_compare(name, got, want, count, ATOL_EXACT, RTOL_EXACT);

	/* the join in place: y is the same view as a */
	tu_ok(ampcl_add_forward(ctx, &a, &a, &b), "add forward in place");
	tu_ok(ampcl_tensor_read(ctx, &a, got), "read a");
	ref_add_forward(want, ad, bd, count);
	snprintf(name, sizeof(name), "add forward in place %s", what);
	tu_compare(name, got, want, count, ATOL_ONE, RTOL_ONE);

	free(ha), free(hb), free(got), free(got2), free(ad), free(bd), free(want);
	tu_arena_free(&ar);
}

/* Views 1, 2 and 3 floats into their tensors: vload4/vstore4 need only float alignment, and
 * the floats around the views must stay untouched. */
static void check_unaligned(struct ampcl_context *ctx)
{
	enum { N = 1029, PAD = 4 };
	int shape[1] = {N + PAD};
	struct tu_arena ar;
	tu_arena_init(&ar, "eltwise-unaligned");
	struct ampcl_tensor as = tu_reserve(&ar, "a", 1, shape),
			    bs = tu_reserve(&ar, "b", 1, shape);
	struct ampcl_tensor ys = tu_reserve(&ar, "y", 1, shape);
	tu_arena_commit(ctx, &ar);
	struct ampcl_tensor a = as, b = bs, y = ys;
	a.offset += 1 * sizeof(float), b.offset += 2 * sizeof(float), y.offset += 3 * sizeof(float);
	a.shape[0] = b.shape[0] = y.shape[0] = N;
	float ha[N], hb[N], got[N + PAD];
	double ad[N], bd[N], want[N + PAD];
	tu_fill_uniform_f(ha, N, &seed, -1.0f, 1.0f);
	tu_fill_uniform_f(hb, N, &seed, -1.0f, 1.0f);
	tu_float_to_double(ad, ha, N);
	tu_float_to_double(bd, hb, N);
	tu_ok(ampcl_tensor_write(ctx, &a, ha), "write a");
	tu_ok(ampcl_tensor_write(ctx, &b, hb), "write b");
	tu_ok(ampcl_tensor_fill(ctx, &ys, 9.0f), "fill y");
	tu_ok(ampcl_add_forward(ctx, &y, &a, &b), "add forward unaligned");
	tu_ok(ampcl_tensor_read(ctx, &ys, got), "read y");
	for (int i = 0; i < N + PAD; i++)
		want[i] = 9.0;
	ref_add_forward(want + 3, ad, bd, N);
	tu_compare("add forward, views at float offsets +1 +2 +3, n=1029", got, want, N + PAD,
		   ATOL_ONE, RTOL_ONE);
	tu_ok(ampcl_fill(ctx, &y, 0.5f), "fill unaligned");
	tu_ok(ampcl_tensor_read(ctx, &ys, got), "read y");
	for (int i = 0; i < N; i++)
		want[3 + i] = 0.5;
	tu_compare("fill, view at float offset +3, n=1029", got, want, N + PAD, ATOL_EXACT,
		   RTOL_EXACT);
	tu_arena_free(&ar);
}

/* Channel concatenation: forward against the reference (exact copies), each input's backward with
 * both betas, and the backward against finite differences of the forward (the op is linear, so
 * the difference quotient must equal the gradient to rounding). */
static void check_concat(struct ampcl_context *ctx, int n, int ca, int cb, int hw)
{
	int sa[3] = {n, ca, hw}, sb[3] = {n, cb, hw}, sy[3] = {n, ca + cb, hw};
	size_t na = (size_t)n * ca * hw, nb = (size_t)n * cb * hw, ny = na + nb;
	char name[160];
	struct tu_arena ar;
	tu_arena_init(&ar, "concat");
	struct ampcl_tensor a = tu_reserve(&ar, "a", 3, sa), b = tu_reserve(&ar, "b", 3, sb);
	struct ampcl_tensor y = tu_reserve(&ar, "y", 3, sy), dy = tu_reserve(&ar, "dy", 3, sy);
	struct ampcl_tensor da = tu_reserve(&ar, "da", 3, sa), db = tu_reserve(&ar, "db", 3, sb);
	tu_arena_commit(ctx, &ar);
	float *ha = tu_malloc(na * 4 + 4), *hb = tu_malloc(nb * 4 + 4), *hdy = tu_malloc(ny * 4);
	float *got = tu_malloc(ny * 4), *hd0 = tu_malloc(ny * 4);
	double *ad = tu_malloc(na * 8 + 8), *bd = tu_malloc(nb * 8 + 8), *yd = tu_malloc(ny * 8);
	double *dyd = tu_malloc(ny * 8), *dxd = tu_malloc(ny * 8);
	tu_fill_uniform_f(ha, na, &seed, -1.0f, 1.0f);
	tu_fill_uniform_f(hb, nb, &seed, -1.0f, 1.0f);
	tu_fill_uniform_f(hdy, ny, &seed, -1.0f, 1.0f);
	tu_fill_uniform_f(hd0, ny, &seed, -1.0f, 1.0f);
	tu_float_to_double(ad, ha, na);
	tu_float_to_double(bd, hb, nb);
	tu_float_to_double(dyd, hdy, ny);
	ref_concat_forward(yd, ad, bd, n, ca, cb, hw);
	tu_ok(ampcl_tensor_write(ctx, &a, ha), "write a");
	tu_ok(ampcl_tensor_write(ctx, &b, hb), "write b");
	tu_poison(ctx, &y);
	tu_ok(ampcl_concat_forward(ctx, &y, &a, &b, n, ca, cb, hw), "concat forward");
	tu_ok(ampcl_tensor_read(ctx, &y, got), "read y");
	snprintf(name, sizeof(name), "concat forward n%d %d+%d channels hw%d", n, ca, cb, hw);
	tu_compare(name, got, yd, ny, 0.0, 0.0);
	tu_ok(ampcl_tensor_write(ctx, &dy, hdy), "write dy");
	for (int beta = 0; beta <= 1; beta++)
		for (int part = 0; part < 2; part++) {
			const struct ampcl_tensor *dx = part ? &db : &da;
			size_t cnt = part ? nb : na;
			int cs = part ? cb : ca, off = part ? ca : 0;
			if (beta) {
				tu_ok(ampcl_tensor_write(ctx, dx, hd0), "write dx");
				tu_float_to_double(dxd, hd0, cnt);
			} else {
				tu_poison(ctx, dx);
			}
			ref_concat_backward(dxd, dyd, n, cs, ca + cb, off, hw, beta);
			tu_ok(ampcl_concat_backward(ctx, dx, &dy, n, cs, ca + cb, off, hw,
						    (float)beta),
			      "concat backward");
			tu_ok(ampcl_tensor_read(ctx, dx, got), "read dx");
			snprintf(name, sizeof(name), "concat backward of %s, n%d %d+%d hw%d beta %d",
				 part ? "b" : "a", n, ca, cb, hw, beta);
			tu_compare(name, got, dxd, cnt, beta ? 1e-7 : 0.0, beta ? 1e-6 : 0.0);
		}
	/* L = sum(dy * concat(a, b)): dL/da = its part of dy, by central differences */
	tu_ok(ampcl_concat_backward(ctx, &da, &dy, n, ca, ca + cb, 0, hw, 0.0f), "backward a");
	float *gda = tu_malloc(na * 4 + 4), *yp = tu_malloc(ny * 4), *ym = tu_malloc(ny * 4);
	tu_ok(ampcl_tensor_read(ctx, &da, gda), "read da");
	double worst = 0;
	const float h = 0.25f;
	for (size_t i = 0; i < na; i += 1 + na / 37) {
		float keep = ha[i];
		ha[i] = keep + h;
		tu_ok(ampcl_tensor_write(ctx, &a, ha), "write a+h");
		tu_ok(ampcl_concat_forward(ctx, &y, &a, &b, n, ca, cb, hw), "forward");
		tu_ok(ampcl_tensor_read(ctx, &y, yp), "read");
		ha[i] = keep - h;
		tu_ok(ampcl_tensor_write(ctx, &a, ha), "write a-h");
		tu_ok(ampcl_concat_forward(ctx, &y, &a, &b, n, ca, cb, hw), "forward");
		tu_ok(ampcl_tensor_read(ctx, &y, ym), "read");
		ha[i] = keep;
		double fd = 0;
		for (size_t k = 0; k < ny; k++)
			fd += (double)hdy[k] * ((double)yp[k] - (double)ym[k]);
		worst = fmax(worst, fabs(fd / (2.0 * h) - gda[i]));
	}
	snprintf(name, sizeof(name), "concat backward against finite differences, n%d %d+%d hw%d", n,
		 ca, cb, hw);
	tu_check(worst < 1e-5, name, "max |fd - backward| %.2e", worst);
	free(ha), free(hb), free(hdy), free(got), free(hd0), free(gda), free(yp), free(ym);
	free(ad), free(bd), free(yd), free(dyd), free(dxd);
	tu_arena_free(&ar);
}

/* Channel slice (channels [off, off + cs) of cd): forward against the reference (exact copies),
 * backward with both betas (beta 0 over poison: the channels outside must be written as zeros),
 * and against finite differences of the forward. */
static void check_slice(struct ampcl_context *ctx, int n, int cd, int off, int cs, int hw)
{
	int sx[3] = {n, cd, hw}, sy[3] = {n, cs, hw};
	size_t nx = (size_t)n * cd * hw, ny = (size_t)n * cs * hw;
	char name[160];
	struct tu_arena ar;
	tu_arena_init(&ar, "slice");
	struct ampcl_tensor x = tu_reserve(&ar, "x", 3, sx), dx = tu_reserve(&ar, "dx", 3, sx);
	struct ampcl_tensor y = tu_reserve(&ar, "y", 3, sy), dy = tu_reserve(&ar, "dy", 3, sy);
	tu_arena_commit(ctx, &ar);
	float *hx = tu_malloc(nx * 4), *hdy = tu_malloc(ny * 4), *hd0 = tu_malloc(nx * 4);
	float *got = tu_malloc(nx * 4), *yp = tu_malloc(ny * 4), *ym = tu_malloc(ny * 4);
	double *xd = tu_malloc(nx * 8), *yd = tu_malloc(ny * 8), *dyd = tu_malloc(ny * 8);
	double *dxd = tu_malloc(nx * 8);
	tu_fill_uniform_f(hx, nx, &seed, -1.0f, 1.0f);
	tu_fill_uniform_f(hdy, ny, &seed, -1.0f, 1.0f);
	tu_fill_uniform_f(hd0, nx, &seed, -1.0f, 1.0f);
	tu_float_to_double(xd, hx, nx);
	tu_float_to_double(dyd, hdy, ny);
	ref_slice_forward(yd, xd, n, cs, cd, off, hw);
	tu_ok(ampcl_tensor_write(ctx, &x, hx), "write x");
	tu_poison(ctx, &y);
	tu_ok(ampcl_slice_forward(ctx, &y, &x, n, cs, cd, off, hw), "slice forward");
	tu_ok(ampcl_tensor_read(ctx, &y, got), "read y");
	snprintf(name, sizeof(name), "slice forward n%d channels %d..%d of %d hw%d", n, off,
		 off + cs, cd, hw);
	tu_compare(name, got, yd, ny, 0.0, 0.0);
	tu_ok(ampcl_tensor_write(ctx, &dy, hdy), "write dy");
	for (int beta = 0; beta <= 1; beta++) {
		if (beta) {
			tu_ok(ampcl_tensor_write(ctx, &dx, hd0), "write dx");
			tu_float_to_double(dxd, hd0, nx);
		} else {
			tu_poison(ctx, &dx);
		}
		ref_slice_backward(dxd, dyd, n, cs, cd, off, hw, beta);
		tu_ok(ampcl_slice_backward(ctx, &dx, &dy, n, cs, cd, off, hw, (float)beta),
		      "slice backward");
		tu_ok(ampcl_tensor_read(ctx, &dx, got), "read dx");
		snprintf(name, sizeof(name),
			 "slice backward n%d channels %d..%d of %d hw%d beta %d", n, off, off + cs,
			 cd, hw, beta);
		/* beta 1: one float addition each, so within an ulp of the double sum */
		tu_compare(name, got, dxd, nx, beta ? 1e-7 : 0.0, beta ? 1e-6 : 0.0);
	}
	/* L = sum(dy * slice(x)): dL/dx = dy at the slice's channels, 0 elsewhere */
	tu_ok(ampcl_slice_backward(ctx, &dx, &dy, n, cs, cd, off, hw, 0.0f), "backward");
	tu_ok(ampcl_tensor_read(ctx, &dx, got), "read dx");
	double worst = 0;
	const float h = 0.25f;
	for (size_t i = 0; i < nx; i += 1 + nx / 41) {
		float keep = hx[i];
		hx[i] = keep + h;
		tu_ok(ampcl_tensor_write(ctx, &x, hx), "write x+h");
		tu_ok(ampcl_slice_forward(ctx, &y, &x, n, cs, cd, off, hw), "forward");
		tu_ok(ampcl_tensor_read(ctx, &y, yp), "read");
		hx[i] = keep - h;
		tu_ok(ampcl_tensor_write(ctx, &x, hx), "write x-h");
		tu_ok(ampcl_slice_forward(ctx, &y, &x, n, cs, cd, off, hw), "forward");
		tu_ok(ampcl_tensor_read(ctx, &y, ym), "read");
		hx[i] = keep;
		double fd = 0;
		for (size_t k = 0; k < ny; k++)
			fd += (double)hdy[k] * ((double)yp[k] - (double)ym[k]);
		worst = fmax(worst, fabs(fd / (2.0 * h) - got[i]));
	}
	/* the op is linear: the difference quotient is the gradient up to rounding of the sum */
	snprintf(name, sizeof(name),
		 "slice backward against finite differences, n%d %d..%d of %d "
		 "hw%d",
		 n, off, off + cs, cd, hw);
	tu_check(worst < 1e-5, name, "max |fd - backward| %.2e (bound 1e-5)", worst);
	free(hx), free(hdy), free(hd0), free(got), free(yp), free(ym);
	free(xd), free(yd), free(dyd), free(dxd);
	tu_arena_free(&ar);
}

/* Dropout of ratio p: forward and backward (both betas) against the reference's mask and values,
 * the share kept within 5 sigma of 1 - p, another step drawing another mask, p 0 an exact copy,
 * and the backward against finite differences of the forward (linear for a fixed mask). */
static void check_dropout(struct ampcl_context *ctx, size_t count, float p)
{
	int shape[1] = {(int)count};
	char name[160];
	struct tu_arena ar;
	tu_arena_init(&ar, "dropout");
	struct ampcl_tensor x = tu_reserve(&ar, "x", 1, shape), y = tu_reserve(&ar, "y", 1, shape);
	struct ampcl_tensor dy = tu_reserve(&ar, "dy", 1, shape), dx = tu_reserve(&ar, "dx", 1, shape);
	tu_arena_commit(ctx, &ar);
	float *hx = tu_malloc(count * 4), *hdy = tu_malloc(count * 4), *got = tu_malloc(count * 4);
	float *hd0 = tu_malloc(count * 4), *got2 = tu_malloc(count * 4);
	double *xd = tu_malloc(count * 8), *yd = tu_malloc(count * 8), *dyd = tu_malloc(count * 8);
	double *dxd = tu_malloc(count * 8);
	tu_fill_uniform_f(hx, count, &seed, -1.0f, 1.0f);
	tu_fill_uniform_f(hdy, count, &seed, -1.0f, 1.0f);
	tu_fill_uniform_f(hd0, count, &seed, -1.0f, 1.0f);
	tu_float_to_double(xd, hx, count);
	tu_float_to_double(dyd, hdy, count);
	struct ampcl_dropout_draw d = {0x123456789abcdefULL, 7, 3, p};
	ref_dropout_forward(yd, xd, count, d.seed, d.step, d.salt, p);
	tu_ok(ampcl_tensor_write(ctx, &x, hx), "write x");
	tu_poison(ctx, &y);
	tu_ok(ampcl_dropout_forward(ctx, &y, &x, &d), "dropout forward");
	tu_ok(ampcl_tensor_read(ctx, &y, got), "read y");
	snprintf(name, sizeof(name), "dropout p %g forward, n=%zu", p, count);
	tu_compare(name, got, yd, count, 0.0, 1e-7); /* one rounding of x * scale */
	size_t kept = 0;
	for (size_t i = 0; i < count; i++)
		kept += got[i] != 0.0f;
	double mean = (1.0 - p) * (double)count, sd = sqrt((double)count * p * (1.0 - p));
	snprintf(name, sizeof(name), "dropout p %g keeps 1 - p of %zu", p, count);
	tu_check(fabs((double)kept - mean) <= 5 * sd + 1e-9, name, "%zu kept, %.1f expected", kept,
		 mean);
	tu_ok(ampcl_tensor_write(ctx, &dy, hdy), "write dy");
	for (int beta = 0; beta <= 1; beta++) {
		if (beta) {
			tu_ok(ampcl_tensor_write(ctx, &dx, hd0), "write dx");
			tu_float_to_double(dxd, hd0, count);
		} else {
			tu_poison(ctx, &dx);
		}
		ref_dropout_backward(dxd, dyd, count, d.seed, d.step, d.salt, p, beta);
		tu_ok(ampcl_dropout_backward(ctx, &dx, &dy, &d, (float)beta), "dropout backward");
		tu_ok(ampcl_tensor_read(ctx, &dx, got), "read dx");
		snprintf(name, sizeof(name), "dropout p %g backward, n=%zu, beta %d", p, count, beta);
		tu_compare(name, got, dxd, count, beta ? 1e-7 : 0.0, beta ? 2e-7 : 1e-7);
	}
	/* the next step draws another mask; p 0 copies */
	struct ampcl_dropout_draw next = d, none = d;
	next.step++;
	none.ratio = 0.0f;
	tu_ok(ampcl_dropout_forward(ctx, &y, &x, &next), "next step");
	tu_ok(ampcl_tensor_read(ctx, &y, got2), "read");
	tu_ok(ampcl_dropout_forward(ctx, &y, &x, &d), "this step again");
	tu_ok(ampcl_tensor_read(ctx, &y, got), "read");
	size_t differ = 0;
	for (size_t i = 0; i < count; i++)
		differ += (got[i] == 0.0f) != (got2[i] == 0.0f);
	snprintf(name, sizeof(name), "dropout p %g: another step, another mask, n=%zu", p, count);
	tu_check(p == 0.0f || count < 64 || differ > 0, name, "%zu decisions differ", differ);
	tu_ok(ampcl_dropout_forward(ctx, &y, &x, &none), "p 0");
	tu_ok(ampcl_tensor_read(ctx, &y, got2), "read");
	tu_check(!memcmp(got2, hx, count * 4), "dropout p 0 copies its input bit for bit", "n=%zu",
		 count);
	/* finite differences of L = sum(dy * dropout(x)) at a few elements */
	tu_ok(ampcl_dropout_backward(ctx, &dx, &dy, &d, 0.0f), "backward");
	tu_ok(ampcl_tensor_read(ctx, &dx, got2), "read dx");
	double worst = 0;
	const float h = 0.125f;
	for (size_t i = 0; i < count; i += 1 + count / 29) {
		float keep = hx[i], yp, ym;
		struct ampcl_tensor yi = y, xi = x;
		(void)xi;
		hx[i] = keep + h;
		tu_ok(ampcl_tensor_write(ctx, &x, hx), "write");
		tu_ok(ampcl_dropout_forward(ctx, &y, &x, &d), "forward");
		tu_ok(ampcl_tensor_read(ctx, &yi, got), "read");
		yp = got[i];
		hx[i] = keep - h;
		tu_ok(ampcl_tensor_write(ctx, &x, hx), "write");
		tu_ok(ampcl_dropout_forward(ctx, &y, &x, &d), "forward");
		tu_ok(ampcl_tensor_read(ctx, &yi, got), "read");
		ym = got[i];
		hx[i] = keep;
		double fd = (double)hdy[i] * ((double)yp - (double)ym) / (2.0 * h);
		worst = fmax(worst, fabs(fd - got2[i]));
	}
	snprintf(name, sizeof(name), "dropout p %g backward against finite differences, n=%zu", p,
		 count);
	tu_check(worst < 1e-5, name, "max |fd - backward| %.2e", worst);
	free(hx), free(hdy), free(got), free(hd0), free(got2), free(xd), free(yd), free(dyd), free(dxd);
	tu_arena_free(&ar);
}

static void check_bad_args(struct ampcl_context *ctx)
{
	int s5[1] = {5}, s6[1] = {6};
	struct tu_arena ar;
	tu_arena_init(&ar, "eltwise-bad");
	struct ampcl_tensor a = tu_reserve(&ar, "a", 1, s5), b = tu_reserve(&ar, "b", 1, s6);
	struct ampcl_tensor unc = a;
	int st = ampcl_fill(ctx, &unc, 1.0f);
	tu_check(st == AMPCL_ERR_INVALID_ARG, "fill before commit refused", "status %d: %s", st,
		 ampcl_last_error());
	tu_arena_commit(ctx, &ar);
	st = ampcl_add_forward(ctx, &a, &a, &b);
	tu_check(st == AMPCL_ERR_INVALID_ARG, "add forward size mismatch refused", "status %d: %s",
		 st, ampcl_last_error());
	st = ampcl_add_backward(ctx, &b, &a, 1.0f);
	tu_check(st == AMPCL_ERR_INVALID_ARG, "add backward size mismatch refused", "status %d: %s",
		 st, ampcl_last_error());
	struct ampcl_tensor past = b;
	past.offset += 64 * sizeof(float);
	st = ampcl_amplify(ctx, &past, 2.0f);
	tu_check(st == AMPCL_ERR_INVALID_ARG, "view past the arena refused", "status %d: %s", st,
		 ampcl_last_error());
	tu_arena_free(&ar);
}

int main(void)
{
	struct ampcl_context *ctx = tu_context();
	check_count(ctx, 1, 1, 1, 1);
	check_count(ctx, 1, 3, 5, 7);
	check_count(ctx, 3, 33, 7, 7);
	check_count(ctx, 3, 33, 33, 5);
	check_unaligned(ctx);
	check_concat(ctx, 1, 1, 1, 1);
	check_concat(ctx, 3, 5, 2, 7);
	check_concat(ctx, 2, 13, 29, 33);
	check_slice(ctx, 1, 1, 0, 1, 1);
	check_slice(ctx, 3, 31, 5, 7, 3);
	check_slice(ctx, 2, 33, 0, 31, 65);
	check_slice(ctx, 1, 63, 62, 1, 33);
	check_dropout(ctx, 1, 0.5f);
	check_dropout(ctx, 1031, 0.5f);
	check_dropout(ctx, 4099, 0.2f);
	check_dropout(ctx, 777, 0.0f);
	check_bad_args(ctx);
	ampcl_context_free(ctx);
	return tu_finish();
}
