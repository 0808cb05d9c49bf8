/* launch.c: one entry point for enqueuing kernels, so argument and launch errors are reported
 * the same way everywhere, with the kernel's name, and one rule for the work-group size. */
#include "launch.h"
#include "error.h"
#include "kprof.h"
#include "program.h"

#include <stdio.h>

static const char *kernel_name(cl_kernel k, char *buf, size_t size)
{
	buf[0] = 0;
	clGetKernelInfo(k, CL_KERNEL_FUNCTION_NAME, size, buf, NULL);
	buf[size - 1] = 0;
	return buf;
}

ampcl_status ampcl_kernel_group_max(struct ampcl_context *ctx, cl_kernel kernel, size_t *max)
{
	size_t limit = ctx->caps.desc.max_work_group_size, kernel_limit = 0;
	*max = limit;
	if (!kernel)
		return AMPCL_OK;
	cl_int err = clGetKernelWorkGroupInfo(kernel, ctx->caps.device, CL_KERNEL_WORK_GROUP_SIZE,
					      sizeof(kernel_limit), &kernel_limit, NULL);
	if (err != CL_SUCCESS) {
		char name[128];
		return ampcl_error_set(err, "kernel %s: querying its work-group size failed: %s",
				       kernel_name(kernel, name, sizeof(name)),
				       ampcl_cl_error_name(err));
	}
	if (kernel_limit && (kernel_limit < limit || !limit))
		*max = kernel_limit;
	return AMPCL_OK;
}

ampcl_status ampcl_kernel_local_bytes(struct ampcl_context *ctx, cl_kernel kernel, size_t *bytes)
{
	cl_ulong b = 0;
	cl_int err = clGetKernelWorkGroupInfo(kernel, ctx->caps.device, CL_KERNEL_LOCAL_MEM_SIZE,
					      sizeof(b), &b, NULL);
	*bytes = (size_t)b;
	if (err != CL_SUCCESS) {
		char name[128];
		return ampcl_error_set(err, "kernel %s: querying its local memory failed: %s",
				       kernel_name(kernel, name, sizeof(name)),
				       ampcl_cl_error_name(err));
	}
	return AMPCL_OK;
}

/* Under AMPCL_LIMITS the driver still has the real device's room, so it would run what the
 * emulated one refuses: what a real device with those limits would fail on is refused here. */
static ampcl_status check_limits(struct ampcl_context *ctx, cl_kernel kernel, cl_uint dims,
				 const size_t *local)
{
	char name[128];
	size_t group = 1, most = 0, bytes = 0;
	int wide = 0;
	for (cl_uint d = 0; d < dims; d++) {
		group *= local[d];
		wide |= local[d] > ctx->caps.max_work_item_sizes[d];
	}
	ampcl_status st = ampcl_kernel_group_max(ctx, kernel, &most);
	if (!st && (group > most || wide))
		st = ampcl_error_set(
		    AMPCL_ERR_UNSUPPORTED,
		    "kernel %s: a work-group of %zu x %zu x %zu work-items is more than device %s "
		    "takes (%zu a group, %zu x %zu x %zu a dimension, as AMPCL_LIMITS sets)",
		    kernel_name(kernel, name, sizeof(name)), local[0], dims > 1 ? local[1] : 1,
		    dims > 2 ? local[2] : 1, ctx->caps.desc.name, most,
		    ctx->caps.max_work_item_sizes[0], ctx->caps.max_work_item_sizes[1],
		    ctx->caps.max_work_item_sizes[2]);
	if (!st)
		st = ampcl_kernel_local_bytes(ctx, kernel, &bytes);
	if (!st && bytes > ctx->caps.desc.local_mem_bytes)
		st = ampcl_error_set(
		    AMPCL_ERR_UNSUPPORTED,
		    "kernel %s: needs %zu bytes of local memory, more than the %llu "
		    "of device %s (as AMPCL_LIMITS sets)",
		    kernel_name(kernel, name, sizeof(name)), bytes, ctx->caps.desc.local_mem_bytes,
		    ctx->caps.desc.name);
	return st;
}

ampcl_status ampcl_launch(struct ampcl_context *ctx, cl_kernel kernel, cl_uint dims,
			  const size_t *global, const size_t *local, int nargs,
			  const struct ampcl_karg *args, cl_event *event)
{
	char name[128];
	for (int i = 0; i < nargs; i++) {
		cl_int err = clSetKernelArg(kernel, (cl_uint)i, args[i].size, args[i].value);
		if (err != CL_SUCCESS)
			return ampcl_error_set(err, "kernel %s: setting argument %d failed: %s",
					       kernel_name(kernel, name, sizeof(name)), i,
					       ampcl_cl_error_name(err));
	}
	if ((ctx->caps.limited & AMPCL_LIMITED_LAUNCH) && local) {
		ampcl_status st = check_limits(ctx, kernel, dims, local);
		if (st)
			return st;
	}
	size_t g[3];
	for (cl_uint d = 0; d < dims; d++) {
		g[d] = local ? ampcl_round_up(global[d], local[d]) : global[d];
		if (g[d] == 0)
			return AMPCL_OK; /* an empty launch is a no-op, not an error */
	}
	cl_event recorded = NULL;
	cl_int err = clEnqueueNDRangeKernel(ctx->queue, kernel, dims, NULL, g, local, 0, NULL,
					    event        ? event
					    : ctx->kprof ? &recorded
							 : NULL);
	if (err == CL_SUCCESS && ctx->kprof) {
		if (event)
			clRetainEvent(recorded = *event);
		ampcl_kprof_record(ctx, kernel_name(kernel, name, sizeof(name)), recorded);
	}
	if (err == CL_MEM_OBJECT_ALLOCATION_FAILURE || err == CL_OUT_OF_RESOURCES)
		return ampcl_error_set(AMPCL_ERR_OUT_OF_DEVICE_MEMORY,
				       "kernel %s: device %s ran out of resources (%s); try a "
				       "smaller batch",
				       kernel_name(kernel, name, sizeof(name)), ctx->caps.desc.name,
				       ampcl_cl_error_name(err));
	if (err != CL_SUCCESS)
		return ampcl_error_set(err, "kernel %s: enqueue over %zu x %zu x %zu failed: %s",
				       kernel_name(kernel, name, sizeof(name)), g[0],
				       dims > 1 ? g[1] : 1, dims > 2 ? g[2] : 1,
				       ampcl_cl_error_name(err));
	return AMPCL_OK;
}

size_t ampcl_launch_group_size(struct ampcl_context *ctx, cl_kernel kernel, size_t want)
{
	size_t limit = 0;
	/* a failed query leaves the device's limit: the enqueue then names any misfit */
	if (ampcl_kernel_group_max(ctx, kernel, &limit))
		limit = ctx->caps.desc.max_work_group_size;
	if (limit && want > limit)
		want = limit;
	size_t p = 1;
	while (p * 2 <= want)
		p *= 2;
	return p;
}

size_t ampcl_launch_reduce_group(struct ampcl_context *ctx, cl_kernel kernel, size_t want,
				 size_t item_bytes)
{
	size_t g = ampcl_launch_group_size(ctx, kernel, want);
	while (g > 1 && g * item_bytes > ctx->caps.desc.local_mem_bytes)
		g /= 2;
	return g;
}

void ampcl_launch_local_fit(const struct ampcl_context *ctx, size_t wg, const size_t items[3],
			    int dims, size_t local[3])
{
	const size_t *dim_max = ctx->caps.max_work_item_sizes;
	local[0] = local[1] = local[2] = 1;
	for (int d = 0; d < dims; d++)
		while (local[d] < items[d] && local[0] * local[1] * local[2] * 2 <= wg &&
		       local[d] * 2 <= dim_max[d])
			local[d] *= 2;
}

ampcl_status ampcl_launch_1d(struct ampcl_context *ctx, cl_kernel kernel, size_t items, int nargs,
			     const struct ampcl_karg *args)
{
	size_t local = ampcl_launch_group_size(ctx, kernel, 256);
	return ampcl_launch(ctx, kernel, 1, &items, &local, nargs, args, NULL);
}

ampcl_status ampcl_launch_1d_named(struct ampcl_context *ctx, const char *file, const char *name,
				   size_t items, int nargs, const struct ampcl_karg *args)
{
	cl_kernel kernel;
	ampcl_status st = ampcl_kernel_get(ctx, file, "", name, &kernel);
	return st ? st : ampcl_launch_1d(ctx, kernel, items, nargs, args);
}

double ampcl_event_seconds(cl_event event)
{
	cl_ulong start = 0, end = 0;
	clWaitForEvents(1, &event);
	clGetEventProfilingInfo(event, CL_PROFILING_COMMAND_START, sizeof(start), &start, NULL);
	clGetEventProfilingInfo(event, CL_PROFILING_COMMAND_END, sizeof(end), &end, NULL);
	clReleaseEvent(event);
	return end > start ? 1e-9 * (double)(end - start) : 0.0;
}
