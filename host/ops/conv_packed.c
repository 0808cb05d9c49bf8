/* conv_packed.c: forward, weight-gradient and input-gradient products of a convolution on the
 * packed GEMM, whose panels are gathered from x and dy in place (conv_packed.h). */
#include "conv_packed.h"
#include "gemm_packed.h"
#include "launch.h"
#include "program.h"
#include "workspace.h"

static int pointwise(const struct ampcl_conv2d_shape *s)
{
	return s->r == 1 && s->s == 1 && s->stride == 1 && s->pad == 0;
}

/* A stride-1 input gradient is the convolution of dy (k channels, p x q) with the weights
 * transposed and flipped, padded by r-1-pad: it then needs no dcol and no col2im. */
static int dx_as_conv(const struct ampcl_conv2d_shape *s)
{
	return s->stride == 1 && s->r == s->s && s->pad <= s->r - 1 && !pointwise(s);
}

static struct ampcl_conv2d_shape dx_shape(const struct ampcl_conv2d_shape *s, int nb)
{
	return (struct ampcl_conv2d_shape){.n = nb,
					   .c = s->k,
					   .h = ampcl_conv2d_out_h(s),
					   .w = ampcl_conv2d_out_w(s),
					   .k = s->c,
					   .r = s->r,
					   .s = s->s,
					   .stride = 1,
					   .pad = s->r - 1 - s->pad};
}

/* Im2col strips come from a zero-padded copy of the input, which takes this many floats for nb
 * images of geometry g. */
static size_t padded_floats(const struct ampcl_conv2d_shape *g, int nb)
{
	return (size_t)nb * g->c * (size_t)(g->h + 2 * g->pad) * (size_t)(g->w + 2 * g->pad);
}

/* Runs pr, whose B gathers im2col values of nb images of geometry g at (b.mem, b.off): from a
 * copy of them zero-padded into the op workspace's first floats (one pass, then no bounds to
 * test in the strips). */
static ampcl_status run(struct ampcl_context *ctx, struct ampcl_packed_product *pr,
			const struct ampcl_conv2d_shape *g, int nb)
{
	pr->ws_skip = padded_floats(g, nb);
	cl_mem ws;
	size_t bytes;
	cl_kernel kernel;
	ampcl_status st;
	if ((st = ampcl_workspace_get(ctx, ampcl_gemm_packed_product_floats(ctx, pr),
				      "convolution (padded input)", &ws, &bytes)) ||
	    (st = ampcl_kernel_get(ctx, "gemm_packed", "", "conv_pad_copy", &kernel)))
		return st;
	size_t global[2] = {(size_t)(g->h + 2 * g->pad), (size_t)nb * g->c};
	struct ampcl_karg args[] = {
	    AMPCL_KARG_MEM(ws),        AMPCL_KARG_UINT(bytes / sizeof(float)),
	    AMPCL_KARG_MEM(pr->b.mem), AMPCL_KARG_UINT(pr->b.off),
	    AMPCL_KARG_UINT(g->h),     AMPCL_KARG_UINT(g->w),
	    AMPCL_KARG_UINT(g->pad),   AMPCL_KARG_UINT((size_t)nb * g->c),
	};
	if ((st = ampcl_launch(ctx, kernel, 2, global, NULL, AMPCL_NARGS(args), args, NULL)))
		return st;
	pr->b.mem = ws;
	pr->b.off = bytes / sizeof(float);
	return ampcl_gemm_packed_product(ctx, pr);
}

/* The weight gradient as dot products along output rows (cl/conv_dw.cl): stride 1, rows of a
 * multiple of 16 and 16-float registers (its 24 float16 accumulators fit AVX-512's 32). A run
 * is about 2048 pixels of output rows, so its slice of x and dy stays in a core's cache. */
static int dw_by_rows(const struct ampcl_context *ctx, const struct ampcl_conv2d_shape *s)
{
	return s->stride == 1 && ampcl_conv2d_out_w(s) % 16 == 0 &&
	       ctx->caps.native_vector_width_float >= 16;
}

static void dw_runs(const struct ampcl_conv2d_shape *s, int nb, size_t *per_run, size_t *runs)
{
	size_t q = (size_t)ampcl_conv2d_out_w(s), rows = (size_t)nb * ampcl_conv2d_out_h(s);
	*per_run = q >= 2048 ? 1 : 2048 / q;
	*runs = (rows + *per_run - 1) / *per_run;
}

static size_t dw_rows_floats(const struct ampcl_conv2d_shape *s, int nb)
{
	size_t per_run, runs;
	dw_runs(s, nb, &per_run, &runs);
	return padded_floats(s, nb) + runs * (size_t)s->k * s->c * s->r * s->s;
}

static ampcl_status dw_rows(struct ampcl_context *ctx, const struct ampcl_conv2d_shape *s,
			    const struct ampcl_tensor *dw, const struct ampcl_tensor *dy,
			    const struct ampcl_tensor *x, int b0, int nb)
{
	size_t per_run, runs, pad = padded_floats(s, nb);
	dw_runs(s, nb, &per_run, &runs);
	int p = ampcl_conv2d_out_h(s), q = ampcl_conv2d_out_w(s);
	size_t crs = (size_t)s->c * s->r * s->s, count = (size_t)s->k * crs;
	cl_mem ws;
	size_t bytes;
	cl_kernel pad_k, rows_k, sum_k;
	ampcl_status st;
	if ((st = ampcl_workspace_get(ctx, dw_rows_floats(s, nb), "conv2d weight gradient", &ws,
				      &bytes)) ||
	    (st = ampcl_kernel_get(ctx, "gemm_packed", "", "conv_pad_copy", &pad_k)) ||
	    (st = ampcl_kernel_get(ctx, "conv_dw", "", "conv_dw_rows", &rows_k)) ||
	    (st = ampcl_kernel_get(ctx, "conv_dw", "", "conv_dw_sum", &sum_k)))
		return st;
	cl_uint xp_off = (cl_uint)(bytes / sizeof(float)), part_off = xp_off + (cl_uint)pad;
	size_t gp[2] = {(size_t)(s->h + 2 * s->pad), (size_t)nb * s->c};
	struct ampcl_karg ap[] = {
	    AMPCL_KARG_MEM(ws),
	    AMPCL_KARG_UINT(xp_off),
	    AMPCL_KARG_MEM(ampcl_tensor_mem(x)),
	    AMPCL_KARG_UINT(ampcl_tensor_off(x) + (size_t)b0 * s->c * s->h * s->w),
	    AMPCL_KARG_UINT(s->h),
	    AMPCL_KARG_UINT(s->w),
	    AMPCL_KARG_UINT(s->pad),
	    AMPCL_KARG_UINT((size_t)nb * s->c),
	};
	size_t gr[3] = {(crs + 5) / 6, ((size_t)s->k + 3) / 4, runs};
	struct ampcl_karg ar[] = {
	    AMPCL_KARG_MEM(ws),
	    AMPCL_KARG_UINT(part_off),
	    AMPCL_KARG_MEM(ampcl_tensor_mem(dy)),
	    AMPCL_KARG_UINT(ampcl_tensor_off(dy) + (size_t)b0 * s->k * p * q),
	    AMPCL_KARG_MEM(ws),
	    AMPCL_KARG_UINT(xp_off),
	    AMPCL_KARG_UINT(s->c),
	    AMPCL_KARG_UINT(s->h + 2 * s->pad),
	    AMPCL_KARG_UINT(s->w + 2 * s->pad),
	    AMPCL_KARG_UINT(s->r),
	    AMPCL_KARG_UINT(s->s),
	    AMPCL_KARG_UINT(s->k),
	    AMPCL_KARG_UINT(p),
	    AMPCL_KARG_UINT(q),
	    AMPCL_KARG_UINT((size_t)nb * p),
	    AMPCL_KARG_UINT(per_run),
	};
	struct ampcl_karg as[] = {
	    AMPCL_KARG_MEM(ampcl_tensor_mem(dw)),
	    AMPCL_KARG_UINT(ampcl_tensor_off(dw)),
	    AMPCL_KARG_MEM(ws),
	    AMPCL_KARG_UINT(part_off),
	    AMPCL_KARG_UINT(count),
	    AMPCL_KARG_UINT(runs),
	};
	size_t one[3] = {1, 1, 1};
	if ((st = ampcl_launch(ctx, pad_k, 2, gp, NULL, AMPCL_NARGS(ap), ap, NULL)) ||
	    (st = ampcl_launch(ctx, rows_k, 3, gr, one, AMPCL_NARGS(ar), ar, NULL)))
		return st;
	return ampcl_launch(ctx, sum_k, 1, &count, NULL, AMPCL_NARGS(as), as, NULL);
}

int ampcl_conv2d_packed_on(const struct ampcl_context *ctx)
{
	return ampcl_gemm_packed_on(ctx);
}

size_t ampcl_conv2d_packed_workspace_floats(const struct ampcl_context *ctx,
					    const struct ampcl_conv2d_shape *s, int images)
{
	int pq = ampcl_conv2d_out_h(s) * ampcl_conv2d_out_w(s), crs = s->c * s->r * s->s;
	int cols = images * pq;
	struct ampcl_conv2d_shape t = dx_shape(s, images);
	size_t pad = padded_floats(s, images);
	size_t fwd = pad + ampcl_gemm_packed_workspace_floats(ctx, s->k, cols, crs, 1, 0);
	size_t dw = dw_by_rows(ctx, s)
			? dw_rows_floats(s, images)
			: pad + ampcl_gemm_packed_workspace_floats(ctx, s->k, crs, cols, 1, 0);
	size_t dx = dx_as_conv(s)
			? padded_floats(&t, images) +
			      ampcl_gemm_packed_workspace_floats(ctx, s->c, images * s->h * s->w,
								 crs / s->c * s->k, 1, 0)
			: ampcl_gemm_packed_workspace_floats(ctx, crs, cols, s->k, 1, 0);
	size_t most = fwd > dw ? fwd : dw;
	return most > dx ? most : dx;
}

ampcl_status ampcl_conv2d_packed_forward(struct ampcl_context *ctx,
					 const struct ampcl_conv2d_shape *s,
					 const struct ampcl_tensor *y, const struct ampcl_tensor *x,
					 const struct ampcl_tensor *w,
					 const struct ampcl_tensor *bias, int b0, int nb)
{
	int pq = ampcl_conv2d_out_h(s) * ampcl_conv2d_out_w(s), crs = s->c * s->r * s->s;
	size_t chw = (size_t)s->c * s->h * s->w;
	struct ampcl_packed_product pr = {
	    .m = s->k,
	    .n = nb * pq,
	    .k = crs,
	    .batch = 1,
	    .alpha = 1.0f,
	    .beta = 0.0f,
	    .a = {.kind = AMPCL_PACK_MATRIX,
		  .mem = ampcl_tensor_mem(w),
		  .off = ampcl_tensor_off(w),
		  .ld = crs},
	    .b = {.kind = AMPCL_PACK_IM2COL,
		  .mem = ampcl_tensor_mem(x),
		  .off = ampcl_tensor_off(x) + (size_t)b0 * chw,
		  .conv = s},
	    .c = ampcl_tensor_mem(y),
	    .c_off = ampcl_tensor_off(y) + (size_t)b0 * s->k * pq,
	    .ldc = pq,
	    .c_seg = pq,
	    .c_seg_stride = (size_t)s->k * pq,
	    .bias = bias ? ampcl_tensor_mem(bias) : NULL,
	    .bias_off = bias ? ampcl_tensor_off(bias) : 0,
	};
	return run(ctx, &pr, s, nb);
}

ampcl_status ampcl_conv2d_packed_dw(struct ampcl_context *ctx, const struct ampcl_conv2d_shape *s,
				    const struct ampcl_tensor *dw, const struct ampcl_tensor *dy,
				    const struct ampcl_tensor *x, int b0, int nb)
{
	if (dw_by_rows(ctx, s))
		return dw_rows(ctx, s, dw, dy, x, b0, nb);
	int pq = ampcl_conv2d_out_h(s) * ampcl_conv2d_out_w(s), crs = s->c * s->r * s->s;
	size_t chw = (size_t)s->c * s->h * s->w;
	struct ampcl_packed_product pr = {
	    .m = s->k,
	    .n = crs,
	    .k = nb * pq,
	    .batch = 1,
	    .alpha = 1.0f,
	    .beta = 1.0f,
	    .a = {.kind = AMPCL_PACK_NCHW,
		  .mem = ampcl_tensor_mem(dy),
		  .off = ampcl_tensor_off(dy) + (size_t)b0 * s->k * pq,
		  .pq = pq},
	    .b = {.kind = AMPCL_PACK_IM2COL_T,
		  .mem = ampcl_tensor_mem(x),
		  .off = ampcl_tensor_off(x) + (size_t)b0 * chw,
		  .conv = s},
	    .c = ampcl_tensor_mem(dw),
	    .c_off = ampcl_tensor_off(dw),
	    .ldc = crs,
	};
	return run(ctx, &pr, s, nb);
}

int ampcl_conv2d_packed_dx_needs_col(const struct ampcl_conv2d_shape *s)
{
	return !pointwise(s) && !dx_as_conv(s);
}

ampcl_status ampcl_conv2d_packed_dx(struct ampcl_context *ctx, const struct ampcl_conv2d_shape *s,
				    const struct ampcl_tensor *dx, float beta, cl_mem col,
				    size_t col_off, const struct ampcl_tensor *dy,
				    const struct ampcl_tensor *w, int b0, int nb)
{
	int pq = ampcl_conv2d_out_h(s) * ampcl_conv2d_out_w(s), crs = s->c * s->r * s->s;
	struct ampcl_packed_product pr = {
	    .m = crs,
	    .n = nb * pq,
	    .k = s->k,
	    .batch = 1,
	    .alpha = 1.0f,
	    .beta = 0.0f,
	    .a = {.kind = AMPCL_PACK_MATRIX,
		  .mem = ampcl_tensor_mem(w),
		  .off = ampcl_tensor_off(w),
		  .ld = crs,
		  .trans = 1},
	    .b = {.kind = AMPCL_PACK_NCHW,
		  .mem = ampcl_tensor_mem(dy),
		  .off = ampcl_tensor_off(dy) + (size_t)b0 * s->k * pq,
		  .pq = pq},
	    .c = col,
	    .c_off = col_off,
	    .ldc = nb * pq,
	};
	struct ampcl_conv2d_shape t = dx_shape(s, nb);
	if (dx_as_conv(s)) {
		int hw = s->h * s->w;
		pr.m = s->c;
		pr.k = s->k * s->r * s->s;
		pr.a = (struct ampcl_pack_operand){.kind = AMPCL_PACK_WFLIP,
						   .mem = ampcl_tensor_mem(w),
						   .off = ampcl_tensor_off(w),
						   .conv = s};
		pr.b.kind = AMPCL_PACK_IM2COL;
		pr.b.conv = &t;
		pr.n = nb * hw;
		pr.beta = beta;
		pr.c = ampcl_tensor_mem(dx);
		pr.c_off = ampcl_tensor_off(dx) + (size_t)b0 * s->c * hw;
		pr.ldc = hw;
		pr.c_seg = hw;
		pr.c_seg_stride = (size_t)s->c * hw;
	} else if (pointwise(s)) {
		/* dx's images are the product's (c, nb*pq) columns in runs of h*w = pq */
		pr.beta = beta;
		pr.c = ampcl_tensor_mem(dx);
		pr.c_off = ampcl_tensor_off(dx) + (size_t)b0 * s->c * pq;
		pr.ldc = pq;
		pr.c_seg = pq;
		pr.c_seg_stride = (size_t)s->c * pq;
	}
	return dx_as_conv(s) ? run(ctx, &pr, &t, nb) : ampcl_gemm_packed_product(ctx, &pr);
}
