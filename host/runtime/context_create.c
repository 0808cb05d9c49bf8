/* context_create.c: makes an ampcl context from its parts (the device, one OpenCL context and one
 * in-order queue with profiling, the profile, the tuning table) and frees it with all they hold. */
#include "context.h"
#include "kernel_source.h"
#include "kprof.h"
#include "alloc.h"
#include "ampcl_cl.h"
#include "error.h"
#include "program.h"
#include "tune.h"
#include "workspace.h"

#include <stdlib.h>

static void CL_CALLBACK report_context_error(const char *info, const void *p, size_t cb, void *u)
{
	(void)p;
	(void)cb;
	(void)u;
	ampcl_error_set(AMPCL_ERR_UNSUPPORTED, "OpenCL context error: %s", info);
}

ampcl_status ampcl_context_create(const char *device_spec, ampcl_context_t **out)
{
	*out = NULL;
	struct ampcl_context *ctx = ampcl_xcalloc(1, sizeof(*ctx));
	ampcl_env_read(&ctx->env);

	struct ampcl_device_caps *caps = NULL;
	int count = 0, index = 0;
	ampcl_status st = ampcl_device_discover(&caps, &count);
	if (st)
		goto fail;
	st = ampcl_device_pick(caps, count,
			       device_spec && *device_spec ? device_spec : ctx->env.device, &index);
	if (st)
		goto fail;
	ctx->caps = caps[index];
	ampcl_device_caps_bind(&ctx->caps);
	ctx->caps.extensions = ampcl_xstrdup(caps[index].extensions);
	if ((st = ampcl_kernel_source_check(&ctx->env)) ||
	    (st = ampcl_profile_fill(&ctx->caps, ctx->env.profile, &ctx->profile)) ||
	    (st = ampcl_profile_set_conv(&ctx->profile, ctx->env.conv)) ||
	    (st = ampcl_profile_set_fuse(&ctx->profile, ctx->env.fuse)) ||
	    (st = ampcl_tune_init(ctx, ctx->env.tune)))
		goto fail;

	cl_int err;
	cl_context_properties props[] = {CL_CONTEXT_PLATFORM,
					 (cl_context_properties)ctx->caps.platform, 0};
	ctx->cl = clCreateContext(props, 1, &ctx->caps.device, report_context_error, NULL, &err);
	if (err != CL_SUCCESS) {
		st = ampcl_error_set(err, "cannot create an OpenCL context on device %d (%s): %s",
				     index, ctx->caps.desc.name, ampcl_cl_error_name(err));
		goto fail;
	}
	ctx->queue =
	    clCreateCommandQueue(ctx->cl, ctx->caps.device, CL_QUEUE_PROFILING_ENABLE, &err);
	if (err != CL_SUCCESS) {
		st = ampcl_error_set(err, "cannot create a command queue on device %d (%s): %s",
				     index, ctx->caps.desc.name, ampcl_cl_error_name(err));
		goto fail;
	}
	ctx->owns_cl = 1;
	ampcl_device_caps_free(caps, count);
	*out = ctx;
	return AMPCL_OK;
fail:
	ampcl_device_caps_free(caps, count);
	ampcl_context_free(ctx);
	return st;
}

ampcl_status ampcl_context_wrap(cl_context context, cl_device_id device, cl_command_queue queue,
				ampcl_context_t **out)
{
	*out = NULL;
	if (!context || !device || !queue)
		return ampcl_error_set(AMPCL_ERR_INVALID_ARG,
				       "ampcl_context_wrap needs a context, a device and a queue");
	struct ampcl_context *ctx = ampcl_xcalloc(1, sizeof(*ctx));
	ampcl_env_read(&ctx->env);
	cl_platform_id platform;
	cl_int err = clGetDeviceInfo(device, CL_DEVICE_PLATFORM, sizeof(platform), &platform, NULL);
	if (err != CL_SUCCESS) {
		free(ctx);
		return ampcl_error_set(err, "ampcl_context_wrap: not a valid device: %s",
				       ampcl_cl_error_name(err));
	}
	ampcl_status st = ampcl_device_read_caps(platform, device, 0, &ctx->caps);
	if (!st)
		st = ampcl_kernel_source_check(&ctx->env);
	if (!st)
		st = ampcl_profile_fill(&ctx->caps, ctx->env.profile, &ctx->profile);
	if (!st)
		st = ampcl_profile_set_conv(&ctx->profile, ctx->env.conv);
	if (!st)
		st = ampcl_profile_set_fuse(&ctx->profile, ctx->env.fuse);
	if (!st)
		st = ampcl_tune_init(ctx, ctx->env.tune);
	if (st) {
		free(ctx->caps.extensions);
		free(ctx);
		return st;
	}
	ctx->cl = context;
	ctx->queue = queue;
	*out = ctx;
	return AMPCL_OK;
}

void ampcl_context_free(ampcl_context_t *ctx)
{
	if (!ctx)
		return;
	if (ctx->queue)
		clFinish(ctx->queue);
	for (int i = ctx->nslots - 1; i >= 0; i--)
		if (ctx->slots[i].release)
			ctx->slots[i].release(ctx, ctx->slots[i].value);
	free(ctx->slots);
	ampcl_program_release_all(ctx);
	ampcl_workspace_free(ctx);
	ampcl_kprof_discard(ctx);
	ampcl_tune_free(ctx);
	if (ctx->owns_cl) {
		if (ctx->queue)
			clReleaseCommandQueue(ctx->queue);
		if (ctx->cl)
			clReleaseContext(ctx->cl);
	}
	free(ctx->caps.extensions);
	free(ctx->known);
	free(ctx);
}
