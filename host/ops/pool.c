/* pool.c: host side of cl/pool.cl: checks the shapes of the pooling views and sizes the
 * launches (blocks of 4 windows or elements per item; a plane per item or lanes for the mean). */
#include "pool.h"
#include "constants.h"
#include "error.h"
#include "program.h"

/* windows or elements per work-item, fixed at 4 in cl/pool.cl */
#define POOL_VEC AMPCL_POOL_VEC
/* work-items per group to aim for: enough to fill a GPU core, and on a CPU enough rows per
 * group that the runtime's per-group overhead is small */
#define POOL_WG 256

/* Blocks of POOL_VEC per work-item along a row of `cols` windows or elements: one on a GPU,
 * for many items and coalesced loads; the whole row on a CPU, where each item then streams
 * its row in order. */
static size_t pool_span(struct ampcl_context *ctx, size_t cols)
{
	return ctx->profile.pool_rows ? ampcl_div_up(cols, POOL_VEC) : 1;
}

/* Enqueues `name` over the 3-D range items[] (block, row, plane), in groups that fill dimension
 * 0, then 1, then 2 up to POOL_WG items, so a group spans whole rows and several rows or planes
 * when those are short; each kernel guards the rounded-up rest. */
static ampcl_status pool_launch_3d(struct ampcl_context *ctx, const char *name,
				   const size_t items[3], int nargs, const struct ampcl_karg *args)
{
	cl_kernel k;
	ampcl_status st = ampcl_kernel_get(ctx, "pool", "", name, &k);
	if (st)
		return st;
	size_t wg = ampcl_launch_group_size(ctx, k, POOL_WG);
	size_t local[3];
	ampcl_launch_local_fit(ctx, wg, items, 3, local);
	return ampcl_launch(ctx, k, 3, items, local, nargs, args, NULL);
}

static ampcl_status check_4d(const char *op, const char *name, const struct ampcl_tensor *t)
{
	ampcl_status st = ampcl_tensor_check(op, name, t, 0, NULL);
	if (st)
		return st;
	if (t->ndim != 4) {
		char s[64];
		return ampcl_error_set(AMPCL_ERR_INVALID_ARG,
				       "%s: %s has shape %s; want 4 dimensions (n, c, h, w)", op,
				       name, ampcl_tensor_shape_str(t, s, sizeof(s)));
	}
	return AMPCL_OK;
}

/* t must have exactly shape (n, c, h, w) */
static ampcl_status check_shape(const char *op, const char *name, const struct ampcl_tensor *t,
				int n, int c, int h, int w)
{
	ampcl_status st = check_4d(op, name, t);
	if (st)
		return st;
	if (t->shape[0] != n || t->shape[1] != c || t->shape[2] != h || t->shape[3] != w) {
		char s[64];
		return ampcl_error_set(AMPCL_ERR_INVALID_ARG,
				       "%s: %s has shape %s; want (%d, %d, %d, %d)", op, name,
				       ampcl_tensor_shape_str(t, s, sizeof(s)), n, c, h, w);
	}
	return AMPCL_OK;
}

/* t must be (n, c) or (n, c, 1, 1): the pooled vector per plane */
static ampcl_status check_pooled(const char *op, const char *name, const struct ampcl_tensor *t,
				 int n, int c)
{
	ampcl_status st = ampcl_tensor_check(op, name, t, 0, NULL);
	if (st)
		return st;
	int ok = t->ndim >= 2 && t->shape[0] == n && t->shape[1] == c;
	for (int i = 2; i < t->ndim; i++)
		ok = ok && t->shape[i] == 1;
	if (!ok) {
		char s[64];
		return ampcl_error_set(AMPCL_ERR_INVALID_ARG,
				       "%s: %s has shape %s; want (%d, %d) or (%d, %d, 1, 1)", op,
				       name, ampcl_tensor_shape_str(t, s, sizeof(s)), n, c, n, c);
	}
	return AMPCL_OK;
}

static ampcl_status check_maxpool_input(const char *op, const struct ampcl_tensor *x)
{
	ampcl_status st = check_4d(op, "x", x);
	if (st)
		return st;
	if (x->shape[2] < 2 || x->shape[3] < 2)
		return ampcl_error_set(AMPCL_ERR_INVALID_ARG,
				       "%s: x is %d x %d; a 2x2 max-pool needs h and w >= 2 (drop "
				       "the pool for such small maps)",
				       op, x->shape[2], x->shape[3]);
	return AMPCL_OK;
}

ampcl_status ampcl_maxpool2_forward(struct ampcl_context *ctx, const struct ampcl_tensor *y,
				    const struct ampcl_tensor *x)
{
	/* y: (n, c, h/2, w/2)  x: (n, c, h, w) */
	const char *op = "max-pool forward";
	ampcl_status st;
	if ((st = check_maxpool_input(op, x)) ||
	    (st = check_shape(op, "y", y, x->shape[0], x->shape[1], x->shape[2] / 2,
			      x->shape[3] / 2)))
		return st;
	return ampcl_maxpool2_forward_launch(ctx, y, x, pool_span(ctx, (size_t)y->shape[3]));
}

ampcl_status ampcl_maxpool2_forward_launch(struct ampcl_context *ctx, const struct ampcl_tensor *y,
					   const struct ampcl_tensor *x, size_t span)
{
	struct ampcl_karg args[] = {AMPCL_KARG_VIEW(y),
				    AMPCL_KARG_VIEW(x),
				    AMPCL_KARG_UINT(x->shape[0] * x->shape[1]),
				    AMPCL_KARG_UINT(x->shape[2]),
				    AMPCL_KARG_UINT(x->shape[3]),
				    AMPCL_KARG_UINT(span)};
	size_t items[3] = {ampcl_div_up((size_t)y->shape[3], POOL_VEC * span), (size_t)y->shape[2],
			   (size_t)x->shape[0] * x->shape[1]};
	return pool_launch_3d(ctx, "maxpool2_forward", items, AMPCL_NARGS(args), args);
}

ampcl_status ampcl_maxpool2_backward(struct ampcl_context *ctx, const struct ampcl_tensor *dx,
				     const struct ampcl_tensor *dy, const struct ampcl_tensor *x,
				     float beta)
{
	/* dx, x: (n, c, h, w)  dy: (n, c, h/2, w/2) */
	const char *op = "max-pool backward";
	ampcl_status st;
	if ((st = check_maxpool_input(op, x)) ||
	    (st = check_shape(op, "dx", dx, x->shape[0], x->shape[1], x->shape[2], x->shape[3])) ||
	    (st = check_shape(op, "dy", dy, x->shape[0], x->shape[1], x->shape[2] / 2,
			      x->shape[3] / 2)))
		return st;
	return ampcl_maxpool2_backward_launch(ctx, dx, dy, x, beta,
					      pool_span(ctx, ampcl_div_up((size_t)x->shape[3], 2)));
}

ampcl_status ampcl_maxpool2_backward_launch(struct ampcl_context *ctx,
					    const struct ampcl_tensor *dx,
					    const struct ampcl_tensor *dy,
					    const struct ampcl_tensor *x, float beta, size_t span)
{
	struct ampcl_karg args[] = {AMPCL_KARG_VIEW(dx),
				    AMPCL_KARG_VIEW(dy),
				    AMPCL_KARG_VIEW(x),
				    AMPCL_KARG_FLOAT(beta),
				    AMPCL_KARG_UINT(x->shape[0] * x->shape[1]),
				    AMPCL_KARG_UINT(x->shape[2]),
				    AMPCL_KARG_UINT(x->shape[3]),
				    AMPCL_KARG_UINT(span)};
	/* window columns and rows, the dropped odd last ones included */
	size_t items[3] = {ampcl_div_up(ampcl_div_up((size_t)x->shape[3], 2), POOL_VEC * span),
			   ampcl_div_up((size_t)x->shape[2], 2), (size_t)x->shape[0] * x->shape[1]};
	return pool_launch_3d(ctx, "maxpool2_backward", items, AMPCL_NARGS(args), args);
}

ampcl_status ampcl_avgpool_forward(struct ampcl_context *ctx, const struct ampcl_tensor *y,
				   const struct ampcl_tensor *x)
{
	/* y: (n, c)  x: (n, c, h, w) */
	const char *op = "average-pool forward";
	ampcl_status st;
	if ((st = check_4d(op, "x", x)) ||
	    (st = check_pooled(op, "y", y, x->shape[0], x->shape[1])))
		return st;
	return ampcl_avgpool_forward_launch(ctx, y, x, ctx->profile.pool_rows, 256);
}

ampcl_status ampcl_avgpool_forward_launch(struct ampcl_context *ctx, const struct ampcl_tensor *y,
					  const struct ampcl_tensor *x, int plane_per_item,
					  size_t group_max)
{
	size_t planes = (size_t)x->shape[0] * x->shape[1];
	size_t hw = (size_t)x->shape[2] * x->shape[3];
	/* A CPU core streams a plane fastest alone; a GPU needs many items per plane. Either way
	 * the order depends only on hw and the device, so a net's means repeat bit for bit. */
	if (plane_per_item) {
		struct ampcl_karg args[] = {AMPCL_KARG_VIEW(y), AMPCL_KARG_VIEW(x),
					    AMPCL_KARG_UINT(planes), AMPCL_KARG_UINT(hw)};
		return ampcl_launch_1d_named(ctx, "pool", "avgpool_plane_forward", planes,
					     AMPCL_NARGS(args), args);
	}
	cl_kernel k;
	ampcl_status st = ampcl_kernel_get(ctx, "pool", "", "avgpool_forward", &k);
	if (st)
		return st;
	/* lanes per plane: a power of two covering hw, at most one work-group; the choice depends
	 * only on hw and the device, so the summation order is fixed for a given net */
	size_t group = ampcl_launch_reduce_group(ctx, k, group_max, sizeof(cl_float)), lanes = 1;
	while (lanes < hw && lanes < group)
		lanes *= 2;
	size_t per_group = group / lanes;
	size_t global = ampcl_div_up(planes, per_group) * group;
	struct ampcl_karg args[] = {
	    AMPCL_KARG_VIEW(y),      AMPCL_KARG_VIEW(x),
	    AMPCL_KARG_UINT(planes), AMPCL_KARG_UINT(hw),
	    AMPCL_KARG_UINT(lanes),  AMPCL_KARG_LOCAL(group * sizeof(cl_float))};
	return ampcl_launch(ctx, k, 1, &global, &group, AMPCL_NARGS(args), args, NULL);
}

ampcl_status ampcl_avgpool_backward(struct ampcl_context *ctx, const struct ampcl_tensor *dx,
				    const struct ampcl_tensor *dy, float beta)
{
	/* dx: (n, c, h, w)  dy: (n, c) */
	const char *op = "average-pool backward";
	ampcl_status st;
	if ((st = check_4d(op, "dx", dx)) ||
	    (st = check_pooled(op, "dy", dy, dx->shape[0], dx->shape[1])))
		return st;
	struct ampcl_karg args[] = {AMPCL_KARG_VIEW(dx), AMPCL_KARG_VIEW(dy),
				    AMPCL_KARG_FLOAT(beta),
				    AMPCL_KARG_UINT(dx->shape[0] * dx->shape[1]),
				    AMPCL_KARG_UINT(dx->shape[2] * dx->shape[3])};
	size_t items[3] = {ampcl_div_up((size_t)dx->shape[2] * dx->shape[3], POOL_VEC),
			   (size_t)dx->shape[0] * dx->shape[1], 1};
	return pool_launch_3d(ctx, "avgpool_backward", items, AMPCL_NARGS(args), args);
}
