/* test_arena.c: arenas and views: a kernel round trip through a view at a non-zero offset that
 * leaves its neighbours alone, reserve errors, and an allocation beyond the device's limit. */
#include "testutil.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

int main(void)
{
	struct ampcl_context *ctx = tu_context();
	struct ampcl_arena *arena = ampcl_arena_create("activations");
	struct ampcl_tensor before, view, after;
	int s1[1] = {5}, s4[4] = {3, 3, 5, 7}; /* 315 floats: odd, not a multiple of any vector */
	tu_ok(ampcl_arena_reserve(arena, "before", 1, s1, &before), "reserve");
	tu_ok(ampcl_arena_reserve(arena, "view", 4, s4, &view), "reserve");
	tu_ok(ampcl_arena_reserve(arena, "after", 1, s1, &after), "reserve");
	tu_check(view.offset > 0 && view.offset % AMPCL_ARENA_ALIGN == 0 &&
		     after.offset > view.offset,
		 "views are aligned and disjoint", "offsets %zu %zu %zu", before.offset,
		 view.offset, after.offset);
	tu_arena_commit(ctx, &(struct tu_arena){arena});

	size_t n = ampcl_tensor_count(&view);
	float *host = tu_malloc(n * sizeof(float)), *back = tu_malloc(n * sizeof(float));
	double *want = tu_malloc(n * sizeof(double));
	unsigned long long seed = 7;
	tu_fill_uniform_f(host, n, &seed, -2.0f, 2.0f);
	tu_ok(ampcl_tensor_fill(ctx, &before, 11.0f), "fill before");
	tu_ok(ampcl_tensor_fill(ctx, &after, 13.0f), "fill after");
	tu_ok(ampcl_tensor_write(ctx, &view, host), "write");

	cl_kernel scale;
	tu_ok(ampcl_kernel_get(ctx, "eltwise", "", "scale_forward", &scale), "kernel");
	size_t global = n, local = 32;
	struct ampcl_karg args[] = {AMPCL_KARG_MEM(ampcl_tensor_mem(&view)),
				    AMPCL_KARG_UINT(ampcl_tensor_off(&view)),
				    AMPCL_KARG_FLOAT(-0.5f), AMPCL_KARG_UINT(n)};
	tu_ok(ampcl_launch(ctx, scale, 1, &global, &local, 4, args, NULL), "launch");
	tu_ok(ampcl_tensor_read(ctx, &view, back), "read");
	for (size_t i = 0; i < n; i++)
		want[i] = -0.5 * (double)host[i];
	tu_compare("scale through a view at a non-zero offset", back, want, n, 0, 0);

	float edge[5];
	double w11[5] = {11, 11, 11, 11, 11}, w13[5] = {13, 13, 13, 13, 13};
	tu_ok(ampcl_tensor_read(ctx, &before, edge), "read before");
	tu_compare("the tensor before is untouched", edge, w11, 5, 0, 0);
	tu_ok(ampcl_tensor_read(ctx, &after, edge), "read after");
	tu_compare("the tensor after is untouched (rounded-up launch guarded)", edge, w13, 5, 0, 0);

	/* whole-arena fill, as gradient zeroing does */
	tu_ok(ampcl_arena_fill(ctx, arena, 0.0f), "arena fill");
	tu_ok(ampcl_tensor_read(ctx, &view, back), "read");
	memset(want, 0, n * sizeof(double));
	tu_compare("one fill zeroes every view", back, want, n, 0, 0);

	struct ampcl_tensor late;
	int st = ampcl_arena_reserve(arena, "late", 1, s1, &late);
	tu_check(st == AMPCL_ERR_INVALID_ARG && strstr(ampcl_last_error(), "late"),
		 "reserve after commit is refused", "%s", ampcl_last_error());
	int bad[2] = {3, 0};
	struct ampcl_arena *other = ampcl_arena_create("params");
	st = ampcl_arena_reserve(other, "conv1.weight", 2, bad, &late);
	tu_check(st == AMPCL_ERR_INVALID_ARG && strstr(ampcl_last_error(), "conv1.weight"),
		 "a zero dimension is refused", "%s", ampcl_last_error());

	/* more than one allocation may hold: the message names the tensor and the limits. The
	 * device's limit is lowered to 64 MiB for this (as AMPCL_LIMITS does), so the case is
	 * the same whatever the device allows */
	unsigned long long real_max_alloc = ctx->caps.desc.max_alloc_bytes;
	ctx->caps.desc.max_alloc_bytes = 64ULL << 20;
	int huge[2] = {(64 << 20) / 4 / 1024 + 1024, 1024};
	struct ampcl_tensor small, big;
	tu_ok(ampcl_arena_reserve(other, "layer1.0.conv1.weight", 1, s1, &small), "reserve small");
	tu_ok(ampcl_arena_reserve(other, "layer4.1.bn2.out", 2, huge, &big), "reserve huge");
	st = ampcl_arena_commit(ctx, other);
	tu_check(st == AMPCL_ERR_OUT_OF_DEVICE_MEMORY &&
		     strstr(ampcl_last_error(), "layer4.1.bn2.out") &&
		     strstr(ampcl_last_error(), "max allocation") &&
		     strstr(ampcl_last_error(), "params") && other->buf == NULL,
		 "too big for the device: a status and a message", "%s", ampcl_last_error());
	ampcl_arena_free(other);
	ctx->caps.desc.max_alloc_bytes = real_max_alloc;

	/* a chunked arena: views that would cross the limit start a new buffer */
	struct ampcl_arena *chunked = ampcl_arena_create("activations");
	ampcl_arena_set_chunk_limit(chunked, 4096);
	struct ampcl_tensor c[4];
	int s500[1] = {500}, s2000[1] = {2000};
	tu_ok(ampcl_arena_reserve(chunked, "a", 1, s500, &c[0]), "reserve a");
	tu_ok(ampcl_arena_reserve(chunked, "b", 1, s500, &c[1]), "reserve b");
	tu_ok(ampcl_arena_reserve(chunked, "c", 1, s500, &c[2]), "reserve c");
	tu_ok(ampcl_arena_reserve(chunked, "big", 1, s2000, &c[3]), "reserve big");
	tu_check(chunked->nchunks == 3 && c[1].chunk == 0 && c[2].chunk == 1 && c[2].offset == 0 &&
		     c[3].chunk == 2,
		 "views are placed in chunks under the limit",
		 "%d chunks; b in %d, c in %d at %zu, big (8000 bytes) in %d", chunked->nchunks,
		 c[1].chunk, c[2].chunk, c[2].offset, c[3].chunk);
	tu_arena_commit(ctx, &(struct tu_arena){chunked});
	float *v = tu_malloc(2000 * sizeof(float));
	double *w = tu_malloc(2000 * sizeof(double));
	for (int i = 0; i < 4; i++) {
		size_t cnt = ampcl_tensor_count(&c[i]);
		for (size_t k = 0; k < cnt; k++)
			v[k] = (float)(i * 10000 + (int)k);
		tu_ok(ampcl_tensor_write(ctx, &c[i], v), "write chunk view");
	}
	struct ampcl_karg cargs[] = {AMPCL_KARG_VIEW(&c[2]), AMPCL_KARG_FLOAT(2.0f),
				     AMPCL_KARG_UINT(500)};
	global = 500;
	tu_ok(ampcl_launch(ctx, scale, 1, &global, &local, AMPCL_NARGS(cargs), cargs, NULL),
	      "launch on chunk 1");
	int ok = 1;
	for (int i = 0; i < 4; i++) {
		size_t cnt = ampcl_tensor_count(&c[i]);
		tu_ok(ampcl_tensor_read(ctx, &c[i], v), "read chunk view");
		for (size_t k = 0; k < cnt; k++)
			ok &= v[k] == (float)((i == 2 ? 2 : 1) * (i * 10000 + (int)k));
	}
	tu_check(ok, "each chunk's views hold their own data",
		 "a kernel on chunk 1 touched only c");
	tu_ok(ampcl_arena_fill(ctx, chunked, 0.0f), "fill chunked");
	tu_ok(ampcl_tensor_read(ctx, &c[3], v), "read");
	memset(w, 0, 2000 * sizeof(double));
	tu_compare("one fill zeroes every chunk", v, w, 2000, 0, 0);
	free(v);
	free(w);
	ampcl_arena_free(chunked);

	free(host);
	free(back);
	free(want);
	ampcl_arena_free(arena);
	ampcl_context_free(ctx);
	return tu_finish();
}
