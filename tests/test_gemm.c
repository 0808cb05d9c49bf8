/* test_gemm.c: both GEMM back ends against the double reference: four transposes, odd sizes,
 * padded leading dimensions, offsets, alpha, beta 0 on NaN and 1, batches, the shapes where the
 * packed CPU GEMM pads its panels or splits k, determinism, and bad input. */
#include "testutil.h"
#include "clock.h"
#include "gemm.h"
#include "gemm_splitk.h"
#include "ref.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static struct ampcl_context *ctx;
static unsigned long long rng = 12345;

/* One product: op(A) (m, k), op(B) (k, n), C (m, n), each stored with `pad` extra columns per
 * row and `gap` floats between batch matrices, so leading dimensions and strides differ from the
 * packed ones and an index mistake reads a wrong (finite) value rather than a neighbour's. */
struct gemm_case {
	int ta, tb, m, n, k, batch, pad, gap;
	float alpha, beta;
	int shared_a; /* stride_a = 0: one A for every batch member, as a conv weight */
};

/* A single product through ampcl_gemm, a batch through ampcl_gemm_batched. */
static int gemm_call(const struct gemm_case *c, const struct ampcl_tensor *ta,
		     const struct ampcl_tensor *tb, const struct ampcl_tensor *tc, int lda, int ldb,
		     int ldc, size_t sa, size_t sb, size_t sc)
{
	if (c->batch == 1 && !c->shared_a)
		return ampcl_gemm(ctx, c->ta, c->tb, c->m, c->n, c->k, c->alpha,
				  ampcl_tensor_mem(ta), ampcl_tensor_off(ta), lda,
				  ampcl_tensor_mem(tb), ampcl_tensor_off(tb), ldb, c->beta,
				  ampcl_tensor_mem(tc), ampcl_tensor_off(tc), ldc);
	return ampcl_gemm_batched(ctx, c->ta, c->tb, c->m, c->n, c->k, c->alpha,
				  ampcl_tensor_mem(ta), ampcl_tensor_off(ta), lda, sa,
				  ampcl_tensor_mem(tb), ampcl_tensor_off(tb), ldb, sb, c->beta,
				  ampcl_tensor_mem(tc), ampcl_tensor_off(tc), ldc, sc, c->batch);
}

/* Runs one case on the current back end against ref_gemm; with check_bits, runs it once
 * more from the same inputs and compares the bits. */
static void run_case(const struct gemm_case *c, const char *label, int check_bits)
{
	int ra = c->ta ? c->k : c->m, ca = c->ta ? c->m : c->k; /* A as stored */
	int rb = c->tb ? c->n : c->k, cb = c->tb ? c->k : c->n;
	int lda = ca + c->pad, ldb = cb + c->pad, ldc = c->n + c->pad;
	size_t sa = c->shared_a ? 0 : (size_t)ra * lda + c->gap;
	size_t sb = (size_t)rb * ldb + c->gap, sc = (size_t)c->m * ldc + c->gap;
	size_t na = (c->shared_a ? 1 : c->batch) * ((size_t)ra * lda + c->gap);
	size_t nb = c->batch * sb, nc = c->batch * sc;

	struct tu_arena ar;
	tu_arena_init(&ar, "gemm");
	/* k = 0 leaves A and B empty: reserve one float so the views exist */
	int sha[1] = {na ? (int)na : 1}, shb[1] = {nb ? (int)nb : 1}, shc[1] = {(int)nc};
	struct ampcl_tensor ta = tu_reserve(&ar, "a", 1, sha), tb = tu_reserve(&ar, "b", 1, shb);
	struct ampcl_tensor tc = tu_reserve(&ar, "c", 1, shc);
	tu_arena_commit(ctx, &ar);

	float *a = tu_malloc((na + 1) * sizeof(float)), *b = tu_malloc((nb + 1) * sizeof(float));
	float *c0 = tu_malloc(nc * sizeof(float)), *got = tu_malloc(nc * sizeof(float));
	double *da = tu_malloc(na * sizeof(double)), *db = tu_malloc(nb * sizeof(double));
	double *want = tu_malloc(nc * sizeof(double));
	tu_fill_uniform_f(a, na, &rng, -1, 1);
	tu_fill_uniform_f(b, nb, &rng, -1, 1);
	tu_fill_uniform_f(c0, nc, &rng, -1, 1);
	tu_ok(ampcl_tensor_write(ctx, &ta, a), "write a");
	tu_ok(ampcl_tensor_write(ctx, &tb, b), "write b");
	if (c->beta == 0.0f) {
		/* every float of C's storage NaN: an element the GEMM must overwrite compares NaN
		 * if it read C, and the padding must come back still NaN */
		for (size_t i = 0; i < nc; i++)
			c0[i] = NAN;
		tu_poison(ctx, &tc);
	} else {
		tu_ok(ampcl_tensor_write(ctx, &tc, c0), "write c");
	}
	tu_float_to_double(da, a, na);
	tu_float_to_double(db, b, nb);
	tu_float_to_double(want, c0, nc);
	for (int z = 0; z < c->batch; z++)
		ref_gemm(c->ta, c->tb, c->m, c->n, c->k, c->alpha, da + z * sa, lda, db + z * sb,
			 ldb, c->beta, want + z * sc, ldc);

	tu_ok(gemm_call(c, &ta, &tb, &tc, lda, ldb, ldc, sa, sb, sc), label);
	tu_ok(ampcl_tensor_read(ctx, &tc, got), "read c");

	/* Compare the matrices; then check that padding and gaps were left untouched, bit for
	 * bit (NaN stays NaN). Tolerance: values in [-1, 1], so a length-k sum carries float32
	 * rounding of about eps*k (eps = 6e-8) at worst in practice; atol 2e-6*k is ~30 times
	 * that and still far below the order-1 error of a wrong index. rtol 1e-5 covers the
	 * beta*C part of magnitude up to ~1. */
	double atol = 2e-6 * (c->k + 1), rtol = 1e-5;
	float *gm = tu_malloc((size_t)c->batch * c->m * c->n * sizeof(float));
	double *wm = tu_malloc((size_t)c->batch * c->m * c->n * sizeof(double));
	size_t bad_pad = 0;
	for (int z = 0; z < c->batch; z++)
		for (int i = 0; i < c->m; i++)
			for (int j = 0; j < ldc; j++) {
				size_t s = z * sc + (size_t)i * ldc + j;
				if (j < c->n) {
					size_t d = ((size_t)z * c->m + i) * c->n + j;
					gm[d] = got[s];
					wm[d] = want[s];
				} else if (memcmp(&got[s], &c0[s], sizeof(float))) {
					bad_pad++;
				}
			}
	for (int z = 0; z < c->batch; z++)
		for (int g = 0; g < c->gap; g++) {
			size_t s = z * sc + (size_t)c->m * ldc + g;
			if (memcmp(&got[s], &c0[s], sizeof(float)))
				bad_pad++;
		}
	tu_compare(label, gm, wm, (size_t)c->batch * c->m * c->n, atol, rtol);
	if (c->pad || c->gap)
		tu_check(bad_pad == 0, label, "%zu floats of padding between rows/matrices changed",
			 bad_pad);

	if (check_bits) {
		/* determinism: the same call from the same inputs again gives the same bits */
		float *again = tu_malloc(nc * sizeof(float));
		tu_ok(ampcl_tensor_write(ctx, &tc, c0), "rewrite c");
		tu_ok(gemm_call(c, &ta, &tb, &tc, lda, ldb, ldc, sa, sb, sc), label);
		tu_ok(ampcl_tensor_read(ctx, &tc, again), "read c");
		char name[200];
		snprintf(name, sizeof(name), "%s determinism", label);
		tu_check(!memcmp(got, again, nc * sizeof(float)), name,
			 "two runs from the same inputs, %zu floats compared bitwise", nc);
		free(again);
	}

	free(gm);
	free(wm);
	free(a);
	free(b);
	free(c0);
	free(got);
	free(da);
	free(db);
	free(want);
	tu_arena_free(&ar);
}

static void run_backend(const char *backend)
{
	static const int sizes[][3] = {
	    /* m, n, k: edges of every tile size (1, odd, one past 32 and 64) */
	    {1, 1, 1}, {3, 31, 33}, {33, 65, 63}, {65, 3, 31}, {63, 33, 65}, {31, 1, 3},
	};
	char label[160];
	tu_ok(ampcl_gemm_set_backend(ctx, backend), backend);
	tu_check(!strcmp(ampcl_gemm_backend_name(ctx), backend), "backend name",
		 "set '%s', in effect '%s'", backend, ampcl_gemm_backend_name(ctx));

	int idx = 0;
	for (int t = 0; t < 4; t++) {
		for (size_t s = 0; s < sizeof(sizes) / sizeof(sizes[0]); s++, idx++) {
			struct gemm_case c = {
			    .ta = t >> 1,
			    .tb = t & 1,
			    .m = sizes[s][0],
			    .n = sizes[s][1],
			    .k = sizes[s][2],
			    .batch = 1,
			    /* alternate packed and padded storage, beta 0 and 1 */
			    .pad = idx % 3 ? 3 : 0,
			    .gap = 0,
			    .alpha = idx % 2 ? 0.75f : 1.0f,
			    .beta = (idx / 2) % 2 ? 1.0f : 0.0f,
			};
			snprintf(label, sizeof(label),
				 "%s %c%c m%d n%d k%d alpha %.2f beta %.0f ld+%d", backend,
				 c.ta ? 'T' : 'N', c.tb ? 'T' : 'N', c.m, c.n, c.k, c.alpha, c.beta,
				 c.pad);
			run_case(&c, label, 0);
		}
	}

	/* batched, with strides that leave gaps; one shares A across the batch like conv's W */
	struct gemm_case b1 = {0, 1, 33, 17, 65, 3, 2, 7, -1.5f, 1.0f, 0};
	struct gemm_case b2 = {1, 0, 31, 65, 9, 3, 0, 5, 1.0f, 0.0f, 1};
	snprintf(label, sizeof(label), "%s batched 3x NT m33 n17 k65 beta 1", backend);
	run_case(&b1, label, 0);
	snprintf(label, sizeof(label), "%s batched 3x TN shared A m31 n65 k9 beta 0", backend);
	run_case(&b2, label, 1);

	/* larger than a 128-wide tile in both directions, with determinism */
	struct gemm_case big = {0, 0, 129, 257, 200, 1, 1, 0, 1.0f, 0.0f, 0};
	snprintf(label, sizeof(label), "%s NN m129 n257 k200", backend);
	run_case(&big, label, 1);

	/* The packed CPU GEMM (host/ops/gemm_packed.c; GPUs run the same cases tiled): m that
	 * leaves partial panels of 8 and 12 rows, batched with a shared A, both betas; long k cut
	 * into runs whose blocks are summed in order, a partial last run, k past the largest run
	 * of local memory (524301), runs across a batch; each with a bitwise determinism check. */
	static const struct gemm_case cpu_cases[] = {
	    {0, 0, 17, 33, 65, 1, 2, 0, 1.0f, 0.0f, 0},
	    {0, 0, 64, 47, 9, 3, 1, 3, 0.5f, 1.0f, 1},
	    {1, 0, 81, 31, 17, 1, 3, 0, 1.0f, 1.0f, 0},
	    {1, 0, 145, 65, 16, 2, 0, 5, 1.0f, 0.0f, 1},
	    {0, 1, 17, 33, 2085, 1, 3, 0, 1.0f, 0.0f, 0},
	    {0, 1, 5, 3, 4099, 1, 0, 0, 0.75f, 1.0f, 0},
	    {0, 1, 3, 5, 524301, 1, 1, 0, 1.0f, 0.0f, 0},
	    {0, 1, 3, 4, 3, 1, 0, 0, 1.0f, 1.0f, 0},
	    /* the packed GEMM splits k across a batch: partial blocks of products z > 0, a
	     * shared A */
	    {0, 0, 5, 7, 3001, 3, 1, 2, 1.0f, 1.0f, 0},
	    {1, 1, 9, 3, 2050, 2, 0, 1, 0.5f, 0.0f, 1},
	    /* long k in every transpose: the GPU profile cuts these into slices (split-k) */
	    {0, 0, 3, 17, 777, 1, 1, 0, -0.5f, 1.0f, 0},
	    {1, 0, 7, 9, 1301, 1, 2, 0, 1.0f, 0.0f, 0},
	    {1, 1, 5, 6, 1500, 1, 0, 0, 2.0f, 1.0f, 0},
	};
	for (size_t i = 0; i < sizeof(cpu_cases) / sizeof(cpu_cases[0]); i++) {
		const struct gemm_case *c = &cpu_cases[i];
		snprintf(label, sizeof(label),
			 "%s %c%c m%d n%d k%d batch %d alpha %.2f beta %.0f ld+%d (CPU shapes)",
			 backend, c->ta ? 'T' : 'N', c->tb ? 'T' : 'N', c->m, c->n, c->k, c->batch,
			 c->alpha, c->beta, c->pad);
		run_case(c, label, 1);
	}

	/* on the GPU profile the long-k cases above ran as slices, the last one shorter */
	if (ctx->profile.gemm_splitk) {
		struct ampcl_gemm_splitk a = ampcl_gemm_splitk_plan(ctx, 5, 3, 4099, 1);
		struct ampcl_gemm_splitk b = ampcl_gemm_splitk_plan(ctx, 3, 17, 777, 1);
		struct ampcl_gemm_splitk c = ampcl_gemm_splitk_plan(ctx, 5, 3, 4099, 2);
		snprintf(label, sizeof(label), "%s split-k plans", backend);
		tu_check(a.slices > 1 && 4099 - (a.slices - 1) * a.kc < a.kc && b.slices > 1 &&
			     c.slices == 1,
			 label, "k 4099: %d slices of %d; k 777: %d of %d; batched: %d", a.slices,
			 a.kc, b.slices, b.kc, c.slices);
	}

	/* k = 0: C = beta*C, no product */
	struct gemm_case k0 = {0, 0, 5, 7, 0, 1, 1, 0, 1.0f, 1.0f, 0};
	snprintf(label, sizeof(label), "%s k0 beta 1", backend);
	run_case(&k0, label, 0);
}

/* GFLOP/s of each back end at m = n = k = 512 (best of 5 after a warm-up); printed, not
 * checked, since a shared CI machine's timing varies. */
static void report_speed(void)
{
	const int s = 512;
	struct tu_arena ar;
	tu_arena_init(&ar, "speed");
	int sh[1] = {s * s};
	struct ampcl_tensor a = tu_reserve(&ar, "a", 1, sh), b = tu_reserve(&ar, "b", 1, sh);
	struct ampcl_tensor c = tu_reserve(&ar, "c", 1, sh);
	tu_arena_commit(ctx, &ar);
	tu_ok(ampcl_tensor_fill(ctx, &a, 0.5f), "fill");
	tu_ok(ampcl_tensor_fill(ctx, &b, 0.25f), "fill");
	const char *names[] = {"own", "clblast"};
	for (int i = 0; i < 2; i++) {
		tu_ok(ampcl_gemm_set_backend(ctx, names[i]), names[i]);
		double best = 1e30, first = 0;
		for (int r = 0; r < 6; r++) {
			double t0 = ampcl_now();
			tu_ok(ampcl_gemm(ctx, 0, 0, s, s, s, 1.0f, ampcl_tensor_mem(&a),
					 ampcl_tensor_off(&a), s, ampcl_tensor_mem(&b),
					 ampcl_tensor_off(&b), s, 0.0f, ampcl_tensor_mem(&c),
					 ampcl_tensor_off(&c), s),
			      "speed gemm");
			clFinish(ctx->queue);
			double dt = ampcl_now() - t0;
			if (r == 0)
				first = dt;
			else if (dt < best)
				best = dt;
		}
		printf("INFO %s gemm 512x512x512 NN on %s: %.1f GFLOP/s (best of 5; first call "
		       "%.2f s)\n",
		       names[i], ctx->caps.desc.name, 2.0 * s * s * s / best * 1e-9, first);
	}
	tu_arena_free(&ar);
}

static void test_bad_input(void)
{
	tu_ok(ampcl_gemm_set_backend(ctx, "own"), "own");
	int st = ampcl_gemm_set_backend(ctx, "cublas");
	const char *msg = ampcl_last_error();
	tu_check(st == AMPCL_ERR_INVALID_ARG && strstr(msg, "cublas") && strstr(msg, "clblast"),
		 "bad backend name rejected", "status %d, message: %s", st, msg);
	tu_check(!strcmp(ampcl_gemm_backend_name(ctx), "own"), "bad name changes nothing",
		 "in effect: %s", ampcl_gemm_backend_name(ctx));

	/* AUTO honours AMPCL_GEMM (read into ctx->env at creation; set here directly) */
	char saved[sizeof(ctx->env.gemm)];
	memcpy(saved, ctx->env.gemm, sizeof(saved));
	tu_ok(ampcl_gemm_set_backend(ctx, "AUTO"), "auto");
	snprintf(ctx->env.gemm, sizeof(ctx->env.gemm), "clblast");
	tu_check(!strcmp(ampcl_gemm_backend_name(ctx), "clblast"), "auto honours AMPCL_GEMM",
		 "AMPCL_GEMM=clblast gives %s", ampcl_gemm_backend_name(ctx));
	snprintf(ctx->env.gemm, sizeof(ctx->env.gemm), "%s", "");
	/* not CLBlast under AMPCL_LIMITS' wg or local: it reads the driver's limits itself */
	const char *dflt = ctx->profile.gemm_clblast && !(ctx->caps.limited & AMPCL_LIMITED_LAUNCH)
			       ? "clblast"
			       : "own";
	tu_check(!strcmp(ampcl_gemm_backend_name(ctx), dflt), "auto default",
		 "the %s profile gives %s (want %s)", ctx->profile.row,
		 ampcl_gemm_backend_name(ctx), dflt);

	struct tu_arena ar;
	tu_arena_init(&ar, "bad");
	int sh[1] = {64};
	struct ampcl_tensor t = tu_reserve(&ar, "t", 1, sh);
	tu_arena_commit(ctx, &ar);
	cl_mem m = ampcl_tensor_mem(&t);
	size_t off = ampcl_tensor_off(&t);

	snprintf(ctx->env.gemm, sizeof(ctx->env.gemm), "fastest");
	st = ampcl_gemm(ctx, 0, 0, 2, 2, 2, 1, m, off, 2, m, off, 2, 0, m, off + 8, 2);
	msg = ampcl_last_error();
	tu_check(st == AMPCL_ERR_INVALID_ARG && strstr(msg, "fastest"), "bad AMPCL_GEMM rejected",
		 "status %d, message: %s", st, msg);
	memcpy(ctx->env.gemm, saved, sizeof(saved));

	st = ampcl_gemm(ctx, 0, 0, 2, 3, 4, 1, m, off, 3, m, off, 3, 0, m, off + 16, 3);
	msg = ampcl_last_error();
	tu_check(st == AMPCL_ERR_INVALID_ARG && strstr(msg, "lda"), "lda below k rejected",
		 "status %d, message: %s", st, msg);
	/* the buffer ends past the arena's last tensor plus its alignment; this runs far past */
	st = ampcl_gemm(ctx, 0, 0, 2, 2, 2, 1, m, off, 2, m, off, 2, 0, m, off + (1u << 20), 2);
	msg = ampcl_last_error();
	tu_check(st == AMPCL_ERR_INVALID_ARG && strstr(msg, "past its buffer"),
		 "C outside its buffer rejected", "status %d, message: %s", st, msg);
	tu_arena_free(&ar);
}

int main(void)
{
	ctx = tu_context();
	printf("device: %s\n", ctx->caps.desc.name);
	double t0 = ampcl_now();
	run_backend("own");
	double t1 = ampcl_now();
	run_backend("clblast");
	double t2 = ampcl_now();
	printf("INFO own kernels: %.1f s; CLBlast: %.1f s (includes compiling its kernels unless "
	       "the OpenCL driver cached them)\n",
	       t1 - t0, t2 - t1);
	test_bad_input();
	report_speed();
	return tu_finish();
}
