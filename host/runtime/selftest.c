/* selftest.c: `ampcl selftest` and the README's first command: builds every shipped kernel, checks
 * element-wise kernels through offset views against the host and that long loops run in full. */
#include "arena.h"
#include "alloc.h"
#include "error.h"
#include "launch.h"
#include "program.h"

#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void __attribute__((format(printf, 3, 4)))
report_line(char *report, size_t size, const char *fmt, ...)
{
	if (!report || !size)
		return;
	size_t used = strlen(report);
	va_list ap;
	va_start(ap, fmt);
	if (used < size)
		vsnprintf(report + used, size - used, fmt, ap);
	va_end(ap);
}

/* n is odd and the views start past other tensors, so offsets and index guards are exercised. */
static ampcl_status check_add_scale(struct ampcl_context *ctx, char *report, size_t size)
{
	enum { N = 1027 };
	struct ampcl_arena *arena = ampcl_arena_create("selftest");
	struct ampcl_tensor pad, a, b, y;
	int shape[1] = {N}, pad_shape[1] = {3};
	float *ha = ampcl_xmalloc(N * sizeof(float)), *hb = ampcl_xmalloc(N * sizeof(float));
	float *hy = ampcl_xmalloc(N * sizeof(float));
	for (int i = 0; i < N; i++) {
		ha[i] = (float)(i % 17) * 0.25f - 1.0f;
		hb[i] = (float)(i % 5) * -0.5f + 0.125f;
	}
	ampcl_status st;
	if ((st = ampcl_arena_reserve(arena, "pad", 1, pad_shape, &pad)) ||
	    (st = ampcl_arena_reserve(arena, "a", 1, shape, &a)) ||
	    (st = ampcl_arena_reserve(arena, "b", 1, shape, &b)) ||
	    (st = ampcl_arena_reserve(arena, "y", 1, shape, &y)) ||
	    (st = ampcl_arena_commit(ctx, arena)) || (st = ampcl_tensor_write(ctx, &a, ha)) ||
	    (st = ampcl_tensor_write(ctx, &b, hb)) || (st = ampcl_tensor_fill(ctx, &y, NAN)))
		goto out;

	cl_kernel add, scale;
	if ((st = ampcl_kernel_get(ctx, "eltwise", "", "add_forward", &add)) ||
	    (st = ampcl_kernel_get(ctx, "eltwise", "", "scale_forward", &scale)))
		goto out;
	/* groups of 64, or what a smaller device takes */
	size_t global = N, local = ampcl_launch_group_size(ctx, add, 64);
	if (ampcl_launch_group_size(ctx, scale, local) < local)
		local = ampcl_launch_group_size(ctx, scale, local);
	struct ampcl_karg add_args[] = {AMPCL_KARG_VIEW(&y), AMPCL_KARG_VIEW(&a),
					AMPCL_KARG_VIEW(&b), AMPCL_KARG_UINT(N)};
	struct ampcl_karg scale_args[] = {AMPCL_KARG_VIEW(&y), AMPCL_KARG_FLOAT(3.0f),
					  AMPCL_KARG_UINT(N)};
	if ((st = ampcl_launch(ctx, add, 1, &global, &local, AMPCL_NARGS(add_args), add_args,
			       NULL)) ||
	    (st = ampcl_launch(ctx, scale, 1, &global, &local, AMPCL_NARGS(scale_args), scale_args,
			       NULL)) ||
	    (st = ampcl_tensor_read(ctx, &y, hy)))
		goto out;
	double worst = 0;
	for (int i = 0; i < N; i++) {
		double want = 3.0 * ((double)ha[i] + (double)hb[i]);
		double err = fabs(hy[i] - want);
		if (!(err <= worst))
			worst = isnan(err) ? INFINITY : err;
	}
	/* exact in float: the inputs are multiples of 1/8 and small */
	report_line(report, size, "eltwise add+scale, n=%d at a non-zero offset: max error %g\n", N,
		    worst);
	if (worst != 0)
		st = ampcl_error_set(AMPCL_ERR_CHECK_FAILED,
				     "self-test: add+scale on %s differs from the host by %g",
				     ctx->caps.desc.name, worst);
out:
	ampcl_arena_free(arena);
	free(ha);
	free(hb);
	free(hy);
	return st;
}

/* A loop of LOOP_OUTER x LOOP_INNER iterations in one work-item, past Mesa llvmpipe's 65535:
 * that compiler ends every loop of an invocation once their iterations together reach its
 * limit, silently, and ampcl's GEMM k loops run longer than that unless the device's profile
 * bounds them (loop_k_max): a short loop is an error only on a device with no such bound. */
enum { LOOP_LEN = 1031, LOOP_OUTER = 8209, LOOP_INNER = 16 };

static ampcl_status check_long_loop(struct ampcl_context *ctx, char *report, size_t size)
{
	struct ampcl_arena *arena = ampcl_arena_create("selftest loop");
	struct ampcl_tensor sum, v;
	int sum_shape[1] = {2}, v_shape[1] = {LOOP_LEN};
	uint32_t hv[LOOP_LEN], hsum[2], want = 0;
	float fv[LOOP_LEN], fsum[2];
	for (uint32_t i = 0; i < LOOP_LEN; i++)
		hv[i] = i * 2654435761u + 12345u;
	for (uint32_t i = 0; i < (uint32_t)LOOP_OUTER * LOOP_INNER; i++)
		want += hv[i % LOOP_LEN];
	memcpy(fv, hv, sizeof(fv));
	ampcl_status st;
	cl_kernel kernel;
	if ((st = ampcl_arena_reserve(arena, "sum", 1, sum_shape, &sum)) ||
	    (st = ampcl_arena_reserve(arena, "v", 1, v_shape, &v)) ||
	    (st = ampcl_arena_commit(ctx, arena)) || (st = ampcl_tensor_write(ctx, &v, fv)) ||
	    (st = ampcl_kernel_get(ctx, "selftest", "", "selftest_long_loop", &kernel)))
		goto out;
	size_t global = 1;
	struct ampcl_karg args[] = {AMPCL_KARG_VIEW(&sum), AMPCL_KARG_VIEW(&v),
				    AMPCL_KARG_UINT(LOOP_LEN), AMPCL_KARG_UINT(LOOP_OUTER),
				    AMPCL_KARG_UINT(LOOP_INNER)};
	if ((st = ampcl_launch(ctx, kernel, 1, &global, NULL, AMPCL_NARGS(args), args, NULL)) ||
	    (st = ampcl_tensor_read(ctx, &sum, fsum)))
		goto out;
	memcpy(hsum, fsum, sizeof(hsum));
	int full = hsum[0] == want && hsum[1] == (uint32_t)LOOP_OUTER * LOOP_INNER;
	report_line(report, size, "a loop of %d iterations in one work-item: ran %u, sum %s%s\n",
		    LOOP_OUTER * LOOP_INNER, hsum[1], hsum[0] == want ? "exact" : "wrong",
		    full ? ""
		    : ctx->profile.loop_k_max
			? " (the device ends long loops early; its profile bounds ampcl's)"
			: "");
	if (!full && !ctx->profile.loop_k_max)
		st = ampcl_error_set(
		    AMPCL_ERR_CHECK_FAILED,
		    "self-test: a kernel loop of %d iterations on %s ran %u of them (sum %s); this "
		    "OpenCL compiler ends long loops early (Mesa's llvmpipe stops all loops "
		    "together after 65535 iterations) and no device profile bounds ampcl's loops "
		    "for it, so its GEMM and reductions would give wrong results: use another "
		    "device (--device, AMPCL_DEVICE)",
		    LOOP_OUTER * LOOP_INNER, ctx->caps.desc.name, hsum[1],
		    hsum[0] == want ? "exact" : "wrong");
out:
	ampcl_arena_free(arena);
	return st;
}

ampcl_status ampcl_selftest(ampcl_context_t *ctx, char *report, size_t report_size)
{
	if (report && report_size)
		report[0] = 0;
	ampcl_status st = ampcl_kernels_build_all(ctx);
	if (st)
		return st;
	report_line(report, report_size, "built %d kernel files\n", ctx->nprograms);
	if ((st = check_add_scale(ctx, report, report_size)))
		return st;
	return check_long_loop(ctx, report, report_size);
}
