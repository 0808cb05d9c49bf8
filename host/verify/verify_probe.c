/* verify_probe.c: `ampcl verify`'s probe of the device: every kernel file built, its limits and
 * extensions, the profile row and tuning in use, and checks of what ampcl's kernels rely on
 * (offset views, loops past 65535 iterations, local memory and barriers at the largest group). */
#include "verify.h"
#include "alloc.h"
#include "error.h"
#include "gemm.h"
#include "launch.h"
#include "program.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* n is odd and the views start past other tensors, so offsets and index guards are exercised;
 * the inputs are multiples of 1/8 and small, so 3 (a + b) is exact in float: tolerance 0. */
static ampcl_status check_add_scale(struct vf_run *v)
{
	enum { N = 1027 };
	struct ampcl_context *ctx = v->ctx;
	struct ampcl_arena *arena = ampcl_arena_create("verify probe");
	struct ampcl_tensor pad, a, b, y;
	int shape[1] = {N}, pad_shape[1] = {3};
	float *ha = ampcl_xmalloc(N * sizeof(float)), *hb = ampcl_xmalloc(N * sizeof(float));
	float *hy = ampcl_xmalloc(N * sizeof(float));
	double want[N], tol[N];
	for (int i = 0; i < N; i++) {
		ha[i] = (float)(i % 17) * 0.25f - 1.0f;
		hb[i] = (float)(i % 5) * -0.5f + 0.125f;
		want[i] = 3.0 * ((double)ha[i] + (double)hb[i]);
		tol[i] = 0;
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
	size_t global = N, local = 64;
	struct ampcl_karg add_args[] = {AMPCL_KARG_VIEW(&y), AMPCL_KARG_VIEW(&a),
					AMPCL_KARG_VIEW(&b), AMPCL_KARG_UINT(0),
					AMPCL_KARG_UINT(N)};
	struct ampcl_karg scale_args[] = {AMPCL_KARG_VIEW(&y), AMPCL_KARG_FLOAT(3.0f),
					  AMPCL_KARG_UINT(N)};
	/* groups of 64, or what a smaller device (or either kernel) takes */
	local = ampcl_launch_group_size(ctx, add, local);
	if (ampcl_launch_group_size(ctx, scale, local) < local)
		local = ampcl_launch_group_size(ctx, scale, local);
	vf_record_start(v);
	if ((st = ampcl_launch(ctx, add, 1, &global, &local, AMPCL_NARGS(add_args), add_args,
			       NULL)) ||
	    (st = ampcl_launch(ctx, scale, 1, &global, &local, AMPCL_NARGS(scale_args), scale_args,
			       NULL)) ||
	    (st = vf_record_stop(v)) || (st = ampcl_tensor_read(ctx, &y, hy)))
		goto out;
	vf_compare(v, "probe", "views at an offset (add, scale)", "n=1027 after 3 floats", hy, want,
		   tol, N, "exact: multiples of 1/8");
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

static ampcl_status check_long_loop(struct vf_run *v)
{
	struct ampcl_context *ctx = v->ctx;
	struct ampcl_arena *arena = ampcl_arena_create("verify loop");
	struct ampcl_tensor sum, tv;
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
	    (st = ampcl_arena_reserve(arena, "v", 1, v_shape, &tv)) ||
	    (st = ampcl_arena_commit(ctx, arena)) || (st = ampcl_tensor_write(ctx, &tv, fv)) ||
	    (st = ampcl_kernel_get(ctx, "selftest", "", "selftest_long_loop", &kernel)))
		goto out;
	size_t global = 1;
	struct ampcl_karg args[] = {AMPCL_KARG_VIEW(&sum), AMPCL_KARG_VIEW(&tv),
				    AMPCL_KARG_UINT(LOOP_LEN), AMPCL_KARG_UINT(LOOP_OUTER),
				    AMPCL_KARG_UINT(LOOP_INNER)};
	vf_record_start(v);
	if ((st = ampcl_launch(ctx, kernel, 1, &global, NULL, AMPCL_NARGS(args), args, NULL)) ||
	    (st = vf_record_stop(v)) || (st = ampcl_tensor_read(ctx, &sum, fsum)))
		goto out;
	memcpy(hsum, fsum, sizeof(hsum));
	if (vf_broken(v, "probe"))
		hsum[1]--;
	uint32_t total = (uint32_t)LOOP_OUTER * LOOP_INNER;
	int full = hsum[0] == want && hsum[1] == total;
	const char *note =
	    full ? ""
	    : ctx->profile.loop_k_max
		? " (the device ends long loops early; its profile bounds ampcl's loops)"
		: " (the device ends long loops early: ampcl's GEMM and reductions "
		  "would be wrong here)";
	vf_fact(v, "long loop", "%u of %u iterations ran, sum %s%s", hsum[1], total,
		hsum[0] == want ? "exact" : "wrong", note);
	/* a device whose profile bounds every loop (loop_k_max) may stop this one short: the fact
	 * above says so, and the GEMM checks show whether the bound holds */
	double missing = full || ctx->profile.loop_k_max ? 0 : (double)total - hsum[1] + 1;
	vf_result(v, "probe", "loop of 131344 iterations", "1 work-item", missing, 0,
		  missing / total,
		  full                      ? "exact"
		  : ctx->profile.loop_k_max ? "short, allowed: the profile bounds ampcl's loops"
					    : "exact");
out:
	ampcl_arena_free(arena);
	return st;
}

/* selftest_local at the largest power-of-two group the kernel runs in, with most of the local
 * memory the device reports: exact unsigned sums, tolerance 0. */
static ampcl_status check_local(struct vf_run *v)
{
	enum { GROUPS = 3 };
	struct ampcl_context *ctx = v->ctx;
	cl_kernel kernel;
	ampcl_status st = ampcl_kernel_get(ctx, "selftest", "", "selftest_local", &kernel);
	if (st)
		return st;
	size_t lsz = ampcl_launch_group_size(ctx, kernel, ctx->caps.desc.max_work_group_size);
	/* the tree's words take at most a quarter of the local memory (a small one with many
	 * work-items: 16 KiB and 4096 of them) */
	while (lsz > 1 && lsz * 4 * 4 > ctx->caps.desc.local_mem_bytes)
		lsz /= 2;
	cl_ulong used = 0;
	clGetKernelWorkGroupInfo(kernel, ctx->caps.device, CL_KERNEL_LOCAL_MEM_SIZE, sizeof(used),
				 &used, NULL);
	/* three quarters of what is left once the tree's words and the kernel's own are placed,
	 * at most 1 M words (a device reporting more gains nothing from a longer test) */
	unsigned long long local = ctx->caps.desc.local_mem_bytes;
	unsigned long long room = local > used + lsz * 4 + 64 ? local - used - lsz * 4 - 64 : 0;
	size_t n = (size_t)(room / 4 * 3 / 4);
	if (n > (1u << 20))
		n = 1u << 20;
	if (n < 1)
		n = 1;
	struct ampcl_arena *arena = ampcl_arena_create("verify local");
	struct ampcl_tensor sum;
	int shape[1] = {GROUPS};
	float got[GROUPS];
	if ((st = ampcl_arena_reserve(arena, "sum", 1, shape, &sum)) ||
	    (st = ampcl_arena_commit(ctx, arena)))
		goto out;
	size_t global = GROUPS * lsz;
	struct ampcl_karg args[] = {AMPCL_KARG_VIEW(&sum), AMPCL_KARG_LOCAL(lsz * 4),
				    AMPCL_KARG_LOCAL(n * 4), AMPCL_KARG_UINT(n)};
	vf_record_start(v);
	if ((st = ampcl_launch(ctx, kernel, 1, &global, &lsz, AMPCL_NARGS(args), args, NULL)) ||
	    (st = vf_record_stop(v)) || (st = ampcl_tensor_read(ctx, &sum, got)))
		goto out;
	int wrong = 0;
	for (uint32_t g = 0; g < GROUPS; g++) {
		uint32_t want = 0, have;
		for (uint32_t j = 0; j < n; j++)
			want += ((uint32_t)(n - 1 - j + 1) * 2654435761u + g) * (j % 7 + 1);
		memcpy(&have, &got[g], 4);
		if (vf_broken(v, "probe") && g == 1)
			have++;
		wrong += have != want;
	}
	char shape_s[96];
	snprintf(shape_s, sizeof(shape_s), "%d groups of %zu, %zu local words", GROUPS, lsz, n);
	vf_fact(v, "local memory and barriers", "%s: %d of %d group sums exact", shape_s,
		GROUPS - wrong, GROUPS);
	vf_result(v, "probe", "local memory + barriers", shape_s, wrong, 0, wrong / (double)GROUPS,
		  "exact");
out:
	ampcl_arena_free(arena);
	return st;
}

static void device_facts(struct vf_run *v)
{
	const struct ampcl_device_caps *c = &v->ctx->caps;
	const struct ampcl_device_desc *d = &c->desc;
	const struct ampcl_device_profile *p = &v->ctx->profile;
	vf_fact(v, "device", "%s (%s, %s)", d->name, d->vendor, d->type);
	vf_fact(v, "platform", "%s, %s", d->platform, d->platform_version);
	vf_fact(v, "driver", "%s", d->driver_version);
	vf_fact(v, "OpenCL C", "%s", d->opencl_c_version);
	vf_fact(v, "compute units", "%u", d->compute_units);
	vf_fact(v, "memory", "global %llu MiB, one allocation at most %llu MiB, local %llu KiB",
		d->global_mem_bytes >> 20, d->max_alloc_bytes >> 20, d->local_mem_bytes >> 10);
	vf_fact(v, "work-group", "at most %zu items, per dimension %zu x %zu x %zu",
		d->max_work_group_size, c->max_work_item_sizes[0], c->max_work_item_sizes[1],
		c->max_work_item_sizes[2]);
	vf_fact(v, "native float vector width", "%u", c->native_vector_width_float);
	vf_fact(v, "extensions ampcl's kernels use",
		"none beyond OpenCL C 1.2 (FP_CONTRACT OFF in eltwise.cl and pool.cl)");
	vf_fact(v, "cl_khr_fp16", "%s",
		ampcl_device_has_extension(c, "cl_khr_fp16") ? "yes" : "no");
	vf_fact(v, "cl_khr_fp64", "%s",
		ampcl_device_has_extension(c, "cl_khr_fp64") ? "yes" : "no");
	vf_fact(v, "sub-groups", "%s%s%s",
		ampcl_device_has_extension(c, "cl_khr_subgroups") ? "cl_khr_subgroups " : "",
		ampcl_device_has_extension(c, "cl_intel_subgroups") ? "cl_intel_subgroups" : "",
		ampcl_device_has_extension(c, "cl_khr_subgroups") ||
			ampcl_device_has_extension(c, "cl_intel_subgroups")
		    ? ""
		    : "none reported");
	vf_fact(v, "profile", "%s: %s", p->row, v->rep->profile_reason);
	vf_fact(v, "profile choices",
		"conv %s%s, col2im %s, GEMM %s%s%s, k per launch %s, BN groups %zu items "
		"(%s), pools %s",
		p->conv_implicit ? "implicit GEMM" : "im2col",
		p->gemm_packed ? " / packed CPU GEMM" : "", p->conv_rows ? "rows" : "elements",
		ampcl_gemm_backend_name(v->ctx), p->gemm_packed ? " (packed panels)" : "",
		p->gemm_splitk ? ", split-k" : "", p->loop_k_max ? "bounded" : "any",
		p->bn_local_max, p->bn_contiguous ? "contiguous" : "interleaved",
		p->pool_rows ? "rows" : "elements");
	const struct ampcl_env *e = &v->ctx->env;
	vf_fact(v, "settings", "AMPCL_PROFILE=%s AMPCL_GEMM=%s AMPCL_CONV=%s AMPCL_TUNE=%s",
		e->profile[0] ? e->profile : "-", e->gemm[0] ? e->gemm : "-",
		e->conv[0] ? e->conv : "-", e->tune[0] ? e->tune : "-");
	const struct ampcl_tune *t = &v->ctx->tune;
	static const char *levels[] = {"off", "quick", "full"};
	vf_fact(v, "tuning", "%s, %d stored choice%s%s%s", levels[t->level], t->n,
		t->n == 1 ? "" : "s", t->path[0] ? " in " : "", t->path);
}

void vf_tune_facts(struct vf_run *v)
{
	const struct ampcl_tune *t = &v->ctx->tune;
	int used = 0;
	for (int i = 0; i < t->n; i++) {
		const struct ampcl_tune_entry *e = &t->entries[i];
		if (!e->used)
			continue;
		char name[48];
		snprintf(name, sizeof(name), "tuning in use %d", ++used);
		vf_fact(v, name, "%s: values %d %d %d %d (measured at level %d)", e->key,
			e->value[0], e->value[1], e->value[2], e->value[3], e->level);
	}
	vf_fact(v, "tuning in use", "%d of the %d stored choices served these checks", used, t->n);
}

ampcl_status vf_probe(struct vf_run *v)
{
	struct ampcl_build_stats before = v->ctx->stats;
	ampcl_status st = ampcl_kernels_build_all(v->ctx);
	if (st)
		return st;
	device_facts(v);
	vf_fact(v, "kernel files", "%d built (%d compiled, %d from the cache) in %.1f s",
		v->ctx->nprograms, v->ctx->stats.programs_built - before.programs_built,
		v->ctx->stats.cache_hits - before.cache_hits,
		v->ctx->stats.build_seconds - before.build_seconds);
	if ((st = check_add_scale(v)) || (st = check_long_loop(v)))
		return st;
	return check_local(v);
}
