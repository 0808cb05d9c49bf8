/* pool_general.c: host side of cl/pool_general.cl: the output size (floor or ceil), the shape and
 * views checked, and the launches, one work-item an output (forward) or input (backward) cell. */
#include "pool_general.h"

#include <CL/cl.h>

static int out_size(int size, int k, int s, int begin, int end, int ceil_mode)
{
	int span = size + begin + end - k;
	if (span < 0)
		return 0;
	int out = (ceil_mode ? (span + s - 1) / s : span / s) + 1;
	/* the last window must start inside the image or its leading padding */
	if (ceil_mode && (out - 1) * s >= size + begin)
		out--;
	return out;
}

int ampcl_gpool_out_h(const struct ampcl_gpool_shape *s)
{
	return out_size(s->h, s->kh, s->sh, s->pt, s->pb, s->ceil_mode);
}

int ampcl_gpool_out_w(const struct ampcl_gpool_shape *s)
{
	return out_size(s->w, s->kw, s->sw, s->pl, s->pr, s->ceil_mode);
}

static ampcl_status check(const char *what, const struct ampcl_gpool_shape *s,
			  const struct ampcl_tensor *y, const struct ampcl_tensor *x, cl_int16 *pack)
{
	int ok = s->n >= 1 && s->c >= 1 && s->h >= 1 && s->w >= 1 && s->kh >= 1 && s->kw >= 1 &&
		 s->sh >= 1 && s->sw >= 1 && s->pt >= 0 && s->pl >= 0 && s->pb >= 0 && s->pr >= 0 &&
		 s->pt < s->kh && s->pb < s->kh && s->pl < s->kw && s->pr < s->kw;
	int p = ok ? ampcl_gpool_out_h(s) : 0, q = ok ? ampcl_gpool_out_w(s) : 0;
	if (!ok || p < 1 || q < 1)
		return ampcl_error_set(AMPCL_ERR_INVALID_ARG,
				       "%s: n %d c %d %dx%d window %dx%d stride %dx%d pads %d %d %d "
				       "%d gives no output (each pad must be smaller than the window)",
				       what, s->n, s->c, s->h, s->w, s->kh, s->kw, s->sh, s->sw, s->pt,
				       s->pl, s->pb, s->pr);
	size_t ny = (size_t)s->n * s->c * p * q, nx = (size_t)s->n * s->c * s->h * s->w;
	if ((y && ampcl_tensor_count(y) != ny) || (x && ampcl_tensor_count(x) != nx))
		return ampcl_error_set(AMPCL_ERR_INVALID_ARG,
				       "%s: views of %zu and %zu values, the shape %zu and %zu", what,
				       y ? ampcl_tensor_count(y) : ny, x ? ampcl_tensor_count(x) : nx,
				       ny, nx);
	int v[16] = {s->n,  s->c,  s->h,  s->w,	 p,  q,  s->kh, s->kw, s->sh, s->sw,
		     s->pt, s->pl, s->pb, s->pr, s->count_include_pad, 0};
	for (int i = 0; i < 16; i++)
		pack->s[i] = v[i];
	return AMPCL_OK;
}

ampcl_status ampcl_gpool_forward(struct ampcl_context *ctx, const struct ampcl_gpool_shape *s,
				 int average, const struct ampcl_tensor *y,
				 const struct ampcl_tensor *x)
{
	cl_int16 pack;
	ampcl_status st = check("pooling forward", s, y, x, &pack);
	if (st)
		return st;
	struct ampcl_karg args[] = {AMPCL_KARG_VIEW(y), AMPCL_KARG_VIEW(x), AMPCL_KARG(pack)};
	return ampcl_launch_1d_named(ctx, "pool_general",
				     average ? "gpool_avg_forward" : "gpool_max_forward",
				     ampcl_tensor_count(y), AMPCL_NARGS(args), args);
}

ampcl_status ampcl_gpool_backward(struct ampcl_context *ctx, const struct ampcl_gpool_shape *s,
				  int average, const struct ampcl_tensor *dx,
				  const struct ampcl_tensor *dy, const struct ampcl_tensor *x,
				  float beta)
{
	cl_int16 pack;
	ampcl_status st = check("pooling backward", s, dy, dx, &pack);
	if (!st && !average)
		st = check("pooling backward", s, NULL, x, &pack);
	if (st)
		return st;
	if (average) {
		struct ampcl_karg args[] = {AMPCL_KARG_VIEW(dx), AMPCL_KARG_VIEW(dy),
					    AMPCL_KARG_FLOAT(beta), AMPCL_KARG(pack)};
		return ampcl_launch_1d_named(ctx, "pool_general", "gpool_avg_backward",
					     ampcl_tensor_count(dx), AMPCL_NARGS(args), args);
	}
	struct ampcl_karg args[] = {AMPCL_KARG_VIEW(dx), AMPCL_KARG_VIEW(dy), AMPCL_KARG_VIEW(x),
				    AMPCL_KARG_FLOAT(beta), AMPCL_KARG(pack)};
	return ampcl_launch_1d_named(ctx, "pool_general", "gpool_max_backward",
				     ampcl_tensor_count(dx), AMPCL_NARGS(args), args);
}
