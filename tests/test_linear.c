/* test_linear.c: the fully connected layer forward and backward against the double reference,
 * odd sizes, bias or none, beta 0 on NaN and 1, both GEMM back ends, the weight as (out, in) and
 * as ONNX's MatMul holds it (in, out), determinism, bad views. */
#include "testutil.h"
#include "gemm.h"
#include "linear.h"
#include "ref.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static struct ampcl_context *ctx;
static unsigned long long rng = 4242;

struct linear_case {
	int n, in, out, bias;
	float beta;
	int with_dx;
	const char *backend;
	int check_bits;
	int w_in_out; /* the device's weight and its gradient are W^T (in, out) */
};

/* dst (cols, rows) = src (rows, cols) transposed */
static void transpose(float *dst, const float *src, int rows, int cols)
{
	for (int r = 0; r < rows; r++)
		for (int k = 0; k < cols; k++)
			dst[(size_t)k * rows + r] = src[(size_t)r * cols + k];
}

struct results {
	float *y, *dx, *dw, *db;
};

static void run_once(const struct linear_case *c, const struct ampcl_tensor *t, const float *dx0,
		     const float *dw0, const float *db0, struct results *r, const char *label)
{
	/* t: y, x, w, b, dx, dw, db, dy */
	tu_poison(ctx, &t[0]);
	if (c->beta == 0.0f)
		tu_poison(ctx, &t[4]);
	else
		tu_ok(ampcl_tensor_write(ctx, &t[4], dx0), "write dx");
	tu_ok(ampcl_tensor_write(ctx, &t[5], dw0), "write dw");
	tu_ok(ampcl_tensor_write(ctx, &t[6], db0), "write db");
	tu_ok(ampcl_linear_forward(ctx, &t[0], &t[1], &t[2], c->bias ? &t[3] : NULL, c->n, c->in,
				   c->out, c->w_in_out),
	      label);
	tu_ok(ampcl_linear_backward(ctx, c->with_dx ? &t[4] : NULL, &t[5], c->bias ? &t[6] : NULL,
				    &t[7], &t[1], &t[2], c->n, c->in, c->out, c->w_in_out, c->beta),
	      label);
	tu_ok(ampcl_tensor_read(ctx, &t[0], r->y), "read y");
	tu_ok(ampcl_tensor_read(ctx, &t[4], r->dx), "read dx");
	tu_ok(ampcl_tensor_read(ctx, &t[5], r->dw), "read dw");
	tu_ok(ampcl_tensor_read(ctx, &t[6], r->db), "read db");
}

static void run_case(const struct linear_case *c)
{
	char label[160], name[200];
	snprintf(label, sizeof(label), "%s n%d in%d out%d%s beta %.0f%s%s", c->backend, c->n, c->in,
		 c->out, c->bias ? " bias" : "", c->beta, c->with_dx ? "" : " no-dx",
		 c->w_in_out ? " w (in, out)" : "");
	tu_ok(ampcl_gemm_set_backend(ctx, c->backend), c->backend);

	int ny = c->n * c->out, nx = c->n * c->in, nw = c->out * c->in;
	int sh[8][1] = {{ny}, {nx}, {nw}, {c->out}, {nx}, {nw}, {c->out}, {ny}};
	const char *names[8] = {"y", "x", "w", "b", "dx", "dw", "db", "dy"};
	struct tu_arena ar;
	tu_arena_init(&ar, "linear");
	struct ampcl_tensor t[8];
	for (int i = 0; i < 8; i++)
		t[i] = tu_reserve(&ar, names[i], 1, sh[i]);
	tu_arena_commit(ctx, &ar);

	/* host values: x, w, b, dy the inputs; dx0, dw0, db0 what the gradients start from */
	float *f[8];
	double *d[8];
	for (int i = 0; i < 8; i++) {
		f[i] = tu_malloc(sh[i][0] * sizeof(float));
		d[i] = tu_malloc(sh[i][0] * sizeof(double));
		tu_fill_uniform_f(f[i], sh[i][0], &rng, -1, 1);
		tu_float_to_double(d[i], f[i], sh[i][0]);
	}
	/* the device's w and dw0: the reference's (out, in) ones, or their transposes */
	float *w_dev = tu_malloc(nw * sizeof(float)), *dw0_dev = tu_malloc(nw * sizeof(float));
	if (c->w_in_out) {
		transpose(w_dev, f[2], c->out, c->in);
		transpose(dw0_dev, f[5], c->out, c->in);
	} else {
		memcpy(w_dev, f[2], nw * sizeof(float));
		memcpy(dw0_dev, f[5], nw * sizeof(float));
	}
	for (int i = 1; i < 8; i++)
		if (i != 4 && i != 5 && i != 6)
			tu_ok(ampcl_tensor_write(ctx, &t[i], i == 2 ? w_dev : f[i]), "write input");

	/* reference: d[0] = y; d[4..6] start as dx0, dw0, db0 and become the gradients */
	ref_linear_forward(d[0], d[1], d[2], c->bias ? d[3] : NULL, c->n, c->in, c->out);
	ref_linear_backward(c->with_dx ? d[4] : NULL, d[5], c->bias ? d[6] : NULL, d[7], d[1], d[2],
			    c->n, c->in, c->out, c->beta);

	struct results r = {tu_malloc(ny * sizeof(float)), tu_malloc(nx * sizeof(float)),
			    tu_malloc(nw * sizeof(float)), tu_malloc(c->out * sizeof(float))};
	run_once(c, t, f[4], dw0_dev, f[6], &r, label);
	if (c->w_in_out) { /* dw back to (out, in) for the reference */
		memcpy(w_dev, r.dw, nw * sizeof(float));
		transpose(r.dw, w_dev, c->in, c->out);
	}

	/* Tolerances: values in [-1, 1]; a float32 sum of L products rounds by about eps*L
	 * (eps = 6e-8) in practice, atol 2e-6*L is ~30x that and far below the order-1 miss of a
	 * wrong index; rtol 1e-5 for accumulating onto values ~1. L: y in, dx out, dw and db n. */
	snprintf(name, sizeof(name), "%s: y", label);
	tu_compare(name, r.y, d[0], ny, 2e-6 * (c->in + 2), 1e-5);
	if (c->with_dx) {
		snprintf(name, sizeof(name), "%s: dx", label);
		tu_compare(name, r.dx, d[4], nx, 2e-6 * (c->out + 2), 1e-5);
	} else {
		/* dx NULL: the poisoned or written dx must be left alone */
		int untouched = 1;
		for (int i = 0; i < nx; i++)
			untouched &= c->beta == 0.0f ? isnan(r.dx[i]) : r.dx[i] == f[4][i];
		snprintf(name, sizeof(name), "%s: dx untouched", label);
		tu_check(untouched, name, "dx NULL leaves the dx tensor as it was");
	}
	snprintf(name, sizeof(name), "%s: dw", label);
	tu_compare(name, r.dw, d[5], nw, 2e-6 * (c->n + 2), 1e-5);
	snprintf(name, sizeof(name), "%s: db", label);
	tu_compare(name, r.db, d[6], c->out, 2e-6 * (c->n + 2), 1e-5);

	if (c->check_bits) {
		struct results r2 = {tu_malloc(ny * sizeof(float)), tu_malloc(nx * sizeof(float)),
				     tu_malloc(nw * sizeof(float)),
				     tu_malloc(c->out * sizeof(float))};
		run_once(c, t, f[4], dw0_dev, f[6], &r2, label);
		if (c->w_in_out) {
			memcpy(w_dev, r2.dw, nw * sizeof(float));
			transpose(r2.dw, w_dev, c->in, c->out);
		}
		int same = !memcmp(r.y, r2.y, ny * sizeof(float)) &&
			   !memcmp(r.dx, r2.dx, nx * sizeof(float)) &&
			   !memcmp(r.dw, r2.dw, nw * sizeof(float)) &&
			   !memcmp(r.db, r2.db, c->out * sizeof(float));
		snprintf(name, sizeof(name), "%s: determinism", label);
		tu_check(same, name,
			 "y, dx, dw, db of two runs from the same inputs compared bitwise");
		free(r2.y);
		free(r2.dx);
		free(r2.dw);
		free(r2.db);
	}

	free(r.y);
	free(r.dx);
	free(r.dw);
	free(r.db);
	free(w_dev);
	free(dw0_dev);
	for (int i = 0; i < 8; i++) {
		free(f[i]);
		free(d[i]);
	}
	tu_arena_free(&ar);
}

static void test_bad_input(void)
{
	struct tu_arena ar;
	tu_arena_init(&ar, "bad");
	int s6[1] = {6}, s4[1] = {4};
	struct ampcl_tensor a = tu_reserve(&ar, "a", 1, s6), b = tu_reserve(&ar, "b", 1, s4);
	tu_arena_commit(ctx, &ar);
	/* x (2, 3) and w (2, 3) fit a; y needs (2, 2) = 4: give it 6 */
	int st = ampcl_linear_forward(ctx, &a, &a, &a, NULL, 2, 3, 2, 0);
	const char *msg = ampcl_last_error();
	tu_check(st == AMPCL_ERR_INVALID_ARG && strstr(msg, "y holds 6"), "wrong y size rejected",
		 "status %d, message: %s", st, msg);
	st = ampcl_linear_backward(ctx, NULL, &a, &b, &b, &a, &a, 2, 3, 2, 0, 0.0f);
	msg = ampcl_last_error();
	tu_check(st == AMPCL_ERR_INVALID_ARG && strstr(msg, "db holds 4"), "wrong db size rejected",
		 "status %d, message: %s", st, msg);
	st = ampcl_linear_forward(ctx, &b, &a, &a, NULL, 0, 3, 2, 0);
	msg = ampcl_last_error();
	tu_check(st == AMPCL_ERR_INVALID_ARG && strstr(msg, "n=0"), "n = 0 rejected",
		 "status %d, message: %s", st, msg);
	tu_arena_free(&ar);
}

int main(void)
{
	ctx = tu_context();
	printf("device: %s\n", ctx->caps.desc.name);
	static const struct linear_case cases[] = {
	    /* n, in, out, bias, beta, with_dx, back end, check bits, w (in, out) */
	    {1, 1, 1, 1, 0.0f, 1, "own", 0, 0},
	    {3, 33, 10, 1, 1.0f, 1, "own", 1, 0},
	    {3, 65, 31, 0, 0.0f, 1, "own", 0, 0},
	    {33, 63, 3, 1, 1.0f, 0, "own", 0, 0},
	    {33, 63, 3, 1, 0.0f, 1, "clblast", 1, 0},
	    {3, 31, 65, 0, 1.0f, 1, "clblast", 0, 0},
	    {1, 3, 33, 1, 0.0f, 0, "clblast", 0, 0},
	    /* ONNX's MatMul weight (in, out) */
	    {3, 33, 10, 1, 1.0f, 1, "own", 1, 1},
	    {33, 63, 3, 0, 0.0f, 1, "clblast", 1, 1},
	    {1, 65, 31, 1, 0.0f, 0, "own", 0, 1},
	    {31, 1, 65, 1, 1.0f, 1, "clblast", 0, 1},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		run_case(&cases[i]);
	test_bad_input();
	ampcl_context_free(ctx);
	return tu_finish();
}
