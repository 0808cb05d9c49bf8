/* launch.h: sets a kernel's arguments and enqueues it, rounding the global size up to the
 * work-group size (every kernel guards its own index, STYLE.md §7); picks that group size. */
#ifndef AMPCL_LAUNCH_H
#define AMPCL_LAUNCH_H

#include "context.h"

struct ampcl_karg {
	size_t size;
	const void *value; /* NULL with a size: local memory of that many bytes */
};

/* Argument helpers for a launch's argument list; they point at their operand, so the operand
 * must live until ampcl_launch returns (compound literals in the same block do). */
#define AMPCL_KARG(v) ((struct ampcl_karg){sizeof(v), &(v)})
#define AMPCL_KARG_INT(v) ((struct ampcl_karg){sizeof(cl_int), &(cl_int){(cl_int)(v)}})
#define AMPCL_KARG_UINT(v) ((struct ampcl_karg){sizeof(cl_uint), &(cl_uint){(cl_uint)(v)}})
#define AMPCL_KARG_FLOAT(v) ((struct ampcl_karg){sizeof(cl_float), &(cl_float){(cl_float)(v)}})
#define AMPCL_KARG_MEM(m) ((struct ampcl_karg){sizeof(cl_mem), &(cl_mem){(m)}})
#define AMPCL_KARG_LOCAL(bytes) ((struct ampcl_karg){(bytes), NULL})
/* The length of an argument array, for the nargs of the calls below. */
#define AMPCL_NARGS(args) ((int)(sizeof(args) / sizeof((args)[0])))

/* Enqueues kernel over global[dims] (rounded up to local where local is given; local NULL lets
 * the driver choose). event may be NULL; otherwise the caller releases it. Under AMPCL_LIMITS
 * a local size or local memory past the lowered limits is AMPCL_ERR_UNSUPPORTED, as the device
 * emulated would refuse it. */
ampcl_status ampcl_launch(struct ampcl_context *ctx, cl_kernel kernel, cl_uint dims,
			  const size_t *global, const size_t *local, int nargs,
			  const struct ampcl_karg *args, cl_event *event);

/* The most work-items one work-group of kernel may have on this device as the library sees it:
 * CL_KERNEL_WORK_GROUP_SIZE (lower for a kernel heavy on registers) under the device's maximum,
 * both lowered by AMPCL_LIMITS' wg. kernel NULL: the device's. Every op that sizes a group asks
 * here (or ampcl_launch_group_size), never the driver directly. */
ampcl_status ampcl_kernel_group_max(struct ampcl_context *ctx, cl_kernel kernel, size_t *max);
/* The local memory kernel takes, its __local arrays and the __local arguments as last set
 * (CL_KERNEL_LOCAL_MEM_SIZE); an op compares it with ctx->caps.desc.local_mem_bytes. */
ampcl_status ampcl_kernel_local_bytes(struct ampcl_context *ctx, cl_kernel kernel, size_t *bytes);

/* The largest power of two <= want that kernel may run as one work-group on this device: under
 * both the device's maximum and CL_KERNEL_WORK_GROUP_SIZE, which a kernel heavy on registers
 * can set lower. kernel NULL: the device's maximum alone. A power of two, because the
 * reductions' trees halve it; it depends only on the device and the kernel, so their
 * summation order does not vary from run to run. */
size_t ampcl_launch_group_size(struct ampcl_context *ctx, cl_kernel kernel, size_t want);

/* ampcl_launch_group_size for a reduction whose kernel takes item_bytes of local memory per
 * work-item (its __local argument): halved until the group's fits the device's local memory. */
size_t ampcl_launch_reduce_group(struct ampcl_context *ctx, cl_kernel kernel, size_t want,
				 size_t item_bytes);

/* The local size for a launch over items: dimension 0, then 1, ... up to dims doubles from 1
 * while it stays under its item count, the group within wg work-items and the dimension within
 * the device's per-dimension maximum (Mesa's llvmpipe takes 32); the rest stay 1. */
void ampcl_launch_local_fit(const struct ampcl_context *ctx, size_t wg, const size_t items[3],
			    int dims, size_t local[3]);

/* Enqueues kernel over items work-items, one dimension, in groups of
 * ampcl_launch_group_size(ctx, kernel, 256); the global size is rounded up to the group. */
ampcl_status ampcl_launch_1d(struct ampcl_context *ctx, cl_kernel kernel, size_t items, int nargs,
			     const struct ampcl_karg *args);

/* ampcl_launch_1d for the kernel `name` of cl/FILE.cl built with the default options. */
ampcl_status ampcl_launch_1d_named(struct ampcl_context *ctx, const char *file, const char *name,
				   size_t items, int nargs, const struct ampcl_karg *args);

/* Round n up to a multiple of m. */
static inline size_t ampcl_round_up(size_t n, size_t m)
{
	return m ? (n + m - 1) / m * m : n;
}

/* How many m-sized pieces cover n. */
static inline size_t ampcl_div_up(size_t n, size_t m)
{
	return (n + m - 1) / m;
}

/* Seconds between an event's start and end (needs the profiling queue); the event is released. */
double ampcl_event_seconds(cl_event event);

#endif
