/* pool.c: host side of cl/pool.cl: checks the shapes of the pooling views and sizes the
 * launches (one item per output or dx element; lanes per plane for the average). */
#include "pool.h"
#include "error.h"
#include "program.h"

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
	struct ampcl_karg args[] = {AMPCL_KARG_VIEW(y), AMPCL_KARG_VIEW(x),
				    AMPCL_KARG_UINT(x->shape[0] * x->shape[1]),
				    AMPCL_KARG_UINT(x->shape[2]), AMPCL_KARG_UINT(x->shape[3])};
	return ampcl_launch_1d_named(ctx, "pool", "maxpool2_forward", ampcl_tensor_count(y),
				     AMPCL_NARGS(args), args);
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
	struct ampcl_karg args[] = {AMPCL_KARG_VIEW(dx),
				    AMPCL_KARG_VIEW(dy),
				    AMPCL_KARG_VIEW(x),
				    AMPCL_KARG_FLOAT(beta),
				    AMPCL_KARG_UINT(x->shape[0] * x->shape[1]),
				    AMPCL_KARG_UINT(x->shape[2]),
				    AMPCL_KARG_UINT(x->shape[3])};
	return ampcl_launch_1d_named(ctx, "pool", "maxpool2_backward", ampcl_tensor_count(dx),
				     AMPCL_NARGS(args), args);
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
	cl_kernel k;
	if ((st = ampcl_kernel_get(ctx, "pool", "", "avgpool_forward", &k)))
		return st;
	size_t planes = (size_t)x->shape[0] * x->shape[1];
	size_t hw = (size_t)x->shape[2] * x->shape[3];
	/* lanes per plane: a power of two covering hw, at most one work-group; the choice depends
	 * only on hw and the device, so the summation order is fixed for a given net */
	size_t group = ampcl_launch_group_size(ctx, k, 256), lanes = 1;
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
	return ampcl_launch_1d_named(ctx, "pool", "avgpool_backward", ampcl_tensor_count(dx),
				     AMPCL_NARGS(args), args);
}
