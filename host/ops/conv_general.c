/* conv_general.c: host side of cl/conv_general.cl: checks the shape and the views against it and
 * launches the direct kernels, one work-item an output or input row, one group a weight. */
#include "conv_general.h"
#include "program.h"

#include <CL/cl.h>

int ampcl_gconv_out_h(const struct ampcl_gconv_shape *s)
{
	return (s->h + s->pt + s->pb - s->dh * (s->kh - 1) - 1) / s->sh + 1;
}

int ampcl_gconv_out_w(const struct ampcl_gconv_shape *s)
{
	return (s->w + s->pl + s->pr - s->dw * (s->kw - 1) - 1) / s->sw + 1;
}

/* The shape sane and each view the size it describes; the kernels' packed int16. */
static ampcl_status check(const char *what, const struct ampcl_gconv_shape *s,
			  const struct ampcl_tensor *y, const struct ampcl_tensor *x,
			  const struct ampcl_tensor *w, const struct ampcl_tensor *b, cl_int16 *pack)
{
	int p = s->sh > 0 && s->dh > 0 ? ampcl_gconv_out_h(s) : 0;
	int q = s->sw > 0 && s->dw > 0 ? ampcl_gconv_out_w(s) : 0;
	if (s->n < 1 || s->c < 1 || s->k < 1 || s->groups < 1 || s->c % s->groups ||
	    s->k % s->groups || s->kh < 1 || s->kw < 1 || s->sh < 1 || s->sw < 1 || s->dh < 1 ||
	    s->dw < 1 || s->pt < 0 || s->pl < 0 || s->pb < 0 || s->pr < 0 || p < 1 || q < 1)
		return ampcl_error_set(AMPCL_ERR_INVALID_ARG,
				       "%s: n %d c %d %dx%d k %d kernel %dx%d stride %dx%d pads %d "
				       "%d %d %d dilation %dx%d groups %d gives no output",
				       what, s->n, s->c, s->h, s->w, s->k, s->kh, s->kw, s->sh, s->sw,
				       s->pt, s->pl, s->pb, s->pr, s->dh, s->dw, s->groups);
	size_t want[4] = {(size_t)s->n * s->k * p * q, (size_t)s->n * s->c * s->h * s->w,
			  (size_t)s->k * (s->c / s->groups) * s->kh * s->kw, (size_t)s->k};
	const struct ampcl_tensor *views[4] = {y, x, w, b};
	const char *names[4] = {"output", "input", "weight", "bias"};
	for (int i = 0; i < 4; i++)
		if (views[i] && ampcl_tensor_count(views[i]) != want[i])
			return ampcl_error_set(AMPCL_ERR_INVALID_ARG,
					       "%s: the %s view holds %zu values, the shape %zu", what,
					       names[i], ampcl_tensor_count(views[i]), want[i]);
	int v[16] = {s->n, s->c,  s->h,  s->w,	s->k,  p,     q,     s->kh,
		     s->kw, s->sh, s->sw, s->pt, s->pl, s->dh, s->dw, s->groups};
	for (int i = 0; i < 16; i++)
		pack->s[i] = v[i];
	return AMPCL_OK;
}

ampcl_status ampcl_gconv_forward(struct ampcl_context *ctx, const struct ampcl_gconv_shape *s,
				 const struct ampcl_tensor *y, const struct ampcl_tensor *x,
				 const struct ampcl_tensor *w, const struct ampcl_tensor *b)
{
	cl_int16 pack;
	ampcl_status st = check("general convolution forward", s, y, x, w, b, &pack);
	if (st)
		return st;
	const struct ampcl_tensor *bias = b ? b : w; /* a buffer to bind; not read */
	struct ampcl_karg args[] = {AMPCL_KARG_VIEW(y),	  AMPCL_KARG_VIEW(x),
				    AMPCL_KARG_VIEW(w),	  AMPCL_KARG_VIEW(bias),
				    AMPCL_KARG_INT(b != NULL), AMPCL_KARG(pack)};
	size_t rows = (size_t)s->n * s->k * ampcl_gconv_out_h(s);
	return ampcl_launch_1d_named(ctx, "conv_general", "gconv_forward", rows, AMPCL_NARGS(args),
				     args);
}

ampcl_status ampcl_gconv_backward(struct ampcl_context *ctx, const struct ampcl_gconv_shape *s,
				  const struct ampcl_tensor *dx, const struct ampcl_tensor *dw,
				  const struct ampcl_tensor *db, const struct ampcl_tensor *dy,
				  const struct ampcl_tensor *x, const struct ampcl_tensor *w,
				  float beta)
{
	cl_int16 pack;
	ampcl_status st = check("general convolution backward", s, dy, x, w, db, &pack);
	if (!st && dx)
		st = check("general convolution backward", s, NULL, dx, dw, NULL, &pack);
	if (st)
		return st;
	if (dx) {
		struct ampcl_karg args[] = {AMPCL_KARG_VIEW(dx), AMPCL_KARG_VIEW(dy),
					    AMPCL_KARG_VIEW(w), AMPCL_KARG_FLOAT(beta),
					    AMPCL_KARG(pack)};
		size_t rows = (size_t)s->n * s->c * s->h;
		if ((st = ampcl_launch_1d_named(ctx, "conv_general", "gconv_backward_data", rows,
						AMPCL_NARGS(args), args)))
			return st;
	}
	/* the sums over (image, row, column) in one launch, or in launches of 8192 positions on a
	 * device that ends long loops early (the profile's loop_k_max): llvmpipe counts the
	 * iterations of both loops when a group's lanes take both (weights and biases) */
	const struct ampcl_tensor *bias = db ? db : dw;
	int total = s->n * ampcl_gconv_out_h(s) * ampcl_gconv_out_w(s);
	int chunk = ctx->profile.loop_k_max ? 8192 : total;
	/* one group of up to 64 lanes (GCONV_GROUP) per weight and per bias */
	cl_kernel kernel;
	if ((st = ampcl_kernel_get(ctx, "conv_general", "", "gconv_backward_weight", &kernel)))
		return st;
	size_t group = ampcl_launch_group_size(ctx, kernel, 64);
	size_t items = (ampcl_tensor_count(dw) + (db ? (size_t)s->k : 0)) * group;
	for (int j0 = 0; j0 < total && !st; j0 += chunk) {
		int j1 = total - j0 > chunk ? j0 + chunk : total;
		struct ampcl_karg args[] = {AMPCL_KARG_VIEW(dw),	 AMPCL_KARG_VIEW(bias),
					    AMPCL_KARG_VIEW(dy),	 AMPCL_KARG_VIEW(x),
					    AMPCL_KARG_INT(db != NULL), AMPCL_KARG_INT(j0),
					    AMPCL_KARG_INT(j1),	 AMPCL_KARG_INT(j0 > 0),
					    AMPCL_KARG(pack)};
		st = ampcl_launch(ctx, kernel, 1, &items, &group, AMPCL_NARGS(args), args, NULL);
	}
	return st;
}
