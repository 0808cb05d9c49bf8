/* gemm.c: the GEMM interface: argument checks shared by both back ends, the back-end choice
 * (ctx->gemm_backend, then AMPCL_GEMM, then the device type) and the fall-back from CLBlast.
 *
 * Why AUTO takes the own kernels on CPUs: on PoCL 3.1 (2 cores of an AVX-512 EPYC) at
 * m = n = k = 512, NN, the own kernel ran at 45-57 GFLOP/s and CLBlast 1.5.3 at 10-16
 * (tests/test_gemm prints both), and CLBlast compiles its kernels at run time: ~8 s per
 * routine (Sgemm, SgemmStridedBatched) on PoCL when PoCL's own binary cache is cold.
 * GPUs keep CLBlast, which is tuned per device. */
#include "gemm.h"
#include "gemm_splitk.h"
#include "error.h"

#include <ctype.h>
#include <stdint.h>
#include <strings.h>

static const char *backend_names[] = {"auto", "clblast", "own"};

/* AMPCL_GEMM_CLBLAST or AMPCL_GEMM_OWN, or -1 when AMPCL_GEMM names neither. */
static int backend_resolve(const struct ampcl_context *ctx)
{
	if (ctx->gemm_backend == AMPCL_GEMM_CLBLAST || ctx->gemm_backend == AMPCL_GEMM_OWN)
		return ctx->gemm_backend;
	const char *env = ctx->env.gemm;
	if (!strcasecmp(env, "clblast"))
		return AMPCL_GEMM_CLBLAST;
	if (!strcasecmp(env, "own"))
		return AMPCL_GEMM_OWN;
	if (*env && strcasecmp(env, "auto"))
		return -1;
#ifdef AMPCL_HAVE_CLBLAST
	/* CLBlast sizes its groups from what the driver reports, past AMPCL_LIMITS' wg and local */
	if (ctx->caps.limited & AMPCL_LIMITED_LAUNCH)
		return AMPCL_GEMM_OWN;
	return ctx->profile.gemm_clblast ? AMPCL_GEMM_CLBLAST : AMPCL_GEMM_OWN;
#else
	return AMPCL_GEMM_OWN;
#endif
}

size_t ampcl_gemm_workspace_floats(const struct ampcl_context *ctx, int trans_a, int trans_b, int m,
				   int n, int k, int batch)
{
	/* split-k is off where the own back end takes workspace itself (the packed GEMM) */
	size_t slices = ampcl_gemm_splitk_workspace_floats(ctx, m, n, k, batch);
	if (backend_resolve(ctx) != AMPCL_GEMM_OWN && k > 0)
		return slices;
	struct ampcl_gemm_args g = {
	    .trans_a = trans_a, .trans_b = trans_b, .m = m, .n = n, .k = k, .batch = batch};
	size_t own = ampcl_gemm_own_workspace_floats(ctx, &g);
	return slices > own ? slices : own;
}

ampcl_status ampcl_gemm_set_backend(struct ampcl_context *ctx, const char *name)
{
	for (int i = 0; name && i < (int)(sizeof(backend_names) / sizeof(backend_names[0])); i++) {
		if (!strcasecmp(name, backend_names[i])) {
			ctx->gemm_backend = i;
			return AMPCL_OK;
		}
	}
	return ampcl_error_set(AMPCL_ERR_INVALID_ARG,
			       "GEMM back end '%s' is not one of auto, clblast, own; pick one of "
			       "those",
			       name ? name : "(null)");
}

const char *ampcl_gemm_backend_name(const struct ampcl_context *ctx)
{
	int b = backend_resolve(ctx);
	return b < 0 ? "invalid" : backend_names[b];
}

/* Checks that a stored (rows, cols) matrix with row stride ld, repeated batch times at stride,
 * lies inside its buffer and within the 2^32 floats the kernels index. */
static ampcl_status check_matrix(const struct ampcl_context *ctx, char name, cl_mem mem, size_t off,
				 int rows, int cols, int ld, size_t stride, int batch)
{
	if (ld < cols || ld < 1)
		return ampcl_error_set(AMPCL_ERR_INVALID_ARG,
				       "gemm: ld%c = %d is below the %d columns %c is stored with "
				       "(row-major); pass its row stride",
				       tolower((unsigned char)name), ld, cols, name);
	if (rows == 0 || cols == 0)
		return AMPCL_OK;
	if (!mem)
		return ampcl_error_set(AMPCL_ERR_INVALID_ARG, "gemm: buffer of %c is NULL", name);
	size_t last = off + (size_t)(batch - 1) * stride + (size_t)(rows - 1) * (size_t)ld +
		      (size_t)cols; /* one past the last element */
	size_t have = ampcl_context_buffer_bytes(ctx, mem) / sizeof(float);
	if (last > have)
		return ampcl_error_set(
		    AMPCL_ERR_INVALID_ARG,
		    "gemm: %c (%d x %d, ld %d, offset %zu, batch %d, stride %zu) "
		    "ends at float %zu, past its buffer of %zu floats",
		    name, rows, cols, ld, off, batch, stride, last, have);
	if (last > UINT32_MAX)
		return ampcl_error_set(AMPCL_ERR_INVALID_ARG,
				       "gemm: %c ends at float %zu, beyond the 2^32 floats the "
				       "kernels can index; split the product",
				       name, last);
	return AMPCL_OK;
}

static ampcl_status check_args(const struct ampcl_context *ctx, const struct ampcl_gemm_args *g)
{
	if (g->m < 0 || g->n < 0 || g->k < 0 || g->batch < 0)
		return ampcl_error_set(AMPCL_ERR_INVALID_ARG,
				       "gemm: negative size m=%d n=%d k=%d batch=%d", g->m, g->n,
				       g->k, g->batch);
	if (g->m == 0 || g->n == 0 || g->batch == 0)
		return AMPCL_OK;
	/* op(A) is (m, k) and op(B) (k, n); a trans_ flag means the matrix is stored transposed */
	int a_rows = g->trans_a ? g->k : g->m, a_cols = g->trans_a ? g->m : g->k;
	int b_rows = g->trans_b ? g->n : g->k, b_cols = g->trans_b ? g->k : g->n;
	ampcl_status st;
	if ((st = check_matrix(ctx, 'A', g->a, g->a_off, a_rows, a_cols, g->lda, g->stride_a,
			       g->batch)) ||
	    (st = check_matrix(ctx, 'B', g->b, g->b_off, b_rows, b_cols, g->ldb, g->stride_b,
			       g->batch)) ||
	    (st =
		 check_matrix(ctx, 'C', g->c, g->c_off, g->m, g->n, g->ldc, g->stride_c, g->batch)))
		return st;
	if (g->batch > 1 && g->stride_c < (size_t)(g->m - 1) * (size_t)g->ldc + (size_t)g->n)
		return ampcl_error_set(
		    AMPCL_ERR_INVALID_ARG,
		    "gemm: stride_c = %zu makes the %d output matrices (%d x %d, "
		    "ldc %d) overlap",
		    g->stride_c, g->batch, g->m, g->n, g->ldc);
	return AMPCL_OK;
}

static ampcl_status run_backend(struct ampcl_context *ctx, const struct ampcl_gemm_args *g);

ampcl_status ampcl_gemm_batched(struct ampcl_context *ctx, int trans_a, int trans_b, int m, int n,
				int k, float alpha, cl_mem a, size_t a_off, int lda,
				size_t stride_a, cl_mem b, size_t b_off, int ldb, size_t stride_b,
				float beta, cl_mem c, size_t c_off, int ldc, size_t stride_c,
				int batch)
{
	struct ampcl_gemm_args g = {
	    .trans_a = trans_a,
	    .trans_b = trans_b,
	    .m = m,
	    .n = n,
	    .k = k,
	    .alpha = alpha,
	    .beta = beta,
	    .a = a,
	    .b = b,
	    .c = c,
	    .a_off = a_off,
	    .b_off = b_off,
	    .c_off = c_off,
	    .lda = lda,
	    .ldb = ldb,
	    .ldc = ldc,
	    .stride_a = stride_a,
	    .stride_b = stride_b,
	    .stride_c = stride_c,
	    .batch = batch,
	};
	ampcl_status st = check_args(ctx, &g);
	if (st || m == 0 || n == 0 || batch == 0)
		return st;
	if (batch == 1)
		g.stride_a = g.stride_b = g.stride_c = 0;

	if (backend_resolve(ctx) < 0)
		return ampcl_error_set(AMPCL_ERR_INVALID_ARG,
				       "AMPCL_GEMM='%s' is not a GEMM back end; set it to auto, "
				       "clblast or own, or unset it",
				       ctx->env.gemm);
	if (ctx->tune.measuring && (st = ampcl_gemm_splitk_measure(ctx, &g, run_backend)))
		return st;
	struct ampcl_gemm_splitk cut = ampcl_gemm_splitk_plan(ctx, m, n, k, g.batch);
	if (cut.slices > 1)
		return ampcl_gemm_splitk_run(ctx, &g, cut, run_backend);
	return run_backend(ctx, &g);
}

/* One checked product on the back end in effect (valid: ampcl_gemm_batched checked it). */
static ampcl_status run_backend(struct ampcl_context *ctx, const struct ampcl_gemm_args *g)
{
	int backend = backend_resolve(ctx);
	/* CLBlast rejects k == 0; C = beta*C is the own kernel's empty sum */
	if (backend == AMPCL_GEMM_OWN || g->k == 0)
		return ampcl_gemm_own_run(ctx, g);

#ifndef AMPCL_HAVE_CLBLAST
	return ampcl_error_set(AMPCL_ERR_UNSUPPORTED,
			       "this ampcl was built without CLBlast (libclblast-dev was not found "
			       "at build time): use the own GEMM (AMPCL_GEMM=own or --gemm own)");
#else
	ampcl_status st = ampcl_gemm_clblast_run(ctx, g);
	int automatic = ctx->gemm_backend == AMPCL_GEMM_AUTO &&
			(!ctx->env.gemm[0] || !strcasecmp(ctx->env.gemm, "auto"));
	if ((st == AMPCL_ERR_BUILD || st == AMPCL_ERR_UNSUPPORTED) && automatic) {
		/* automatic choice only: CLBlast cannot work on this device, so the own kernels
		 * take over for the rest of this context (ampcl_gemm_backend_name says so) */
		ctx->gemm_backend = AMPCL_GEMM_OWN;
		return ampcl_gemm_own_run(ctx, g);
	}
	return st;
#endif
}

ampcl_status ampcl_gemm(struct ampcl_context *ctx, int trans_a, int trans_b, int m, int n, int k,
			float alpha, cl_mem a, size_t a_off, int lda, cl_mem b, size_t b_off,
			int ldb, float beta, cl_mem c, size_t c_off, int ldc)
{
	return ampcl_gemm_batched(ctx, trans_a, trans_b, m, n, k, alpha, a, a_off, lda, 0, b, b_off,
				  ldb, 0, beta, c, c_off, ldc, 0, 1);
}
