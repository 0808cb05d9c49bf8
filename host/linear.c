/* linear.c: the host side of the fully connected layer: view checks, the GEMMs of forward
 * and backward, and the bias kernels of cl/linear.cl. */
#include "linear.h"
#include "error.h"
#include "gemm.h"
#include "launch.h"
#include "program.h"

static ampcl_status check_view(const char *what, const char *name, const struct ampcl_tensor *t,
			       size_t rows, size_t cols)
{
	if (!t || !t->arena || !t->arena->buf)
		return ampcl_error_set(AMPCL_ERR_INVALID_ARG,
				       "%s: %s is missing or its arena is not committed", what,
				       name);
	size_t have = ampcl_tensor_count(t);
	if (have != rows * cols)
		return ampcl_error_set(AMPCL_ERR_INVALID_ARG,
				       "%s: %s holds %zu floats, but (%zu, %zu) needs %zu", what,
				       name, have, rows, cols, rows * cols);
	return AMPCL_OK;
}

static ampcl_status check_sizes(const char *what, int n, int in, int out)
{
	if (n < 1 || in < 1 || out < 1)
		return ampcl_error_set(AMPCL_ERR_INVALID_ARG,
				       "%s: sizes n=%d in=%d out=%d must all be >= 1", what, n, in,
				       out);
	return AMPCL_OK;
}

/* One work-item per element of a 1-D range, in groups the kernel accepts. */
static ampcl_status launch_1d(struct ampcl_context *ctx, const char *name, size_t count, int nargs,
			      const struct ampcl_karg *args)
{
	cl_kernel kernel;
	size_t max_wg = 0, local = 256;
	ampcl_status st = ampcl_kernel_get(ctx, "linear", "", name, &kernel);
	if (st)
		return st;
	if (clGetKernelWorkGroupInfo(kernel, ctx->caps.device, CL_KERNEL_WORK_GROUP_SIZE,
				     sizeof(max_wg), &max_wg, NULL) == CL_SUCCESS &&
	    max_wg && max_wg < local)
		local = max_wg;
	return ampcl_launch(ctx, kernel, 1, &count, &local, nargs, args, NULL);
}

ampcl_status ampcl_linear_forward(struct ampcl_context *ctx, const struct ampcl_tensor *y,
				  const struct ampcl_tensor *x, const struct ampcl_tensor *w,
				  const struct ampcl_tensor *b, int n, int in, int out)
{
	const char *what = "linear forward";
	ampcl_status st;
	if ((st = check_sizes(what, n, in, out)) || (st = check_view(what, "y", y, n, out)) ||
	    (st = check_view(what, "x", x, n, in)) || (st = check_view(what, "w", w, out, in)) ||
	    (b && (st = check_view(what, "b", b, 1, out))))
		return st;

	if (b) {
		struct ampcl_karg args[] = {
		    AMPCL_KARG_MEM(ampcl_tensor_mem(y)),
		    AMPCL_KARG_UINT(ampcl_tensor_off(y)),
		    AMPCL_KARG_MEM(ampcl_tensor_mem(b)),
		    AMPCL_KARG_UINT(ampcl_tensor_off(b)),
		    AMPCL_KARG_UINT(out),
		    AMPCL_KARG_UINT(n),
		};
		st = launch_1d(ctx, "linear_bias_forward", (size_t)n * out,
			       (int)(sizeof(args) / sizeof(args[0])), args);
		if (st)
			return st;
	}
	/* y (n, out) = x (n, in) x W^T (in, out) [+ y holding b] */
	return ampcl_gemm(ctx, 0, 1, n, out, in, 1.0f, ampcl_tensor_mem(x), ampcl_tensor_off(x), in,
			  ampcl_tensor_mem(w), ampcl_tensor_off(w), in, b ? 1.0f : 0.0f,
			  ampcl_tensor_mem(y), ampcl_tensor_off(y), out);
}

ampcl_status ampcl_linear_backward(struct ampcl_context *ctx, const struct ampcl_tensor *dx,
				   const struct ampcl_tensor *dw, const struct ampcl_tensor *db,
				   const struct ampcl_tensor *dy, const struct ampcl_tensor *x,
				   const struct ampcl_tensor *w, int n, int in, int out, float beta)
{
	const char *what = "linear backward";
	ampcl_status st;
	if ((st = check_sizes(what, n, in, out)) || (st = check_view(what, "dy", dy, n, out)) ||
	    (st = check_view(what, "x", x, n, in)) || (st = check_view(what, "w", w, out, in)) ||
	    (st = check_view(what, "dw", dw, out, in)) ||
	    (dx && (st = check_view(what, "dx", dx, n, in))) ||
	    (db && (st = check_view(what, "db", db, 1, out))))
		return st;

	/* dW (out, in) += dy^T (out, n) x x (n, in) */
	st = ampcl_gemm(ctx, 1, 0, out, in, n, 1.0f, ampcl_tensor_mem(dy), ampcl_tensor_off(dy),
			out, ampcl_tensor_mem(x), ampcl_tensor_off(x), in, 1.0f,
			ampcl_tensor_mem(dw), ampcl_tensor_off(dw), in);
	if (st)
		return st;
	if (db) {
		struct ampcl_karg args[] = {
		    AMPCL_KARG_MEM(ampcl_tensor_mem(db)),
		    AMPCL_KARG_UINT(ampcl_tensor_off(db)),
		    AMPCL_KARG_MEM(ampcl_tensor_mem(dy)),
		    AMPCL_KARG_UINT(ampcl_tensor_off(dy)),
		    AMPCL_KARG_UINT(out),
		    AMPCL_KARG_UINT(n),
		};
		st = launch_1d(ctx, "linear_bias_backward", (size_t)out,
			       (int)(sizeof(args) / sizeof(args[0])), args);
		if (st)
			return st;
	}
	if (!dx)
		return AMPCL_OK;
	/* dx (n, in) = beta*dx + dy (n, out) x W (out, in) */
	return ampcl_gemm(ctx, 0, 0, n, in, out, 1.0f, ampcl_tensor_mem(dy), ampcl_tensor_off(dy),
			  out, ampcl_tensor_mem(w), ampcl_tensor_off(w), in, beta,
			  ampcl_tensor_mem(dx), ampcl_tensor_off(dx), in);
}
