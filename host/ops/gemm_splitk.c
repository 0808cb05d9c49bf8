/* gemm_splitk.c: split-k on GPU-profile devices: a thin product (few 64x64 tiles of C) with a long
 * k is cut into slices computed side by side into the op workspace, then summed in a fixed order.
 */
#include "gemm_splitk.h"
#include "error.h"
#include "launch.h"
#include "program.h"
#include "tune.h"
#include "workspace.h"

#include <stdio.h>

/* C tiles of this size are what one work-group of a GPU GEMM computes (cl/gemm.cl's default and
 * about CLBlast's); the slices should give every compute unit GROUPS_PER_CU of them. */
#define SPLITK_TILE 64
#define SPLITK_GROUPS_PER_CU 4
/* each slice keeps at least this much k, so the sum stays a small part of the work */
#define SPLITK_MIN_KC 256
#define SPLITK_MAX_SLICES 64
/* the slices' partial products together stay below this (floats, 64 MiB) */
#define SPLITK_MAX_FLOATS ((size_t)16 << 20)

/* The cut into about `slices` slices of a multiple of 16 (aligned rows of A and B). */
static struct ampcl_gemm_splitk cut_into(int k, size_t slices)
{
	struct ampcl_gemm_splitk none = {1, k};
	if (slices < 2)
		return none;
	int kc = (int)(((size_t)k + slices - 1) / slices + 15) / 16 * 16;
	struct ampcl_gemm_splitk cut = {(k + kc - 1) / kc, kc};
	return cut.slices > 1 ? cut : none;
}

static int takes(const struct ampcl_context *ctx, int m, int n, int k, int batch)
{
	return ctx->profile.gemm_splitk && batch == 1 && m >= 1 && n >= 1 && k >= 2 * SPLITK_MIN_KC;
}

static void cut_key(int m, int n, int k, char *key, size_t size)
{
	snprintf(key, size, "splitk %d %d %d", m, n, k);
}

/* The rule: enough slices for GROUPS_PER_CU tiles per compute unit. */
static struct ampcl_gemm_splitk default_cut(const struct ampcl_context *ctx, int m, int n, int k)
{
	struct ampcl_gemm_splitk none = {1, k};
	size_t tiles = (size_t)((m + SPLITK_TILE - 1) / SPLITK_TILE) *
		       (size_t)((n + SPLITK_TILE - 1) / SPLITK_TILE);
	size_t want = (size_t)SPLITK_GROUPS_PER_CU * ctx->caps.desc.compute_units;
	if (tiles >= want)
		return none;
	size_t slices = (want + tiles - 1) / tiles;
	size_t by_k = (size_t)k / SPLITK_MIN_KC;
	size_t by_space = SPLITK_MAX_FLOATS / ((size_t)m * (size_t)n);
	slices = slices < by_k ? slices : by_k;
	slices = slices < by_space ? slices : by_space;
	slices = slices < SPLITK_MAX_SLICES ? slices : SPLITK_MAX_SLICES;
	return cut_into(k, slices);
}

/* The variants tuning times, the default first: no cut, and half and twice the default's
 * slices (within the limits). */
static int candidates(const struct ampcl_context *ctx, int m, int n, int k,
		      struct ampcl_gemm_splitk *out)
{
	struct ampcl_gemm_splitk d = default_cut(ctx, m, n, k);
	size_t by_space = SPLITK_MAX_FLOATS / ((size_t)m * (size_t)n),
	       by_k = (size_t)k / SPLITK_MIN_KC;
	size_t most = by_space < by_k ? by_space : by_k;
	most = most < SPLITK_MAX_SLICES ? most : SPLITK_MAX_SLICES;
	size_t s0 = (size_t)d.slices, tries[3] = {1, s0 / 2, 2 * s0};
	int n_out = 0;
	out[n_out++] = d;
	for (int i = 0; i < 3; i++) {
		struct ampcl_gemm_splitk c = cut_into(k, tries[i] < most ? tries[i] : most);
		int seen = 0;
		for (int j = 0; j < n_out; j++)
			seen |= out[j].slices == c.slices;
		if (!seen)
			out[n_out++] = c;
	}
	return n_out;
}

/* A stored count of slices is one of the cuts tuning times for this shape. */
static int cut_valid(const struct ampcl_context *ctx, const int *value, int level, const void *arg)
{
	(void)level;
	const int *mnk = arg;
	struct ampcl_gemm_splitk c[4];
	int nc = candidates(ctx, mnk[0], mnk[1], mnk[2], c);
	for (int i = 0; i < nc; i++)
		if (c[i].slices == value[0] && !value[1] && !value[2] && !value[3])
			return 1;
	return 0;
}

struct ampcl_gemm_splitk ampcl_gemm_splitk_plan(const struct ampcl_context *ctx, int m, int n,
						int k, int batch)
{
	struct ampcl_gemm_splitk none = {1, k};
	if (!takes(ctx, m, n, k, batch))
		return none;
	char key[112];
	int v[AMPCL_TUNE_VALUES];
	cut_key(m, n, k, key, sizeof(key));
	const int mnk[3] = {m, n, k};
	if (ampcl_tune_lookup(ctx, key, AMPCL_TUNE_QUICK, v, cut_valid, mnk))
		return cut_into(k, (size_t)v[0]);
	return default_cut(ctx, m, n, k);
}

size_t ampcl_gemm_splitk_workspace_floats(const struct ampcl_context *ctx, int m, int n, int k,
					  int batch)
{
	struct ampcl_gemm_splitk cut = ampcl_gemm_splitk_plan(ctx, m, n, k, batch);
	size_t slices = cut.slices > 1 ? (size_t)cut.slices : 0;
	if (ctx->tune.measuring && takes(ctx, m, n, k, batch)) {
		struct ampcl_gemm_splitk c[4];
		int nc = candidates(ctx, m, n, k, c);
		for (int i = 0; i < nc; i++)
			slices = c[i].slices > 1 && (size_t)c[i].slices > slices
				     ? (size_t)c[i].slices
				     : slices;
	}
	return slices * (size_t)m * (size_t)n;
}

struct timed_cut {
	ampcl_status (*run)(void *arg, struct ampcl_gemm_splitk cut);
	void *arg;
	struct ampcl_gemm_splitk cut;
};

static ampcl_status run_timed_cut(void *arg)
{
	struct timed_cut *t = arg;
	return t->run(t->arg, t->cut);
}

ampcl_status ampcl_gemm_splitk_tune(struct ampcl_context *ctx, int m, int n, int k,
				    ampcl_status (*run)(void *arg, struct ampcl_gemm_splitk cut),
				    void *arg)
{
	char key[112];
	int v[AMPCL_TUNE_VALUES];
	/* another count of slices sums in another order: only AMPCL_TUNE=full tries them */
	if (!ctx->tune.measuring || ctx->tune.level != AMPCL_TUNE_FULL || !takes(ctx, m, n, k, 1))
		return AMPCL_OK;
	cut_key(m, n, k, key, sizeof(key));
	const int mnk[3] = {m, n, k};
	if (ampcl_tune_lookup(ctx, key, AMPCL_TUNE_FULL, v, cut_valid, mnk))
		return AMPCL_OK;
	struct ampcl_gemm_splitk c[4];
	int nc = candidates(ctx, m, n, k, c), best = 0;
	struct timed_cut t = {run, arg, c[0]};
	double best_s, s;
	ampcl_status st = ampcl_tune_time(ctx, run_timed_cut, &t, 3, &best_s);
	for (int i = 1; i < nc && !st; i++) {
		t.cut = c[i];
		if (!(st = ampcl_tune_time(ctx, run_timed_cut, &t, 3, &s)) && s < 0.97 * best_s)
			best = i, best_s = s;
	}
	if (st)
		return ampcl_error_wrap(st, "tuning %s: ", key);
	int value[AMPCL_TUNE_VALUES] = {c[best].slices, 0, 0, 0};
	ampcl_tune_store(ctx, key, value);
	ctx->tune.measured++;
	ctx->tune.changed += best != 0;
	return AMPCL_OK;
}

struct gemm_cut {
	struct ampcl_context *ctx;
	const struct ampcl_gemm_args *g;
	ampcl_status (*run)(struct ampcl_context *, const struct ampcl_gemm_args *);
};

static ampcl_status run_gemm_cut(void *arg, struct ampcl_gemm_splitk cut)
{
	struct gemm_cut *t = arg;
	if (cut.slices > 1)
		return ampcl_gemm_splitk_run(t->ctx, t->g, cut, t->run);
	return t->run(t->ctx, t->g);
}

ampcl_status ampcl_gemm_splitk_measure(struct ampcl_context *ctx, const struct ampcl_gemm_args *g,
				       ampcl_status (*run)(struct ampcl_context *,
							   const struct ampcl_gemm_args *))
{
	if (g->batch != 1)
		return AMPCL_OK;
	struct gemm_cut t = {ctx, g, run};
	return ampcl_gemm_splitk_tune(ctx, g->m, g->n, g->k, run_gemm_cut, &t);
}

ampcl_status ampcl_gemm_splitk_run(struct ampcl_context *ctx, const struct ampcl_gemm_args *g,
				   struct ampcl_gemm_splitk cut,
				   ampcl_status (*run)(struct ampcl_context *,
						       const struct ampcl_gemm_args *))
{
	size_t mn = (size_t)g->m * (size_t)g->n;
	cl_mem ws;
	size_t ws_bytes;
	ampcl_status st = ampcl_workspace_get(ctx, (size_t)cut.slices * mn, "gemm (split-k slices)",
					      &ws, &ws_bytes);
	if (st)
		return st;
	/* slice s: op(A)'s columns and op(B)'s rows s*kc .. s*kc + kc - 1 */
	size_t step_a = (size_t)cut.kc * (g->trans_a ? (size_t)g->lda : 1);
	size_t step_b = (size_t)cut.kc * (g->trans_b ? 1 : (size_t)g->ldb);
	struct ampcl_gemm_args s = *g;
	s.beta = 0.0f;
	s.c = ws;
	s.c_off = ws_bytes / sizeof(float);
	s.ldc = g->n;
	s.stride_a = step_a, s.stride_b = step_b, s.stride_c = mn;
	s.k = cut.kc;
	s.batch = cut.slices - 1; /* the full slices, as one batch */
	if ((st = run(ctx, &s)))
		return st;
	int last = cut.slices - 1;
	s.a_off = g->a_off + (size_t)last * step_a;
	s.b_off = g->b_off + (size_t)last * step_b;
	s.c_off += (size_t)last * mn;
	s.k = g->k - last * cut.kc;
	s.batch = 1;
	s.stride_a = s.stride_b = s.stride_c = 0;
	if ((st = run(ctx, &s)))
		return st;

	return ampcl_gemm_splitk_sum(ctx, g->c, g->c_off, g->ldc, ws, ws_bytes / sizeof(float),
				     g->m, g->n, cut.slices, g->beta);
}

ampcl_status ampcl_gemm_splitk_sum(struct ampcl_context *ctx, cl_mem c, size_t c_off, int ldc,
				   cl_mem ws, size_t ws_off, int m, int n, int slices, float beta)
{
	cl_kernel kernel;
	ampcl_status st = ampcl_kernel_get(ctx, "gemm", "", "gemm_splitk_sum", &kernel);
	if (st)
		return st;
	size_t global[2] = {(size_t)n, (size_t)m};
	struct ampcl_karg args[] = {
	    AMPCL_KARG_MEM(c),  AMPCL_KARG_UINT(c_off),  AMPCL_KARG_UINT(ldc),
	    AMPCL_KARG_MEM(ws), AMPCL_KARG_UINT(ws_off), AMPCL_KARG_UINT(m),
	    AMPCL_KARG_UINT(n), AMPCL_KARG_UINT(slices), AMPCL_KARG_FLOAT(beta),
	};
	return ampcl_launch(ctx, kernel, 2, global, NULL, AMPCL_NARGS(args), args, NULL);
}
