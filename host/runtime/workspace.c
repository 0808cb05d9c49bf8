/* workspace.c: per-call op scratch: the net's planned view when lent, else a buffer of the
 * context that grows to the largest request and is then reused by every call. */
#include "workspace.h"
#include "error.h"

ampcl_status ampcl_workspace_get(struct ampcl_context *ctx, size_t floats, const char *who,
				 cl_mem *mem, size_t *offset)
{
	if (floats == 0)
		floats = 1;
	if (ctx->ws_lent && floats <= ctx->ws_lent_floats) {
		*mem = ctx->ws_lent;
		*offset = ctx->ws_lent_offset;
		return AMPCL_OK;
	}
	if (floats > ctx->ws_own_floats) {
		size_t bytes = floats * sizeof(float),
		       held = ctx->ws_own ? ctx->ws_own_floats * sizeof(float) : 0;
		const struct ampcl_device_desc *d = &ctx->caps.desc;
		/* the driver may allow more than AMPCL_LIMITS emulates: the limits decide */
		if (bytes > d->max_alloc_bytes ||
		    ctx->known_bytes - held + bytes > d->global_mem_bytes)
			return ampcl_error_set(
			    AMPCL_ERR_OUT_OF_DEVICE_MEMORY,
			    "%s: %.1f MiB of workspace do not fit device %s (max allocation %.1f "
			    "MiB, global memory %.1f MiB, %.1f MiB of it allocated already); use a "
			    "smaller batch",
			    who, bytes / 1048576.0, d->name, d->max_alloc_bytes / 1048576.0,
			    d->global_mem_bytes / 1048576.0, (ctx->known_bytes - held) / 1048576.0);
		cl_int err;
		cl_mem m =
		    clCreateBuffer(ctx->cl, CL_MEM_READ_WRITE, floats * sizeof(float), NULL, &err);
		if (err != CL_SUCCESS)
			return ampcl_error_set(err == CL_MEM_OBJECT_ALLOCATION_FAILURE ||
						       err == CL_OUT_OF_RESOURCES ||
						       err == CL_OUT_OF_HOST_MEMORY
						   ? AMPCL_ERR_OUT_OF_DEVICE_MEMORY
						   : err,
					       "%s: %zu bytes of workspace: %s", who,
					       floats * sizeof(float), ampcl_cl_error_name(err));
		/* the old buffer stays alive until the commands already queued on it have run */
		if (ctx->ws_own) {
			ampcl_context_forget_buffer(ctx, ctx->ws_own);
			clReleaseMemObject(ctx->ws_own);
		}
		ctx->ws_own = m;
		ctx->ws_own_floats = floats;
		ampcl_context_know_buffer(ctx, m, floats * sizeof(float));
	}
	*mem = ctx->ws_own;
	*offset = 0;
	return AMPCL_OK;
}

void ampcl_workspace_lend(struct ampcl_context *ctx, cl_mem mem, size_t offset, size_t floats)
{
	ctx->ws_lent = mem;
	ctx->ws_lent_offset = offset;
	ctx->ws_lent_floats = mem ? floats : 0;
}

void ampcl_workspace_free(struct ampcl_context *ctx)
{
	if (ctx->ws_own) {
		ampcl_context_forget_buffer(ctx, ctx->ws_own);
		clReleaseMemObject(ctx->ws_own);
	}
	ctx->ws_own = NULL;
	ctx->ws_own_floats = 0;
}
