/* test_conv.c: conv2d forward and backward against the double reference: kernel 1/3/5, stride
 * 1/2, pad 0/1/2, bias or none, batch 1/3, several chunkings, the packed CPU GEMM's k runs and
 * strips, its stride-1 dx by flipped weights, col2im's long rows, both GEMM back ends, bad
 * input. */
#include "testutil.h"
#include "clock.h"
#include "conv.h"
#include "gemm.h"
#include "ref.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static struct ampcl_context *ctx;
static unsigned long long rng = 777;

struct conv_case {
	struct ampcl_conv2d_shape s;
	int bias;    /* with a bias (forward) and its gradient (backward) */
	float beta;  /* for dx */
	int chunk;   /* images per chunk the scratch is sized for */
	int with_dx; /* 0: dx NULL (a first layer) */
	const char *backend;
	int check_bits; /* run twice more and compare bitwise */
};

/* Host copies of one case's tensors, float (what the device gets) and double (the reference). */
struct host_tensor {
	size_t n;
	float *f;
	double *d;
};

static struct host_tensor host_make(size_t n, float lo, float hi)
{
	struct host_tensor t = {n, tu_malloc(n * sizeof(float)), tu_malloc(n * sizeof(double))};
	tu_fill_uniform_f(t.f, n, &rng, lo, hi);
	tu_float_to_double(t.d, t.f, n);
	return t;
}

static void host_free(struct host_tensor *t)
{
	free(t->f);
	free(t->d);
}

/* Runs forward then backward once from the given initial contents; results into *_out. */
static void run_once(const struct conv_case *c, struct ampcl_tensor *ty, struct ampcl_tensor *tx,
		     struct ampcl_tensor *tw, struct ampcl_tensor *tb, struct ampcl_tensor *tdx,
		     struct ampcl_tensor *tdw, struct ampcl_tensor *tdb, struct ampcl_tensor *tdy,
		     struct ampcl_tensor *scratch, const struct host_tensor *dx0,
		     const struct host_tensor *dw0, const struct host_tensor *db0, float *y_out,
		     float *dx_out, float *dw_out, float *db_out, const char *label)
{
	tu_poison(ctx, ty);
	tu_poison(ctx, scratch); /* nothing may depend on what scratch held */
	if (c->with_dx) {
		if (c->beta == 0.0f)
			tu_poison(ctx, tdx);
		else
			tu_ok(ampcl_tensor_write(ctx, tdx, dx0->f), "write dx");
	}
	tu_ok(ampcl_tensor_write(ctx, tdw, dw0->f), "write dw");
	if (c->bias)
		tu_ok(ampcl_tensor_write(ctx, tdb, db0->f), "write db");

	tu_ok(ampcl_conv2d_forward(ctx, &c->s, ty, tx, tw, c->bias ? tb : NULL, scratch), label);
	tu_ok(ampcl_conv2d_backward(ctx, &c->s, c->with_dx ? tdx : NULL, tdw, c->bias ? tdb : NULL,
				    tdy, tx, tw, c->beta, scratch),
	      label);
	tu_ok(ampcl_tensor_read(ctx, ty, y_out), "read y");
	if (c->with_dx)
		tu_ok(ampcl_tensor_read(ctx, tdx, dx_out), "read dx");
	tu_ok(ampcl_tensor_read(ctx, tdw, dw_out), "read dw");
	if (c->bias)
		tu_ok(ampcl_tensor_read(ctx, tdb, db_out), "read db");
}

static void run_case(const struct conv_case *c)
{
	const struct ampcl_conv2d_shape *s = &c->s;
	int p = ampcl_conv2d_out_h(s), q = ampcl_conv2d_out_w(s);
	char label[200];
	snprintf(label, sizeof(label),
		 "%s n%d c%d %dx%d k%d %dx%d stride %d pad %d%s beta %.0f chunk %d%s", c->backend,
		 s->n, s->c, s->h, s->w, s->k, s->r, s->s, s->stride, s->pad,
		 c->bias ? " bias" : "", c->beta, c->chunk, c->with_dx ? "" : " no-dx");
	tu_ok(ampcl_gemm_set_backend(ctx, c->backend), c->backend);

	int xs[4] = {s->n, s->c, s->h, s->w}, ws[4] = {s->k, s->c, s->r, s->s};
	int ys[4] = {s->n, s->k, p, q}, bs[1] = {s->k};
	/* a scratch for `chunk` images plus half an image, so the chunking must round down */
	size_t one = ampcl_conv2d_scratch_floats(s, 1);
	int ss[1] = {(int)(ampcl_conv2d_scratch_floats(s, c->chunk) + one / 2)};

	struct tu_arena ar;
	tu_arena_init(&ar, "conv");
	struct ampcl_tensor tx = tu_reserve(&ar, "x", 4, xs), tw = tu_reserve(&ar, "w", 4, ws);
	struct ampcl_tensor tb = tu_reserve(&ar, "b", 1, bs), ty = tu_reserve(&ar, "y", 4, ys);
	struct ampcl_tensor tdx = tu_reserve(&ar, "dx", 4, xs), tdw = tu_reserve(&ar, "dw", 4, ws);
	struct ampcl_tensor tdb = tu_reserve(&ar, "db", 1, bs), tdy = tu_reserve(&ar, "dy", 4, ys);
	struct ampcl_tensor scratch = tu_reserve(&ar, "scratch", 1, ss);
	tu_arena_commit(ctx, &ar);

	size_t nx = ampcl_tensor_count(&tx), nw = ampcl_tensor_count(&tw);
	size_t ny = ampcl_tensor_count(&ty);
	struct host_tensor x = host_make(nx, -1, 1), w = host_make(nw, -1, 1);
	struct host_tensor b = host_make(s->k, -1, 1), dy = host_make(ny, -1, 1);
	struct host_tensor dx0 = host_make(nx, -1, 1), dw0 = host_make(nw, -1, 1);
	struct host_tensor db0 = host_make(s->k, -1, 1);
	tu_ok(ampcl_tensor_write(ctx, &tx, x.f), "write x");
	tu_ok(ampcl_tensor_write(ctx, &tw, w.f), "write w");
	tu_ok(ampcl_tensor_write(ctx, &tb, b.f), "write b");
	tu_ok(ampcl_tensor_write(ctx, &tdy, dy.f), "write dy");

	/* the reference: y; dx = beta*dx0 + ..., dw = dw0 + ..., db = db0 + ... */
	double *wy = tu_malloc(ny * sizeof(double)), *wdx = tu_malloc(nx * sizeof(double));
	double *wdw = tu_malloc(nw * sizeof(double)), *wdb = tu_malloc(s->k * sizeof(double));
	ref_conv2d_forward(wy, x.d, w.d, c->bias ? b.d : NULL, s->n, s->c, s->h, s->w, s->k, s->r,
			   s->s, s->stride, s->pad);
	memcpy(wdx, dx0.d, nx * sizeof(double));
	memcpy(wdw, dw0.d, nw * sizeof(double));
	memcpy(wdb, db0.d, s->k * sizeof(double));
	ref_conv2d_backward(c->with_dx ? wdx : NULL, wdw, c->bias ? wdb : NULL, dy.d, x.d, w.d,
			    s->n, s->c, s->h, s->w, s->k, s->r, s->s, s->stride, s->pad, c->beta);

	float *gy = tu_malloc(ny * sizeof(float)), *gdx = tu_malloc(nx * sizeof(float));
	float *gdw = tu_malloc(nw * sizeof(float)), *gdb = tu_malloc(s->k * sizeof(float));
	run_once(c, &ty, &tx, &tw, &tb, &tdx, &tdw, &tdb, &tdy, &scratch, &dx0, &dw0, &db0, gy, gdx,
		 gdw, gdb, label);

	/* Tolerances: inputs in [-1, 1]; each output is a float32 sum of L products, whose
	 * rounding stays near eps*L (eps = 6e-8) in practice; atol 2e-6*L is ~30x that and far
	 * below the order-1 miss of a wrong tap. rtol 1e-5 covers accumulating onto values ~1.
	 * L: y c*r*s (+bias), dx at most k*r*s (+beta*dx), dw and db n*p*q (+1). */
	char name[260];
	int crs = s->c * s->r * s->s;
	snprintf(name, sizeof(name), "%s: y", label);
	tu_compare(name, gy, wy, ny, 2e-6 * (crs + 2), 1e-5);
	if (c->with_dx) {
		snprintf(name, sizeof(name), "%s: dx", label);
		tu_compare(name, gdx, wdx, nx, 2e-6 * (s->k * s->r * s->s + 2), 1e-5);
	}
	snprintf(name, sizeof(name), "%s: dw", label);
	tu_compare(name, gdw, wdw, nw, 2e-6 * (s->n * p * q + 2), 1e-5);
	if (c->bias) {
		snprintf(name, sizeof(name), "%s: db", label);
		tu_compare(name, gdb, wdb, s->k, 2e-6 * (s->n * p * q + 2), 1e-5);
	}

	if (c->check_bits) {
		float *gy2 = tu_malloc(ny * sizeof(float)), *gdx2 = tu_malloc(nx * sizeof(float));
		float *gdw2 = tu_malloc(nw * sizeof(float)),
		      *gdb2 = tu_malloc(s->k * sizeof(float));
		run_once(c, &ty, &tx, &tw, &tb, &tdx, &tdw, &tdb, &tdy, &scratch, &dx0, &dw0, &db0,
			 gy2, gdx2, gdw2, gdb2, label);
		int same = !memcmp(gy, gy2, ny * sizeof(float)) &&
			   !memcmp(gdx, gdx2, nx * sizeof(float)) &&
			   !memcmp(gdw, gdw2, nw * sizeof(float)) &&
			   !memcmp(gdb, gdb2, s->k * sizeof(float));
		snprintf(name, sizeof(name), "%s: determinism", label);
		tu_check(same, name,
			 "y, dx, dw, db of two runs from the same inputs compared bitwise");
		free(gy2);
		free(gdx2);
		free(gdw2);
		free(gdb2);
	}

	free(gy);
	free(gdx);
	free(gdw);
	free(gdb);
	free(wy);
	free(wdx);
	free(wdw);
	free(wdb);
	host_free(&x);
	host_free(&w);
	host_free(&b);
	host_free(&dy);
	host_free(&dx0);
	host_free(&dw0);
	host_free(&db0);
	tu_arena_free(&ar);
}

static void test_bad_input(void)
{
	struct ampcl_conv2d_shape s = {2, 3, 5, 5, 4, 3, 3, 1, 1};
	int xs[4] = {2, 3, 5, 5}, ws[4] = {4, 3, 3, 3}, ys[4] = {2, 4, 5, 5}, bad[4] = {2, 4, 4, 4};
	int ss[1] = {(int)ampcl_conv2d_scratch_floats(&s, 1) - 1};
	struct tu_arena ar;
	tu_arena_init(&ar, "bad");
	struct ampcl_tensor x = tu_reserve(&ar, "x", 4, xs), w = tu_reserve(&ar, "w", 4, ws);
	struct ampcl_tensor y = tu_reserve(&ar, "y", 4, ys), ybad = tu_reserve(&ar, "ybad", 4, bad);
	struct ampcl_tensor small = tu_reserve(&ar, "scratch", 1, ss);
	tu_arena_commit(ctx, &ar);

	int st = ampcl_conv2d_forward(ctx, &s, &y, &x, &w, NULL, &small);
	const char *msg = ampcl_last_error();
	tu_check(st == AMPCL_ERR_INVALID_ARG && strstr(msg, "scratch"),
		 "scratch smaller than one image rejected", "status %d, message: %s", st, msg);
	st = ampcl_conv2d_backward(ctx, &s, &x, &w, NULL, &y, &x, &w, 0.0f, &small);
	msg = ampcl_last_error();
	tu_check(st == AMPCL_ERR_INVALID_ARG && strstr(msg, "scratch"),
		 "backward: small scratch rejected", "status %d, message: %s", st, msg);

	st = ampcl_conv2d_forward(ctx, &s, &ybad, &x, &w, NULL, &small);
	msg = ampcl_last_error();
	tu_check(st == AMPCL_ERR_INVALID_ARG && strstr(msg, "y holds"), "wrong y size rejected",
		 "status %d, message: %s", st, msg);

	struct ampcl_conv2d_shape big = {1, 1, 2, 2, 1, 5, 5, 1, 0};
	st = ampcl_conv2d_forward(ctx, &big, &y, &x, &w, NULL, &small);
	msg = ampcl_last_error();
	tu_check(st == AMPCL_ERR_INVALID_ARG && strstr(msg, "does not fit"),
		 "kernel larger than the padded input rejected", "status %d, message: %s", st, msg);
	tu_arena_free(&ar);
}

int main(void)
{
	ctx = tu_context();
	printf("device: %s\n", ctx->caps.desc.name);
	/* {n, c, h, w, k, r, s, stride, pad}, bias, beta, chunk, with_dx, back end, bits */
	static const struct conv_case cases[] = {
	    /* 3x3 same padding, the whole batch in one chunk */
	    {{3, 3, 7, 7, 5, 3, 3, 1, 1}, 1, 0.0f, 3, 1, "own", 1},
	    /* stride 2, one image per chunk (three chunks), accumulate into dx */
	    {{3, 3, 7, 5, 4, 3, 3, 2, 1}, 0, 1.0f, 1, 1, "own", 0},
	    /* pointwise: GEMMs straight to NCHW */
	    {{1, 1, 5, 5, 3, 1, 1, 1, 0}, 1, 0.0f, 1, 1, "own", 0},
	    {{3, 33, 5, 5, 33, 1, 1, 1, 0}, 0, 1.0f, 2, 1, "own", 1},
	    /* spatial 1 with padding: only the centre tap sees the image */
	    {{3, 33, 1, 1, 3, 3, 3, 1, 1}, 1, 0.0f, 2, 1, "own", 0},
	    /* 1x1 stride 2 (the ResNet shortcut) goes through im2col */
	    {{3, 3, 5, 7, 33, 1, 1, 2, 0}, 0, 0.0f, 3, 1, "own", 0},
	    /* a non-square 5x3 kernel, a first layer without dx */
	    {{1, 3, 7, 7, 3, 5, 3, 1, 1}, 1, 0.0f, 1, 0, "own", 0},
	    /* 33x33, stride 2, no padding */
	    {{1, 3, 33, 33, 8, 3, 3, 2, 0}, 1, 1.0f, 1, 1, "own", 0},
	    /* On CPUs (the packed GEMM) the dW of these splits k into runs (k = images*p*q is
	     * long; a partial last run), the strips cut output rows at both edges; the second's
	     * dx goes through dcol and col2im's row of 63 */
	    {{3, 3, 33, 31, 5, 3, 3, 1, 1}, 1, 0.0f, 3, 1, "own", 1},
	    {{2, 5, 65, 63, 3, 5, 5, 2, 2}, 0, 1.0f, 2, 1, "own", 1},
	    /* output rows of 32 and 64: the packed GEMM's strips then lie inside one row (a k is
	     * two vectors of the padded input) */
	    {{3, 3, 6, 32, 5, 3, 3, 1, 1}, 1, 0.0f, 3, 1, "own", 1},
	    {{1, 2, 3, 64, 17, 3, 3, 1, 1}, 0, 1.0f, 1, 1, "own", 1},
	    /* a 1x1 output with c*r*s = 576: the forward's k is cut into runs, summed with the
	     * bias by gemm_packed_sum */
	    {{2, 64, 1, 1, 3, 3, 3, 1, 1}, 1, 0.0f, 2, 1, "own", 1},
	    /* rows of 8 and 4: a strip is several whole rows, the last one partial (48 = 32 +
	     * 16 columns) */
	    {{2, 3, 8, 8, 4, 3, 3, 1, 1}, 1, 1.0f, 2, 1, "own", 1},
	    {{3, 2, 4, 4, 3, 3, 3, 1, 1}, 0, 0.0f, 3, 1, "own", 1},
	    /* rows wider than col2im's private row of 64 (summed in two pieces) */
	    {{1, 2, 9, 67, 3, 3, 3, 2, 1}, 0, 1.0f, 1, 1, "own", 1},
	    /* stride-1 dx as a convolution of dy with the flipped weights: 19 output channels,
	     * rows of 16, 20, 31 and 33, pad 0, 1, 2 (dy padded by r-1-pad), both beta values */
	    {{2, 4, 17, 20, 19, 5, 5, 1, 2}, 1, 1.0f, 2, 1, "own", 1},
	    {{1, 2, 18, 18, 3, 3, 3, 1, 0}, 0, 0.0f, 1, 1, "own", 0},
	    {{2, 17, 5, 33, 3, 3, 3, 1, 1}, 0, 1.0f, 1, 1, "own", 0},
	    /* CLBlast: chunks of 2 and 1, both beta values */
	    {{3, 1, 7, 7, 2, 3, 3, 2, 1}, 1, 0.0f, 2, 1, "clblast", 1},
	    {{3, 3, 5, 5, 33, 3, 3, 1, 1}, 0, 1.0f, 3, 1, "clblast", 0},
	};
	double t0 = ampcl_now();
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		run_case(&cases[i]);
	printf("INFO %zu cases in %.1f s\n", sizeof(cases) / sizeof(cases[0]), ampcl_now() - t0);
	test_bad_input();
	ampcl_context_free(ctx);
	return tu_finish();
}
