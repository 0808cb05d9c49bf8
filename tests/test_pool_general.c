/* test_pool_general.c: max and average pooling in the general form (windows, strides, pads per
 * side, ceil_mode, count_include_pad) forward and backward against the double reference on odd
 * sizes with both betas; the average's backward against finite differences; the output sizes. */
#include "pool_general.h"
#include "ref.h"
#include "testutil.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static unsigned long long seed = 29;

static void check(struct ampcl_context *ctx, const char *what, struct ampcl_gpool_shape s,
		  int average)
{
	int P = ampcl_gpool_out_h(&s), Q = ampcl_gpool_out_w(&s);
	struct ref_gpool r = {s.n,  s.c,  s.h,  s.w,  s.kh, s.kw, s.sh, s.sw,
			      s.pt, s.pl, s.pb, s.pr, P,    Q,    s.count_include_pad};
	size_t nx = (size_t)s.n * s.c * s.h * s.w, ny = (size_t)s.n * s.c * P * Q;
	int sx[1] = {(int)nx}, sy[1] = {(int)ny};
	struct tu_arena a;
	tu_arena_init(&a, "gpool");
	struct ampcl_tensor x = tu_reserve(&a, "x", 1, sx), y = tu_reserve(&a, "y", 1, sy);
	struct ampcl_tensor dx = tu_reserve(&a, "dx", 1, sx), dy = tu_reserve(&a, "dy", 1, sy);
	tu_arena_commit(ctx, &a);
	float *hx = tu_malloc(nx * 4), *hdy = tu_malloc(ny * 4), *hd0 = tu_malloc(nx * 4);
	float *got = tu_malloc((nx > ny ? nx : ny) * 4), *yp = tu_malloc(ny * 4);
	double *xd = tu_malloc(nx * 8), *yd = tu_malloc(ny * 8), *dyd = tu_malloc(ny * 8);
	double *dxd = tu_malloc(nx * 8);
	tu_fill_uniform_f(hx, nx, &seed, -1.0f, 1.0f);
	tu_fill_uniform_f(hdy, ny, &seed, -1.0f, 1.0f);
	tu_fill_uniform_f(hd0, nx, &seed, -1.0f, 1.0f);
	tu_float_to_double(xd, hx, nx);
	tu_float_to_double(dyd, hdy, ny);
	tu_ok(ampcl_tensor_write(ctx, &x, hx), "write x");
	tu_ok(ampcl_tensor_write(ctx, &dy, hdy), "write dy");
	char name[200];
	const char *kind = average ? "average" : "max";
	ref_gpool_forward(&r, average, yd, xd);
	tu_poison(ctx, &y);
	tu_ok(ampcl_gpool_forward(ctx, &s, average, &y, &x), "forward");
	tu_ok(ampcl_tensor_read(ctx, &y, got), "read y");
	snprintf(name, sizeof(name), "%s pool %s forward (%dx%d out)", kind, what, P, Q);
	tu_compare(name, got, yd, ny, average ? 1e-6 : 0.0, average ? 1e-5 : 0.0);
	for (int beta = 0; beta <= 1; beta++) {
		if (beta) {
			tu_ok(ampcl_tensor_write(ctx, &dx, hd0), "write dx");
			tu_float_to_double(dxd, hd0, nx);
		} else {
			tu_poison(ctx, &dx);
		}
		ref_gpool_backward(&r, average, dxd, dyd, xd, beta);
		tu_ok(ampcl_gpool_backward(ctx, &s, average, &dx, &dy, &x, (float)beta), "backward");
		tu_ok(ampcl_tensor_read(ctx, &dx, got), "read dx");
		snprintf(name, sizeof(name), "%s pool %s backward, beta %d", kind, what, beta);
		tu_compare(name, got, dxd, nx, 1e-6, 1e-5);
	}
	if (average) { /* linear: central differences equal the gradient to rounding */
		tu_ok(ampcl_gpool_backward(ctx, &s, 1, &dx, &dy, &x, 0.0f), "backward");
		tu_ok(ampcl_tensor_read(ctx, &dx, got), "read dx");
		double worst = 0;
		const float h = 0.125f;
		for (size_t i = 0; i < nx; i += 1 + nx / 23) {
			float keep = hx[i];
			double l[2];
			for (int k = 0; k < 2; k++) {
				hx[i] = keep + (k ? -h : h);
				tu_ok(ampcl_tensor_write(ctx, &x, hx), "write");
				tu_ok(ampcl_gpool_forward(ctx, &s, 1, &y, &x), "forward");
				tu_ok(ampcl_tensor_read(ctx, &y, yp), "read");
				l[k] = 0;
				for (size_t j = 0; j < ny; j++)
					l[k] += (double)hdy[j] * yp[j];
			}
			hx[i] = keep;
			worst = fmax(worst, fabs((l[0] - l[1]) / (2.0 * h) - got[i]));
		}
		tu_ok(ampcl_tensor_write(ctx, &x, hx), "write back");
		snprintf(name, sizeof(name), "average pool %s backward against finite differences",
			 what);
		tu_check(worst < 1e-5, name, "max |fd - backward| %.2e", worst);
	}
	free(hx), free(hdy), free(hd0), free(got), free(yp), free(xd), free(yd), free(dyd), free(dxd);
	tu_arena_free(&a);
}

int main(void)
{
	struct ampcl_context *ctx = tu_context();
	/* output sizes: PyTorch's for these (floor, ceil without a window past the padding) */
	struct ampcl_gpool_shape stem = {2, 3, 9, 7, 3, 3, 2, 2, 1, 1, 1, 1, 0, 0};
	struct ampcl_gpool_shape ceil5 = {1, 2, 5, 5, 3, 3, 2, 2, 0, 0, 0, 0, 1, 0};
	struct ampcl_gpool_shape ceil6 = {1, 1, 6, 6, 2, 2, 2, 2, 1, 1, 1, 1, 1, 0};
	tu_check(ampcl_gpool_out_h(&stem) == 5 && ampcl_gpool_out_w(&stem) == 4 &&
		     ampcl_gpool_out_h(&ceil5) == 2 && ampcl_gpool_out_h(&ceil6) == 4,
		 "output sizes as PyTorch's", "%d %d %d %d", ampcl_gpool_out_h(&stem),
		 ampcl_gpool_out_w(&stem), ampcl_gpool_out_h(&ceil5), ampcl_gpool_out_h(&ceil6));
	for (int average = 0; average < 2; average++) {
		check(ctx, "3x3 stride 2 pad 1 (ImageNet stem)", stem, average);
		check(ctx, "2x2 stride 1", (struct ampcl_gpool_shape){2, 3, 7, 6, 2, 2, 1, 1, 0, 0, 0,
								       0, 0, 0},
		      average);
		check(ctx, "3x3 ceil_mode", ceil5, average);
		check(ctx, "2x2 stride 2 pad 1 ceil_mode", ceil6, average);
		check(ctx, "3x2 strides 2x1 pads 1 0 1 0",
		      (struct ampcl_gpool_shape){2, 2, 7, 5, 3, 2, 2, 1, 1, 0, 1, 0, 0, 0}, average);
	}
	check(ctx, "3x3 stride 1 pad 1 counting the padding",
	      (struct ampcl_gpool_shape){2, 3, 5, 6, 3, 3, 1, 1, 1, 1, 1, 1, 0, 1}, 1);
	check(ctx, "3x3 ceil_mode counting the padding",
	      (struct ampcl_gpool_shape){1, 2, 6, 6, 3, 3, 2, 2, 1, 1, 1, 1, 1, 1}, 1);
	ampcl_context_free(ctx);
	return tu_finish();
}
