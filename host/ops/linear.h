/* linear.h: the fully connected layer y = x W^T + b, PyTorch's nn.Linear, on the GEMM
 * interface (gemm.h), so it runs on whichever back end is in effect. */
#ifndef AMPCL_LINEAR_H
#define AMPCL_LINEAR_H

#include "arena.h"
#include "context.h"

/* y = x W^T + b. y: (n, out)  x: (n, in)  w: (out, in), or W^T (in, out) when w_in_out (ONNX's
 * MatMul and Gemm with transB 0 hold it so)  b: (out) or NULL.
 * y is overwritten (it may hold NaN). Each view must hold exactly its shape's element count;
 * a mismatch is AMPCL_ERR_INVALID_ARG naming the view and both counts. */
ampcl_status ampcl_linear_forward(struct ampcl_context *ctx, const struct ampcl_tensor *y,
				  const struct ampcl_tensor *x, const struct ampcl_tensor *w,
				  const struct ampcl_tensor *b, int n, int in, int out,
				  int w_in_out);

/* dx = beta*dx + dy W (NULL: not needed; beta 0 overwrites without reading dx),
 * dw += dy^T x, db += the column sums of dy (NULL: no bias). All deterministic.
 * dx, x: (n, in)  dw, w: (out, in), or both (in, out) when w_in_out  db: (out)  dy: (n, out) */
ampcl_status ampcl_linear_backward(struct ampcl_context *ctx, const struct ampcl_tensor *dx,
				   const struct ampcl_tensor *dw, const struct ampcl_tensor *db,
				   const struct ampcl_tensor *dy, const struct ampcl_tensor *x,
				   const struct ampcl_tensor *w, int n, int in, int out,
				   int w_in_out, float beta);

/* Floats of op workspace (workspace.h) a call for a batch of n takes, for planning it. */
size_t ampcl_linear_workspace_floats(const struct ampcl_context *ctx, int n, int in, int out,
				     int w_in_out);

#endif
