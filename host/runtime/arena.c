/* arena.c: plans tensors into one buffer per role, allocates it with a message that names the
 * tensor and the device limits when it does not fit, checks views and moves data through them. */
#include "arena.h"
#include "alloc.h"
#include "error.h"
#include "launch.h"
#include "size.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MIB(x) ((double)(x) / (1024.0 * 1024.0))
/* the bytes a chunk may span: every float in it at a 32-bit offset (ampcl_tensor_off) */
#define MAX_CHUNK_BYTES ((size_t)UINT32_MAX * sizeof(float))

struct ampcl_arena *ampcl_arena_create(const char *role)
{
	struct ampcl_arena *a = ampcl_xcalloc(1, sizeof(*a));
	snprintf(a->role, sizeof(a->role), "%s", role);
	return a;
}

void ampcl_arena_set_chunk_limit(struct ampcl_arena *arena, size_t limit)
{
	arena->chunk_limit = limit;
}

void ampcl_arena_free(struct ampcl_arena *arena)
{
	if (!arena)
		return;
	for (int i = 0; i < arena->nchunks; i++)
		if (arena->bufs[i]) {
			if (arena->ctx)
				ampcl_context_forget_buffer(arena->ctx, arena->bufs[i]);
			clReleaseMemObject(arena->bufs[i]);
		}
	free(arena->entries);
	free(arena);
}

size_t ampcl_tensor_count(const struct ampcl_tensor *t)
{
	size_t n = 1;
	for (int i = 0; i < t->ndim; i++)
		n *= (size_t)t->shape[i];
	return n;
}

ampcl_status ampcl_arena_reserve(struct ampcl_arena *arena, const char *name, int ndim,
				 const int *shape, struct ampcl_tensor *out)
{
	if (arena->buf)
		return ampcl_error_set(
		    AMPCL_ERR_INVALID_ARG,
		    "arena '%s' is already allocated: reserve '%s' before commit", arena->role,
		    name);
	if (ndim < 1 || ndim > AMPCL_MAX_DIMS)
		return ampcl_error_set(AMPCL_ERR_INVALID_ARG, "tensor '%s': %d dimensions (1..%d)",
				       name, ndim, AMPCL_MAX_DIMS);
	memset(out, 0, sizeof(*out));
	out->arena = arena;
	out->ndim = ndim;
	for (int i = 0; i < ndim; i++) {
		if (shape[i] <= 0)
			return ampcl_error_set(AMPCL_ERR_INVALID_ARG,
					       "tensor '%s': dimension %d is %d (must be > 0)",
					       name, i, shape[i]);
		out->shape[i] = shape[i];
	}
	size_t count;
	if (!ampcl_size_product(shape, ndim, &count) || count > AMPCL_MAX_TENSOR_FLOATS) {
		char dims[96];
		double approx = 1.0; /* for the message alone: it cannot wrap */
		for (int i = 0; i < ndim; i++)
			approx *= shape[i];
		return ampcl_error_set(
		    AMPCL_ERR_OUT_OF_DEVICE_MEMORY,
		    "tensor '%s' %s would hold %.0f floats, more than the %zu that the kernels "
		    "index; use a smaller --batch or --width",
		    name, ampcl_tensor_shape_str(out, dims, sizeof(dims)), approx,
		    AMPCL_MAX_TENSOR_FLOATS);
	}
	size_t bytes = count * sizeof(float);
	if (arena->nchunks == 0)
		arena->nchunks = 1;
	int c = arena->nchunks - 1;
	size_t offset = ampcl_round_up(arena->chunk_size[c], AMPCL_ARENA_ALIGN);
	/* kernels take a view's offset in floats as a 32-bit integer, so no chunk grows past what
	 * that addresses, whatever the device allows */
	size_t limit = MAX_CHUNK_BYTES;
	if (arena->chunk_limit && arena->chunk_limit < limit)
		limit = arena->chunk_limit;
	if (arena->chunk_size[c] && offset + bytes > limit) {
		if (!arena->chunk_limit)
			return ampcl_error_set(
			    AMPCL_ERR_OUT_OF_DEVICE_MEMORY,
			    "the %s arena would pass %zu bytes at tensor '%s', more than the "
			    "kernels address in one buffer; use a smaller --batch or --width",
			    arena->role, limit, name);
		if (arena->nchunks == AMPCL_ARENA_MAX_CHUNKS)
			return ampcl_error_set(
			    AMPCL_ERR_OUT_OF_DEVICE_MEMORY,
			    "the %s arena needs more than %d buffers of %zu bytes "
			    "at tensor '%s'; use a smaller --batch or --width",
			    arena->role, AMPCL_ARENA_MAX_CHUNKS, limit, name);
		c = arena->nchunks++;
		offset = 0;
	}
	out->chunk = c;
	out->offset = offset;
	arena->size += offset + bytes - arena->chunk_size[c];
	arena->chunk_size[c] = offset + bytes;

	arena->entries =
	    ampcl_xrealloc(arena->entries, (size_t)(arena->nentries + 1) * sizeof(*arena->entries));
	struct ampcl_arena_entry *e = &arena->entries[arena->nentries++];
	snprintf(e->name, sizeof(e->name), "%s", name);
	e->chunk = out->chunk;
	e->offset = out->offset;
	e->bytes = bytes;
	return AMPCL_OK;
}

ampcl_status ampcl_arena_reserve_floats(struct ampcl_arena *arena, const char *name, size_t count,
					struct ampcl_tensor *out)
{
	if (count > AMPCL_MAX_TENSOR_FLOATS) {
		memset(out, 0, sizeof(*out));
		return ampcl_error_set(AMPCL_ERR_OUT_OF_DEVICE_MEMORY,
				       "tensor '%s' would hold %zu floats, more than the %zu that "
				       "the kernels index; use a smaller --batch or --width",
				       name, count, AMPCL_MAX_TENSOR_FLOATS);
	}
	int shape[1] = {(int)count};
	return ampcl_arena_reserve(arena, name, 1, shape, out);
}

static ampcl_status too_big(struct ampcl_context *ctx, struct ampcl_arena *arena, int chunk,
			    size_t limit, const char *what, cl_int cl_err)
{
	const char *culprit = arena->nentries ? arena->entries[arena->nentries - 1].name : "?";
	size_t culprit_bytes = arena->nentries ? arena->entries[arena->nentries - 1].bytes : 0;
	/* chunk -1: the first tensor whose end, counting the chunks before its own, is past limit
	 */
	size_t base[AMPCL_ARENA_MAX_CHUNKS] = {0};
	for (int c = 1; c < arena->nchunks; c++)
		base[c] = base[c - 1] + arena->chunk_size[c - 1];
	for (int i = 0; i < arena->nentries; i++)
		if ((chunk < 0 ? base[arena->entries[i].chunk] : 0) + arena->entries[i].offset +
			    arena->entries[i].bytes >
			limit &&
		    (chunk < 0 || arena->entries[i].chunk == chunk)) {
			culprit = arena->entries[i].name;
			culprit_bytes = arena->entries[i].bytes;
			break;
		}
	const struct ampcl_device_desc *d = &ctx->caps.desc;
	return ampcl_error_set(
	    AMPCL_ERR_OUT_OF_DEVICE_MEMORY,
	    "cannot allocate the %s arena (%.1f MiB) on %s: %s; tensor '%s' "
	    "(%.1f MiB) crosses the limit (max allocation %.1f MiB, global "
	    "memory %.1f MiB, %.1f MiB of it allocated already)%s%s; use a "
	    "smaller --batch or --width",
	    arena->role, MIB(arena->size), d->name, what, culprit, MIB(culprit_bytes),
	    MIB(d->max_alloc_bytes), MIB(d->global_mem_bytes), MIB(ctx->known_bytes),
	    cl_err ? ", OpenCL said " : "", cl_err ? ampcl_cl_error_name(cl_err) : "");
}

ampcl_status ampcl_arena_commit(struct ampcl_context *ctx, struct ampcl_arena *arena)
{
	if (arena->buf)
		return AMPCL_OK;
	if (arena->nchunks == 0)
		arena->nchunks = 1;
	size_t max_alloc = ctx->caps.desc.max_alloc_bytes;
	for (int c = 0; c < arena->nchunks; c++) {
		size_t size = arena->chunk_size[c] ? arena->chunk_size[c] : AMPCL_ARENA_ALIGN;
		if (size > max_alloc)
			return too_big(ctx, arena, c, max_alloc,
				       "larger than one allocation may be", 0);
	}
	/* with what this context holds already (the other arenas, the workspace) */
	if (ctx->known_bytes + arena->size > ctx->caps.desc.global_mem_bytes) {
		char what[128];
		snprintf(what, sizeof(what), "more than the device's memory holds%s",
			 ctx->known_bytes ? " besides what is allocated already" : "");
		size_t room = ctx->caps.desc.global_mem_bytes > ctx->known_bytes
				  ? (size_t)(ctx->caps.desc.global_mem_bytes - ctx->known_bytes)
				  : 0;
		return too_big(ctx, arena, -1, room, what, 0);
	}
	cl_int err = CL_SUCCESS;
	int c;
	for (c = 0; c < arena->nchunks && err == CL_SUCCESS; c++) {
		size_t size = arena->chunk_size[c] ? arena->chunk_size[c] : AMPCL_ARENA_ALIGN;
		arena->bufs[c] = clCreateBuffer(ctx->cl, CL_MEM_READ_WRITE, size, NULL, &err);
	}
	ampcl_status st = err;
	arena->buf = arena->bufs[0];
	/* drivers allocate lazily: touching the buffers now makes a shortage show here */
	if (st == AMPCL_OK)
		st = ampcl_arena_fill(ctx, arena, 0.0f);
	if (st == AMPCL_OK) {
		err = clFinish(ctx->queue);
		if (err != CL_SUCCESS)
			st = err;
	}
	if (st != AMPCL_OK) {
		for (int i = 0; i < arena->nchunks; i++) {
			if (arena->bufs[i])
				clReleaseMemObject(arena->bufs[i]);
			arena->bufs[i] = NULL;
		}
		arena->buf = NULL;
		return too_big(ctx, arena, c - 1, 0, "the device could not back it", st);
	}
	arena->ctx = ctx;
	for (int i = 0; i < arena->nchunks; i++)
		ampcl_context_know_buffer(ctx, arena->bufs[i],
					  arena->chunk_size[i] ? arena->chunk_size[i]
							       : AMPCL_ARENA_ALIGN);
	return AMPCL_OK;
}

ampcl_status ampcl_arena_fill(struct ampcl_context *ctx, struct ampcl_arena *arena, float value)
{
	for (int c = 0; c < arena->nchunks; c++) {
		size_t size = ampcl_round_up(
		    arena->chunk_size[c] ? arena->chunk_size[c] : AMPCL_ARENA_ALIGN, sizeof(float));
		cl_int err = clEnqueueFillBuffer(ctx->queue, arena->bufs[c], &value, sizeof(value),
						 0, size, 0, NULL, NULL);
		if (err != CL_SUCCESS)
			return ampcl_error_set(err, "filling the %s arena (%zu bytes) failed: %s",
					       arena->role, size, ampcl_cl_error_name(err));
	}
	return AMPCL_OK;
}


const char *ampcl_tensor_shape_str(const struct ampcl_tensor *t, char *buf, size_t size)
{
	size_t used = 0;
	buf[0] = 0;
	for (int i = 0; i < t->ndim && used < size; i++)
		used +=
		    (size_t)snprintf(buf + used, size - used, "%s%d", i ? ", " : "(", t->shape[i]);
	if (used < size)
		snprintf(buf + used, size - used, ")");
	return buf;
}

/* What every use of a view needs: it exists and its arena has a buffer. */
static ampcl_status check_committed(const char *op, const char *name, const struct ampcl_tensor *t)
{
	if (!t)
		return ampcl_error_set(AMPCL_ERR_INVALID_ARG,
				       "%s: tensor %s is NULL; pass a view of a committed arena",
				       op, name);
	if (!t->arena || !t->arena->buf)
		return ampcl_error_set(AMPCL_ERR_INVALID_ARG,
				       "%s: tensor %s lives in arena '%s', which is not allocated; "
				       "commit the arena first",
				       op, name, t->arena ? t->arena->role : "(none)");
	return AMPCL_OK;
}

ampcl_status ampcl_tensor_check(const char *op, const char *name, const struct ampcl_tensor *t,
				size_t want_count, const char *want_desc)
{
	ampcl_status st = check_committed(op, name, t);
	if (st)
		return st;
	size_t count = ampcl_tensor_count(t);
	if (t->ndim < 1 || t->ndim > AMPCL_MAX_DIMS || count == 0)
		return ampcl_error_set(
		    AMPCL_ERR_INVALID_ARG,
		    "%s: tensor %s has %d dimensions and %zu elements (want 1..%d "
		    "dimensions and at least one element)",
		    op, name, t->ndim, count, AMPCL_MAX_DIMS);
	if (t->chunk < 0 || t->chunk >= t->arena->nchunks || t->offset % sizeof(float) ||
	    t->offset + count * sizeof(float) > t->arena->chunk_size[t->chunk])
		return ampcl_error_set(AMPCL_ERR_INVALID_ARG,
				       "%s: tensor %s (byte offset %zu, %zu floats) is not a float "
				       "view inside arena '%s' (%zu bytes); take views from "
				       "ampcl_arena_reserve",
				       op, name, t->offset, count, t->arena->role, t->arena->size);
	if (count > AMPCL_MAX_TENSOR_FLOATS || t->offset / sizeof(float) + count > UINT_MAX)
		return ampcl_error_set(
		    AMPCL_ERR_INVALID_ARG,
		    "%s: tensor %s (%zu floats at float offset %zu) is beyond the "
		    "kernels' 32-bit indexing; split the span or use a smaller "
		    "batch",
		    op, name, count, t->offset / sizeof(float));
	if (want_count && count != want_count) {
		char shape[96];
		return ampcl_error_set(
		    AMPCL_ERR_INVALID_ARG,
		    "%s: %s holds %zu floats (shape %s) but should hold %zu (%s); "
		    "pass a view of that size",
		    op, name, count, ampcl_tensor_shape_str(t, shape, sizeof(shape)), want_count,
		    want_desc);
	}
	return AMPCL_OK;
}

ampcl_status ampcl_tensor_check_same(const char *op, const char *name, const struct ampcl_tensor *t,
				     const char *like_name, const struct ampcl_tensor *like)
{
	char shape[96], desc[128] = "";
	if (t && ampcl_tensor_count(t) != ampcl_tensor_count(like))
		snprintf(desc, sizeof(desc), "as many as %s %s", like_name,
			 ampcl_tensor_shape_str(like, shape, sizeof(shape)));
	return ampcl_tensor_check(op, name, t, ampcl_tensor_count(like), desc);
}

static ampcl_status tensor_write(struct ampcl_context *ctx, const struct ampcl_tensor *t,
				 const float *src, cl_bool blocking)
{
	ampcl_status st = check_committed("tensor write", "t", t);
	if (st)
		return st;
	cl_int err =
	    clEnqueueWriteBuffer(ctx->queue, ampcl_tensor_mem(t), blocking, t->offset,
				 ampcl_tensor_count(t) * sizeof(float), src, 0, NULL, NULL);
	if (err != CL_SUCCESS)
		return ampcl_error_set(err, "writing %zu floats to the %s arena failed: %s",
				       ampcl_tensor_count(t), t->arena->role,
				       ampcl_cl_error_name(err));
	return AMPCL_OK;
}

ampcl_status ampcl_tensor_write(struct ampcl_context *ctx, const struct ampcl_tensor *t,
				const float *src)
{
	return tensor_write(ctx, t, src, CL_TRUE);
}

ampcl_status ampcl_tensor_write_async(struct ampcl_context *ctx, const struct ampcl_tensor *t,
				      const float *src)
{
	return tensor_write(ctx, t, src, CL_FALSE);
}

ampcl_status ampcl_tensor_read(struct ampcl_context *ctx, const struct ampcl_tensor *t, float *dst)
{
	ampcl_status st = check_committed("tensor read", "t", t);
	if (st)
		return st;
	cl_int err = clEnqueueReadBuffer(ctx->queue, ampcl_tensor_mem(t), CL_TRUE, t->offset,
					 ampcl_tensor_count(t) * sizeof(float), dst, 0, NULL, NULL);
	if (err != CL_SUCCESS)
		return ampcl_error_set(err, "reading %zu floats from the %s arena failed: %s",
				       ampcl_tensor_count(t), t->arena->role,
				       ampcl_cl_error_name(err));
	return AMPCL_OK;
}

ampcl_status ampcl_tensor_fill(struct ampcl_context *ctx, const struct ampcl_tensor *t, float value)
{
	ampcl_status st = check_committed("tensor fill", "t", t);
	if (st)
		return st;
	cl_int err =
	    clEnqueueFillBuffer(ctx->queue, ampcl_tensor_mem(t), &value, sizeof(value), t->offset,
				ampcl_tensor_count(t) * sizeof(float), 0, NULL, NULL);
	if (err != CL_SUCCESS)
		return ampcl_error_set(err, "filling a view of the %s arena failed: %s",
				       t->arena->role, ampcl_cl_error_name(err));
	return AMPCL_OK;
}
