/* context.c: what an ampcl context records beside its parts: the buffers ampcl allocated, what
 * layers above attached, its accessors and the key of its files beside the program cache. */
#include "context.h"
#include "alloc.h"
#include "ampcl_cl.h"
#include "hash.h"

#include <stdlib.h>
#include <string.h>

void ampcl_context_attach(struct ampcl_context *ctx, const void *key, void *value,
			  void (*release)(struct ampcl_context *ctx, void *value))
{
	for (int i = 0; i < ctx->nslots; i++) {
		if (ctx->slots[i].key != key)
			continue;
		if (value) {
			ctx->slots[i] = (struct ampcl_context_slot){key, value, release};
		} else {
			memmove(&ctx->slots[i], &ctx->slots[i + 1],
				(size_t)(ctx->nslots - i - 1) * sizeof(*ctx->slots));
			ctx->nslots--;
		}
		return;
	}
	if (!value)
		return;
	ctx->slots = ampcl_xrealloc(ctx->slots, (size_t)(ctx->nslots + 1) * sizeof(*ctx->slots));
	ctx->slots[ctx->nslots++] = (struct ampcl_context_slot){key, value, release};
}

void *ampcl_context_attached(const struct ampcl_context *ctx, const void *key)
{
	for (int i = 0; i < ctx->nslots; i++)
		if (ctx->slots[i].key == key)
			return ctx->slots[i].value;
	return NULL;
}

void ampcl_context_know_buffer(struct ampcl_context *ctx, cl_mem mem, size_t bytes)
{
	ctx->known = ampcl_xrealloc(ctx->known, (size_t)(ctx->nknown + 1) * sizeof(*ctx->known));
	ctx->known[ctx->nknown++] = (struct ampcl_known_buffer){mem, bytes};
	ctx->known_bytes += bytes;
	if (ctx->known_bytes > ctx->known_peak)
		ctx->known_peak = ctx->known_bytes;
}

void ampcl_context_forget_buffer(struct ampcl_context *ctx, cl_mem mem)
{
	for (int i = 0; i < ctx->nknown; i++)
		if (ctx->known[i].mem == mem) {
			ctx->known_bytes -= ctx->known[i].bytes;
			ctx->known[i] = ctx->known[--ctx->nknown];
			return;
		}
}

size_t ampcl_context_buffer_bytes(const struct ampcl_context *ctx, cl_mem mem)
{
	for (int i = 0; i < ctx->nknown; i++)
		if (ctx->known[i].mem == mem)
			return ctx->known[i].bytes;
	size_t bytes = 0;
	if (!mem || clGetMemObjectInfo(mem, CL_MEM_SIZE, sizeof(bytes), &bytes, NULL) != CL_SUCCESS)
		return 0;
	return bytes;
}

const struct ampcl_device_desc *ampcl_context_device(const ampcl_context_t *ctx)
{
	return &ctx->caps.desc;
}

void ampcl_context_build_stats(const ampcl_context_t *ctx, struct ampcl_build_stats *out)
{
	*out = ctx->stats;
}

cl_context ampcl_context_cl_context(const ampcl_context_t *ctx)
{
	return ctx->cl;
}
cl_command_queue ampcl_context_cl_queue(const ampcl_context_t *ctx)
{
	return ctx->queue;
}
cl_device_id ampcl_context_cl_device(const ampcl_context_t *ctx)
{
	return ctx->caps.device;
}

#define AS_TEXT(x) #x
#define NUMBER_TEXT(x) AS_TEXT(x)

const char *ampcl_version(void)
{
	return NUMBER_TEXT(AMPCL_VERSION_MAJOR) "." NUMBER_TEXT(AMPCL_VERSION_MINOR) "." NUMBER_TEXT(
	    AMPCL_VERSION_PATCH);
}

void ampcl_context_cache_key(const struct ampcl_context *ctx, char key[33])
{
	struct ampcl_hash h;
	ampcl_hash_init(&h);
	ampcl_hash_string(&h, ctx->caps.desc.name);
	ampcl_hash_string(&h, ctx->caps.desc.driver_version);
	ampcl_hash_string(&h, ctx->caps.desc.platform_version);
	ampcl_hash_string(&h, ctx->profile.row);
	ampcl_hash_string(&h, ampcl_version());
	ampcl_hash_hex(&h, key);
}
