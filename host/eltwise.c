/* eltwise.c: host side of cl/eltwise.cl (fill, residual add, amplification), plus the view
 * checks and work-group sizing that the other element-wise layers' host files reuse. */
#include "eltwise.h"
#include "error.h"
#include "program.h"

#include <limits.h>
#include <stdio.h>

/* Kernels index with uint; keeping counts under 2^31 leaves room for the rounded-up global
 * size times AMPCL_ELTWISE_VEC without wrapping. */
#define MAX_COUNT ((size_t)1 << 31)

const char *ampcl_eltwise_shape_str(const struct ampcl_tensor *t, char *buf, size_t size)
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

ampcl_status ampcl_eltwise_check_view(const char *op, const char *name,
				      const struct ampcl_tensor *t)
{
	if (!t)
		return ampcl_error_set(AMPCL_ERR_INVALID_ARG, "%s: tensor %s is NULL", op, name);
	if (!t->arena || !t->arena->buf)
		return ampcl_error_set(AMPCL_ERR_INVALID_ARG,
				       "%s: tensor %s lives in arena '%s', which is not allocated; "
				       "commit the arena first",
				       op, name, t->arena ? t->arena->role : "(none)");
	size_t count = ampcl_tensor_count(t);
	if (t->ndim < 1 || t->ndim > AMPCL_MAX_DIMS || count == 0)
		return ampcl_error_set(
		    AMPCL_ERR_INVALID_ARG,
		    "%s: tensor %s has %d dimensions and %zu elements (want 1..%d "
		    "dimensions and at least one element)",
		    op, name, t->ndim, count, AMPCL_MAX_DIMS);
	if (t->offset % sizeof(float) || t->offset + count * sizeof(float) > t->arena->size)
		return ampcl_error_set(AMPCL_ERR_INVALID_ARG,
				       "%s: tensor %s (byte offset %zu, %zu floats) is not a float "
				       "view inside arena '%s' (%zu bytes)",
				       op, name, t->offset, count, t->arena->role, t->arena->size);
	if (count >= MAX_COUNT || t->offset / sizeof(float) + count > UINT_MAX)
		return ampcl_error_set(
		    AMPCL_ERR_INVALID_ARG,
		    "%s: tensor %s (%zu floats at float offset %zu) is beyond the "
		    "kernels' 32-bit indexing; split the span or use a smaller "
		    "batch",
		    op, name, count, t->offset / sizeof(float));
	return AMPCL_OK;
}

ampcl_status ampcl_eltwise_check_same(const char *op, const char *name,
				      const struct ampcl_tensor *t, const char *like_name,
				      const struct ampcl_tensor *like)
{
	ampcl_status st = ampcl_eltwise_check_view(op, name, t);
	if (st)
		return st;
	if (ampcl_tensor_count(t) != ampcl_tensor_count(like)) {
		char a[64], b[64];
		return ampcl_error_set(AMPCL_ERR_INVALID_ARG,
				       "%s: %s %s has %zu elements but %s %s has %zu; they must "
				       "match",
				       op, name, ampcl_eltwise_shape_str(t, a, sizeof(a)),
				       ampcl_tensor_count(t), like_name,
				       ampcl_eltwise_shape_str(like, b, sizeof(b)),
				       ampcl_tensor_count(like));
	}
	return AMPCL_OK;
}

size_t ampcl_eltwise_group_size(struct ampcl_context *ctx, cl_kernel kernel, size_t want)
{
	size_t limit = ctx->caps.desc.max_work_group_size, kernel_limit = 0;
	if (clGetKernelWorkGroupInfo(kernel, ctx->caps.device, CL_KERNEL_WORK_GROUP_SIZE,
				     sizeof(kernel_limit), &kernel_limit, NULL) == CL_SUCCESS &&
	    kernel_limit && (kernel_limit < limit || !limit))
		limit = kernel_limit;
	if (limit && want > limit)
		want = limit;
	size_t p = 1;
	while (p * 2 <= want)
		p *= 2;
	return p;
}

ampcl_status ampcl_eltwise_launch(struct ampcl_context *ctx, cl_kernel kernel, size_t n, int nargs,
				  const struct ampcl_karg *args)
{
	size_t global = (n + AMPCL_ELTWISE_VEC - 1) / AMPCL_ELTWISE_VEC;
	size_t local = ampcl_eltwise_group_size(ctx, kernel, 256);
	return ampcl_launch(ctx, kernel, 1, &global, &local, nargs, args, NULL);
}

ampcl_status ampcl_add_forward(struct ampcl_context *ctx, const struct ampcl_tensor *y,
			       const struct ampcl_tensor *a, const struct ampcl_tensor *b)
{
	ampcl_status st;
	if ((st = ampcl_eltwise_check_view("add forward", "a", a)) ||
	    (st = ampcl_eltwise_check_same("add forward", "b", b, "a", a)) ||
	    (st = ampcl_eltwise_check_same("add forward", "y", y, "a", a)))
		return st;
	cl_kernel k;
	if ((st = ampcl_kernel_get(ctx, "eltwise", "", "add_forward", &k)))
		return st;
	size_t n = ampcl_tensor_count(y);
	struct ampcl_karg args[] = {AMPCL_KARG_MEM(ampcl_tensor_mem(y)),
				    AMPCL_KARG_UINT(ampcl_tensor_off(y)),
				    AMPCL_KARG_MEM(ampcl_tensor_mem(a)),
				    AMPCL_KARG_UINT(ampcl_tensor_off(a)),
				    AMPCL_KARG_MEM(ampcl_tensor_mem(b)),
				    AMPCL_KARG_UINT(ampcl_tensor_off(b)),
				    AMPCL_KARG_UINT(n)};
	return ampcl_eltwise_launch(ctx, k, n, 7, args);
}

ampcl_status ampcl_add_backward(struct ampcl_context *ctx, const struct ampcl_tensor *dx,
				const struct ampcl_tensor *dy, float beta)
{
	ampcl_status st;
	if ((st = ampcl_eltwise_check_view("add backward", "dy", dy)) ||
	    (st = ampcl_eltwise_check_same("add backward", "dx", dx, "dy", dy)))
		return st;
	cl_kernel k;
	if ((st = ampcl_kernel_get(ctx, "eltwise", "", "add_backward", &k)))
		return st;
	size_t n = ampcl_tensor_count(dx);
	struct ampcl_karg args[] = {AMPCL_KARG_MEM(ampcl_tensor_mem(dx)),
				    AMPCL_KARG_UINT(ampcl_tensor_off(dx)),
				    AMPCL_KARG_MEM(ampcl_tensor_mem(dy)),
				    AMPCL_KARG_UINT(ampcl_tensor_off(dy)),
				    AMPCL_KARG_FLOAT(beta),
				    AMPCL_KARG_UINT(n)};
	return ampcl_eltwise_launch(ctx, k, n, 6, args);
}

ampcl_status ampcl_amplify(struct ampcl_context *ctx, const struct ampcl_tensor *g, float factor)
{
	ampcl_status st;
	if ((st = ampcl_eltwise_check_view("amplify", "g", g)))
		return st;
	cl_kernel k;
	if ((st = ampcl_kernel_get(ctx, "eltwise", "", "scale_forward", &k)))
		return st;
	size_t n = ampcl_tensor_count(g);
	struct ampcl_karg args[] = {AMPCL_KARG_MEM(ampcl_tensor_mem(g)),
				    AMPCL_KARG_UINT(ampcl_tensor_off(g)), AMPCL_KARG_FLOAT(factor),
				    AMPCL_KARG_UINT(n)};
	return ampcl_eltwise_launch(ctx, k, n, 4, args);
}

ampcl_status ampcl_fill(struct ampcl_context *ctx, const struct ampcl_tensor *t, float value)
{
	ampcl_status st;
	if ((st = ampcl_eltwise_check_view("fill", "t", t)))
		return st;
	cl_kernel k;
	if ((st = ampcl_kernel_get(ctx, "eltwise", "", "fill_forward", &k)))
		return st;
	size_t n = ampcl_tensor_count(t);
	struct ampcl_karg args[] = {AMPCL_KARG_MEM(ampcl_tensor_mem(t)),
				    AMPCL_KARG_UINT(ampcl_tensor_off(t)), AMPCL_KARG_FLOAT(value),
				    AMPCL_KARG_UINT(n)};
	return ampcl_eltwise_launch(ctx, k, n, 4, args);
}
