/* arena.h: one device buffer per role (parameters, gradients, optimizer state, activations,
 * scratch) and tensor views into it: (arena, byte offset, shape). No sub-buffers (STYLE.md §6).
 * An arena given a chunk limit (activations larger than the device's max allocation) is a few
 * buffers, each view inside one of them. */
#ifndef AMPCL_ARENA_H
#define AMPCL_ARENA_H

#include "context.h"
#include "launch.h"

#define AMPCL_MAX_DIMS 4
#define AMPCL_ARENA_ALIGN 256 /* bytes: keeps views aligned for vector loads and CLBlast */
#define AMPCL_ARENA_MAX_CHUNKS 64

struct ampcl_arena_entry {
	char name[96];
	int chunk;
	size_t offset, bytes;
};

struct ampcl_arena {
	char role[32];
	cl_mem buf;  /* chunk 0, NULL until committed (the whole arena unless chunked) */
	size_t size; /* bytes in all chunks */
	cl_mem bufs[AMPCL_ARENA_MAX_CHUNKS];
	size_t chunk_size[AMPCL_ARENA_MAX_CHUNKS];
	int nchunks;
	size_t chunk_limit; /* 0: one buffer; else a view that would cross it starts a new chunk */
	struct ampcl_arena_entry *entries;
	int nentries;
	struct ampcl_context *ctx; /* the context its buffers are known to, once committed */
};

/* A view: float32 elements at arena->bufs[chunk] + offset, NCHW shape. */
struct ampcl_tensor {
	struct ampcl_arena *arena;
	size_t offset; /* bytes, within its chunk */
	int chunk;
	int ndim;
	int shape[AMPCL_MAX_DIMS];
};

struct ampcl_arena *ampcl_arena_create(const char *role);
void ampcl_arena_free(struct ampcl_arena *arena);
/* Plans a tensor in the arena (before commit); the view is usable once the arena is committed.
 * A tensor of more than AMPCL_MAX_TENSOR_FLOATS elements, or an arena that outgrows what 32-bit
 * float offsets address, is AMPCL_ERR_OUT_OF_DEVICE_MEMORY naming it, before any allocation. */
ampcl_status ampcl_arena_reserve(struct ampcl_arena *arena, const char *name, int ndim,
				 const int *shape, struct ampcl_tensor *out);
/* The same for a 1-D view of count floats, count checked before it becomes a shape. */
ampcl_status ampcl_arena_reserve_floats(struct ampcl_arena *arena, const char *name, size_t count,
					struct ampcl_tensor *out);
/* Lets the arena span several buffers of at most limit bytes (set before the first reserve). */
void ampcl_arena_set_chunk_limit(struct ampcl_arena *arena, size_t limit);
/* Allocates the device buffers and zeroes them. Too big for the device:
 * AMPCL_ERR_OUT_OF_DEVICE_MEMORY with a message naming the arena, the tensor that crossed the
 * limit, the sizes and the limits. */
ampcl_status ampcl_arena_commit(struct ampcl_context *ctx, struct ampcl_arena *arena);
/* One fill over the whole arena (zeroing gradients is one call). */
ampcl_status ampcl_arena_fill(struct ampcl_context *ctx, struct ampcl_arena *arena, float value);

size_t ampcl_tensor_count(const struct ampcl_tensor *t);
static inline cl_mem ampcl_tensor_mem(const struct ampcl_tensor *t)
{
	return t->arena->bufs[t->chunk];
}
/* Offset in floats, the form kernels take (every buffer argument is (pointer, offset)). */
static inline cl_uint ampcl_tensor_off(const struct ampcl_tensor *t)
{
	return (cl_uint)(t->offset / sizeof(float));
}
/* A view as the two kernel arguments (buffer, float offset) every kernel takes for it. */
#define AMPCL_KARG_VIEW(t) AMPCL_KARG_MEM(ampcl_tensor_mem(t)), AMPCL_KARG_UINT(ampcl_tensor_off(t))

/* Checks that a view can go to a kernel: it is not NULL, its arena is committed, it is a float
 * view inside the arena, and its offset and size fit the kernels' 32-bit indexing. With
 * want_count > 0 it must also hold exactly want_count elements; want_desc says where that
 * number comes from ("shape (2, 4, 5, 5)"). op and name go into every message, and the
 * message says what to do. */
ampcl_status ampcl_tensor_check(const char *op, const char *name, const struct ampcl_tensor *t,
				size_t want_count, const char *want_desc);
/* ampcl_tensor_check with want_count = like's element count; like (named like_name) must have
 * passed ampcl_tensor_check already. */
ampcl_status ampcl_tensor_check_same(const char *op, const char *name, const struct ampcl_tensor *t,
				     const char *like_name, const struct ampcl_tensor *like);
/* "(3, 33, 7, 7)" into buf, for messages; returns buf. */
const char *ampcl_tensor_shape_str(const struct ampcl_tensor *t, char *buf, size_t size);
ampcl_status ampcl_tensor_write(struct ampcl_context *ctx, const struct ampcl_tensor *t,
				const float *src);
/* The same without waiting: src must stay unchanged until a later blocking call on the queue
 * (in order) has returned, or clFinish. */
ampcl_status ampcl_tensor_write_async(struct ampcl_context *ctx, const struct ampcl_tensor *t,
				      const float *src);
ampcl_status ampcl_tensor_read(struct ampcl_context *ctx, const struct ampcl_tensor *t, float *dst);
ampcl_status ampcl_tensor_fill(struct ampcl_context *ctx, const struct ampcl_tensor *t,
			       float value);

#endif
