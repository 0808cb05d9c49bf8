/* test_conv_general.c: the general convolution (depthwise, grouped, dilated, padded per side,
 * rectangular kernels and strides) forward and backward against the double reference on odd
 * sizes, both betas, and the input and weight gradients against finite differences. */
#include "conv_general.h"
#include "ref.h"
#include "testutil.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static unsigned long long seed = 17;

/* sums of at most a few hundred float products of values in [-1, 1) */
#define ATOL 2e-5
#define RTOL 1e-4

static double loss_of(const float *y, const float *g, size_t n)
{
	double sum = 0;
	for (size_t i = 0; i < n; i++)
		sum += (double)g[i] * y[i];
	return sum;
}

static void check(struct ampcl_context *ctx, const char *what, struct ampcl_gconv_shape s,
		  int bias)
{
	struct ref_gconv r = {s.n,  s.c,  s.h,  s.w,  s.k,  s.kh, s.kw, s.sh,
			      s.sw, s.pt, s.pl, s.pb, s.pr, s.dh, s.dw, s.groups};
	int P = ampcl_gconv_out_h(&s), Q = ampcl_gconv_out_w(&s), rp, rq;
	ref_gconv_out(&r, &rp, &rq);
	size_t nx = (size_t)s.n * s.c * s.h * s.w, ny = (size_t)s.n * s.k * P * Q,
	       nw = (size_t)s.k * (s.c / s.groups) * s.kh * s.kw, nb = (size_t)s.k;
	int sx[1] = {(int)nx}, sy[1] = {(int)ny}, sw[1] = {(int)nw}, sb[1] = {(int)nb};
	struct tu_arena a;
	tu_arena_init(&a, "gconv");
	struct ampcl_tensor x = tu_reserve(&a, "x", 1, sx), y = tu_reserve(&a, "y", 1, sy);
	struct ampcl_tensor w = tu_reserve(&a, "w", 1, sw), b = tu_reserve(&a, "b", 1, sb);
	struct ampcl_tensor dx = tu_reserve(&a, "dx", 1, sx), dy = tu_reserve(&a, "dy", 1, sy);
	struct ampcl_tensor dw = tu_reserve(&a, "dw", 1, sw), db = tu_reserve(&a, "db", 1, sb);
	tu_arena_commit(ctx, &a);
	float *hx = tu_malloc(nx * 4), *hw = tu_malloc(nw * 4), *hb = tu_malloc(nb * 4);
	float *hdy = tu_malloc(ny * 4), *hdx0 = tu_malloc(nx * 4);
	float *got = tu_malloc((nx > ny ? nx : ny) * 4 + nw * 4);
	double *xd = tu_malloc(nx * 8), *wd = tu_malloc(nw * 8), *bd = tu_malloc(nb * 8);
	double *yd = tu_malloc(ny * 8), *dyd = tu_malloc(ny * 8), *dxd = tu_malloc(nx * 8);
	double *dwd = tu_malloc(nw * 8), *dbd = tu_malloc(nb * 8);
	tu_fill_uniform_f(hx, nx, &seed, -1.0f, 1.0f);
	tu_fill_uniform_f(hw, nw, &seed, -1.0f, 1.0f);
	tu_fill_uniform_f(hb, nb, &seed, -1.0f, 1.0f);
	tu_fill_uniform_f(hdy, ny, &seed, -1.0f, 1.0f);
	tu_fill_uniform_f(hdx0, nx, &seed, -1.0f, 1.0f);
	tu_float_to_double(xd, hx, nx);
	tu_float_to_double(wd, hw, nw);
	tu_float_to_double(bd, hb, nb);
	tu_float_to_double(dyd, hdy, ny);
	tu_ok(ampcl_tensor_write(ctx, &x, hx), "write x");
	tu_ok(ampcl_tensor_write(ctx, &w, hw), "write w");
	tu_ok(ampcl_tensor_write(ctx, &b, hb), "write b");
	tu_ok(ampcl_tensor_write(ctx, &dy, hdy), "write dy");
	char name[200];
	tu_check(P == rp && Q == rq, "output size as the reference's", "%dx%d and %dx%d", P, Q, rp,
		 rq);

	ref_gconv_forward(&r, yd, xd, wd, bias ? bd : NULL);
	tu_poison(ctx, &y);
	tu_ok(ampcl_gconv_forward(ctx, &s, &y, &x, &w, bias ? &b : NULL), "forward");
	tu_ok(ampcl_tensor_read(ctx, &y, got), "read y");
	snprintf(name, sizeof(name), "%s forward", what);
	tu_compare(name, got, yd, ny, ATOL, RTOL);

	/* the weight gradients sum n*p*q products: float32's error grows as its square root */
	double grow = sqrt((double)s.n * P * Q) / 100.0;
	double wtol_a = ATOL * (grow > 1 ? grow : 1), wtol_r = RTOL * (grow > 1 ? grow : 1);
	for (int beta = 0; beta <= 1; beta++) {
		if (beta) {
			tu_ok(ampcl_tensor_write(ctx, &dx, hdx0), "write dx");
			tu_float_to_double(dxd, hdx0, nx);
		} else {
			tu_poison(ctx, &dx);
		}
		ref_gconv_backward(&r, dxd, dwd, dbd, dyd, xd, wd, beta);
		tu_poison(ctx, &dw);
		tu_poison(ctx, &db);
		tu_ok(ampcl_gconv_backward(ctx, &s, &dx, &dw, bias ? &db : NULL, &dy, &x, &w,
					   (float)beta),
		      "backward");
		tu_ok(ampcl_tensor_read(ctx, &dx, got), "read dx");
		snprintf(name, sizeof(name), "%s backward dx, beta %d", what, beta);
		tu_compare(name, got, dxd, nx, ATOL, RTOL);
		tu_ok(ampcl_tensor_read(ctx, &dw, got), "read dw");
		snprintf(name, sizeof(name), "%s backward dw, beta %d", what, beta);
		tu_compare(name, got, dwd, nw, wtol_a, wtol_r);
		if (bias) {
			tu_ok(ampcl_tensor_read(ctx, &db, got), "read db");
			snprintf(name, sizeof(name), "%s backward db, beta %d", what, beta);
			tu_compare(name, got, dbd, nb, wtol_a, wtol_r);
		}
	}

	/* L = sum(dy * y): central differences of the device's forward in x and in w (small
	 * shapes: each difference runs the whole forward twice) */
	if (ny > 20000) {
		free(hx), free(hw), free(hb), free(hdy), free(hdx0), free(got);
		free(xd), free(wd), free(bd), free(yd), free(dyd), free(dxd), free(dwd), free(dbd);
		tu_arena_free(&a);
		return;
	}
	float *gx = tu_malloc(nx * 4), *gw = tu_malloc(nw * 4), *yp = tu_malloc(ny * 4);
	tu_ok(ampcl_gconv_backward(ctx, &s, &dx, &dw, NULL, &dy, &x, &w, 0.0f), "backward");
	tu_ok(ampcl_tensor_read(ctx, &dx, gx), "read dx");
	tu_ok(ampcl_tensor_read(ctx, &dw, gw), "read dw");
	double worst = 0;
	const float h = 1.0f / 64;
	for (int which = 0; which < 2; which++) {
		float *v = which ? hw : hx, *g = which ? gw : gx;
		size_t n = which ? nw : nx;
		struct ampcl_tensor *t = which ? &w : &x;
		for (size_t i = 0; i < n; i += 1 + n / 13) {
			float keep = v[i];
			double l[2];
			for (int sgn = 0; sgn < 2; sgn++) {
				v[i] = keep + (sgn ? -h : h);
				tu_ok(ampcl_tensor_write(ctx, t, v), "write");
				tu_ok(ampcl_gconv_forward(ctx, &s, &y, &x, &w, NULL), "forward");
				tu_ok(ampcl_tensor_read(ctx, &y, yp), "read");
				l[sgn] = loss_of(yp, hdy, ny);
			}
			v[i] = keep;
			tu_ok(ampcl_tensor_write(ctx, t, v), "write back");
			double fd = (l[0] - l[1]) / (2.0 * h);
			worst = fmax(worst, fabs(fd - g[i]) / fmax(1.0, fabs(fd)));
		}
	}
	snprintf(name, sizeof(name), "%s backward against finite differences", what);
	tu_check(worst < 1e-3, name, "max relative difference %.2e", worst);
	free(gx), free(gw), free(yp);
	free(hx), free(hw), free(hb), free(hdy), free(hdx0), free(got);
	free(xd), free(wd), free(bd), free(yd), free(dyd), free(dxd), free(dwd), free(dbd);
	tu_arena_free(&a);
}

int main(void)
{
	struct ampcl_context *ctx = tu_context();
	/* n c h w k kh kw sh sw pt pl pb pr dh dw groups */
	check(ctx, "depthwise 3x3 (MobileNet)", (struct ampcl_gconv_shape){3, 6, 9, 7, 6, 3, 3, 1, 1,
									  1, 1, 1, 1, 1, 1, 6},
	      1);
	check(ctx, "depthwise 3x3 stride 2", (struct ampcl_gconv_shape){2, 5, 11, 10, 5, 3, 3, 2, 2,
									1, 1, 1, 1, 1, 1, 5},
	      0);
	check(ctx, "grouped, 2 groups, 2 outputs each", (struct ampcl_gconv_shape){2, 4, 7, 7, 8, 3, 3,
										   1, 1, 0, 0, 0,
										   0, 1, 1, 2},
	      1);
	check(ctx, "dilation 2", (struct ampcl_gconv_shape){2, 3, 9, 9, 4, 3, 3, 1, 1, 2, 2, 2, 2, 2, 2,
							     1},
	      1);
	check(ctx, "asymmetric pads, 3x2 kernel, strides 2x1",
	      (struct ampcl_gconv_shape){2, 3, 8, 7, 5, 3, 2, 2, 1, 0, 1, 1, 0, 1, 1, 1}, 0);
	/* a weight gradient summing over 72000 positions: past 65535 loop iterations, which
	 * llvmpipe would end silently (its profile cuts the sum into launches) */
	check(ctx, "depthwise over 72000 positions", (struct ampcl_gconv_shape){3, 2, 160, 150, 2, 3, 3,
									     1, 1, 1, 1, 1, 1,
									     1, 1, 2},
	      1);
	check(ctx, "one image, one channel, 1x1", (struct ampcl_gconv_shape){1, 1, 1, 1, 1, 1, 1, 1, 1,
									 0, 0, 0, 0, 1, 1, 1},
	      1);
	ampcl_context_free(ctx);
	return tu_finish();
}
