/* test_sgd.c: the SGD step against the double reference iterated the same number of steps,
 * for momentum / Nesterov / weight-decay combinations, on odd span sizes; momentum 0 leaves the
 * buffer untouched; bad hyper-parameters are refused; repeatable bits. */
#include "ref.h"
#include "sgd.h"
#include "testutil.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static unsigned long long seed = 11;

enum { STEPS = 6 };

/* Each step rounds a few float operations on values O(1); over 6 steps with momentum 0.9 the
 * float state drifts from the double one by a few ulps of the largest term (|buf| <= ~5). */
#define ATOL_STEP 2e-6
#define RTOL_STEP 1e-5

struct hyper {
	float lr, momentum, wd;
	int nesterov;
};

static void check_run(struct ampcl_context *ctx, size_t count, struct hyper hp)
{
	int shape[1] = {(int)count};
	char name[160], what[128];
	snprintf(what, sizeof(what), "n=%zu lr %g momentum %g wd %g%s", count, hp.lr, hp.momentum,
		 hp.wd, hp.nesterov ? " nesterov" : "");
	struct tu_arena ar;
	tu_arena_init(&ar, "sgd");
	struct ampcl_tensor p = tu_reserve(&ar, "param", 1, shape);
	struct ampcl_tensor buf = tu_reserve(&ar, "buf", 1, shape);
	struct ampcl_tensor g = tu_reserve(&ar, "grad", 1, shape);
	tu_arena_commit(ctx, &ar);

	float *hp0 = tu_malloc(count * sizeof(float)), *hg = tu_malloc(count * sizeof(float));
	float *got = tu_malloc(count * sizeof(float)), *got2 = tu_malloc(count * sizeof(float));
	double *pd = tu_malloc(count * sizeof(double)), *bd = tu_malloc(count * sizeof(double));
	double *gd = tu_malloc(count * sizeof(double)),
	       *sentinel = tu_malloc(count * sizeof(double));
	tu_fill_uniform_f(hp0, count, &seed, -1.0f, 1.0f);
	tu_float_to_double(pd, hp0, count);
	tu_ok(ampcl_tensor_write(ctx, &p, hp0), "write param");
	/* momentum 0 must not touch the buffer: it holds a sentinel then; otherwise it starts at
	 * zero like PyTorch's first-step clone */
	float fill = hp.momentum == 0 ? 7.25f : 0.0f;
	tu_ok(ampcl_tensor_fill(ctx, &buf, fill), "fill buf");
	for (size_t i = 0; i < count; i++) {
		bd[i] = 0.0;
		sentinel[i] = 7.25;
	}
	unsigned long long grad_seed = seed;
	for (int s = 0; s < STEPS; s++) {
		tu_fill_uniform_f(hg, count, &seed, -1.0f, 1.0f);
		tu_float_to_double(gd, hg, count);
		tu_ok(ampcl_tensor_write(ctx, &g, hg), "write grad");
		tu_ok(ampcl_sgd_step(ctx, &p, hp.momentum != 0 ? &buf : NULL, &g, hp.lr,
				     hp.momentum, hp.wd, hp.nesterov),
		      "sgd step");
		ref_sgd_step(pd, bd, gd, count, hp.lr, hp.momentum, hp.wd, hp.nesterov);
	}
	tu_ok(ampcl_tensor_read(ctx, &p, got), "read param");
	snprintf(name, sizeof(name), "sgd %d steps %s: param", STEPS, what);
	tu_compare(name, got, pd, count, ATOL_STEP, RTOL_STEP);
	/* the same run again from the same start gives the same bits (got: the first run) */
	seed = grad_seed;
	tu_ok(ampcl_tensor_write(ctx, &p, hp0), "write param");
	tu_ok(ampcl_tensor_fill(ctx, &buf, fill), "fill buf");
	for (int s = 0; s < STEPS; s++) {
		tu_fill_uniform_f(hg, count, &seed, -1.0f, 1.0f);
		tu_ok(ampcl_tensor_write(ctx, &g, hg), "write grad");
		tu_ok(ampcl_sgd_step(ctx, &p, &buf, &g, hp.lr, hp.momentum, hp.wd, hp.nesterov),
		      "sgd step");
	}
	tu_ok(ampcl_tensor_read(ctx, &p, got2), "read param");
	snprintf(name, sizeof(name), "sgd %s repeatable", what);
	tu_check(!memcmp(got, got2, count * sizeof(float)), name, "two runs bit-identical");
	/* after the repeat, which passed the real buffer even with momentum 0 */
	tu_ok(ampcl_tensor_read(ctx, &buf, got2), "read buf");
	if (hp.momentum != 0) {
		snprintf(name, sizeof(name), "sgd %d steps %s: momentum buffer", STEPS, what);
		tu_compare(name, got2, bd, count, ATOL_STEP, RTOL_STEP);
	} else {
		snprintf(name, sizeof(name), "sgd %s: momentum buffer untouched", what);
		tu_compare(name, got2, sentinel, count, 0.0, 0.0);
	}

	free(hp0), free(hg), free(got), free(got2), free(pd), free(bd), free(gd), free(sentinel);
	tu_arena_free(&ar);
}

static void check_bad_args(struct ampcl_context *ctx)
{
	int s5[1] = {5}, s6[1] = {6};
	struct tu_arena ar;
	tu_arena_init(&ar, "sgd-bad");
	struct ampcl_tensor p = tu_reserve(&ar, "p", 1, s5), q = tu_reserve(&ar, "q", 1, s6);
	tu_arena_commit(ctx, &ar);
	int st = ampcl_sgd_step(ctx, &p, &p, &q, 0.1f, 0.9f, 0.0f, 0);
	tu_check(st == AMPCL_ERR_INVALID_ARG, "sgd grad size mismatch refused", "status %d: %s", st,
		 ampcl_last_error());
	st = ampcl_sgd_step(ctx, &p, NULL, &p, 0.1f, 0.9f, 0.0f, 0);
	tu_check(st == AMPCL_ERR_INVALID_ARG, "sgd momentum without a buffer refused",
		 "status %d: %s", st, ampcl_last_error());
	st = ampcl_sgd_step(ctx, &p, NULL, &p, 0.1f, 0.0f, 0.0f, 1);
	tu_check(st == AMPCL_ERR_INVALID_ARG, "sgd nesterov without momentum refused",
		 "status %d: %s", st, ampcl_last_error());
	st = ampcl_sgd_step(ctx, &p, NULL, &p, NAN, 0.0f, 0.0f, 0);
	tu_check(st == AMPCL_ERR_INVALID_ARG, "sgd NaN learning rate refused", "status %d: %s", st,
		 ampcl_last_error());
	tu_arena_free(&ar);
}

int main(void)
{
	struct ampcl_context *ctx = tu_context();
	check_run(ctx, 1, (struct hyper){0.1f, 0.0f, 0.0f, 0});
	check_run(ctx, 5, (struct hyper){0.1f, 0.9f, 5e-4f, 0});
	check_run(ctx, 1089, (struct hyper){0.1f, 0.9f, 5e-4f, 1});
	check_run(ctx, 35937, (struct hyper){0.05f, 0.0f, 1e-2f, 0});
	check_run(ctx, 35937, (struct hyper){0.2f, 0.5f, 0.0f, 1});
	check_run(ctx, 33, (struct hyper){0.01f, 0.9f, 0.0f, 0});
	check_bad_args(ctx);
	ampcl_context_free(ctx);
	return tu_finish();
}
