/* linear.c: the host side of the fully connected layer: view checks, the GEMMs of forward
 * and backward, and the bias kernels of cl/linear.cl. */
#include "linear.h"
#include "error.h"
#include "gemm.h"
#include "launch.h"

#include <stdio.h>

/* t must hold the matrix dims = (rows, cols); dims names the sizes for the message. */
static ampcl_status check_matrix(const char *what, const char *name, const struct ampcl_tensor *t,
				 const char *dims, int rows, int cols)
{
	char desc[64];
	snprintf(desc, sizeof(desc), "(%s) = (%d, %d)", dims, rows, cols);
	return ampcl_tensor_check(what, name, t, (size_t)rows * cols, desc);
}

static ampcl_status check_sizes(const char *what, int n, int in, int out)
{
	if (n < 1 || in < 1 || out < 1)
		return ampcl_error_set(AMPCL_ERR_INVALID_ARG,
				       "%s: sizes n=%d in=%d out=%d must all be >= 1", what, n, in,
				       out);
	return AMPCL_OK;
}

ampcl_status ampcl_linear_forward(struct ampcl_context *ctx, const struct ampcl_tensor *y,
				  const struct ampcl_tensor *x, const struct ampcl_tensor *w,
				  const struct ampcl_tensor *b, int n, int in, int out,
				  int w_in_out)
{
	const char *what = "linear forward";
	ampcl_status st;
	if ((st = check_sizes(what, n, in, out)) ||
	    (st = check_matrix(what, "y", y, "n, out", n, out)) ||
	    (st = check_matrix(what, "x", x, "n, in", n, in)) ||
	    (st = check_matrix(what, "w", w, w_in_out ? "in, out" : "out, in", out, in)) ||
	    (b && (st = check_matrix(what, "b", b, "1, out", 1, out))))
		return st;

	if (b) {
		struct ampcl_karg args[] = {
		    AMPCL_KARG_VIEW(y),
		    AMPCL_KARG_VIEW(b),
		    AMPCL_KARG_UINT(out),
		    AMPCL_KARG_UINT(n),
		};
		st = ampcl_launch_1d_named(ctx, "linear", "linear_bias_forward", (size_t)n * out,
					   AMPCL_NARGS(args), args);
		if (st)
			return st;
	}
	/* y (n, out) = x (n, in) x W^T (in, out) [+ y holding b]; W^T is w itself when w_in_out */
	return ampcl_gemm(ctx, 0, !w_in_out, n, out, in, 1.0f, ampcl_tensor_mem(x),
			  ampcl_tensor_off(x), in, ampcl_tensor_mem(w), ampcl_tensor_off(w),
			  w_in_out ? out : in, b ? 1.0f : 0.0f, ampcl_tensor_mem(y),
			  ampcl_tensor_off(y), out);
}

ampcl_status ampcl_linear_backward(struct ampcl_context *ctx, const struct ampcl_tensor *dx,
				   const struct ampcl_tensor *dw, const struct ampcl_tensor *db,
				   const struct ampcl_tensor *dy, const struct ampcl_tensor *x,
				   const struct ampcl_tensor *w, int n, int in, int out,
				   int w_in_out, float beta)
{
	const char *what = "linear backward";
	ampcl_status st;
	if ((st = check_sizes(what, n, in, out)) ||
	    (st = check_matrix(what, "dy", dy, "n, out", n, out)) ||
	    (st = check_matrix(what, "x", x, "n, in", n, in)) ||
	    (st = check_matrix(what, "w", w, w_in_out ? "in, out" : "out, in", out, in)) ||
	    (st = check_matrix(what, "dw", dw, w_in_out ? "in, out" : "out, in", out, in)) ||
	    (dx && (st = check_matrix(what, "dx", dx, "n, in", n, in))) ||
	    (db && (st = check_matrix(what, "db", db, "1, out", 1, out))))
		return st;

	/* dW (out, in) += dy^T (out, n) x x (n, in); or, w_in_out, dW^T (in, out) += x^T dy */
	if (w_in_out)
		st = ampcl_gemm(ctx, 1, 0, in, out, n, 1.0f, ampcl_tensor_mem(x),
				ampcl_tensor_off(x), in, ampcl_tensor_mem(dy), ampcl_tensor_off(dy),
				out, 1.0f, ampcl_tensor_mem(dw), ampcl_tensor_off(dw), out);
	else
		st = ampcl_gemm(ctx, 1, 0, out, in, n, 1.0f, ampcl_tensor_mem(dy),
				ampcl_tensor_off(dy), out, ampcl_tensor_mem(x), ampcl_tensor_off(x),
				in, 1.0f, ampcl_tensor_mem(dw), ampcl_tensor_off(dw), in);
	if (st)
		return st;
	if (db) {
		struct ampcl_karg args[] = {
		    AMPCL_KARG_VIEW(db),
		    AMPCL_KARG_VIEW(dy),
		    AMPCL_KARG_UINT(out),
		    AMPCL_KARG_UINT(n),
		};
		st = ampcl_launch_1d_named(ctx, "linear", "linear_bias_backward", (size_t)out,
					   AMPCL_NARGS(args), args);
		if (st)
			return st;
	}
	if (!dx)
		return AMPCL_OK;
	/* dx (n, in) = beta*dx + dy (n, out) x W (out, in), W the transpose of w when w_in_out */
	return ampcl_gemm(ctx, 0, w_in_out, n, in, out, 1.0f, ampcl_tensor_mem(dy),
			  ampcl_tensor_off(dy), out, ampcl_tensor_mem(w), ampcl_tensor_off(w),
			  w_in_out ? out : in, beta, ampcl_tensor_mem(dx), ampcl_tensor_off(dx),
			  in);
}

size_t ampcl_linear_workspace_floats(const struct ampcl_context *ctx, int n, int in, int out,
				     int w_in_out)
{
	/* the most any of y = x W^T, dW += dy^T x and dx = dy W takes, in w's layout */
	size_t y = ampcl_gemm_workspace_floats(ctx, 0, !w_in_out, n, out, in, 1);
	size_t dw = w_in_out ? ampcl_gemm_workspace_floats(ctx, 1, 0, in, out, n, 1)
			     : ampcl_gemm_workspace_floats(ctx, 1, 0, out, in, n, 1);
	size_t dx = ampcl_gemm_workspace_floats(ctx, 0, w_in_out, n, in, out, 1);
	size_t most = y > dw ? y : dw;
	return most > dx ? most : dx;
}
