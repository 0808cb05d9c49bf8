/* conv_winograd.c: the host side of Winograd F(2x2, 3x3): filters, input tiles and outputs
 * transformed by cl/conv_winograd.cl, the 16 products M_e = U_e V_e as one batched GEMM. */
#include "conv_winograd.h"
#include "error.h"
#include "gemm.h"
#include "launch.h"
#include "program.h"

#include <stdint.h>

/* The convolution one call computes, as (ci channels in, ko out, an hi x wi input padded by
 * pad, 3x3, stride 1): the forward pass itself, or the input gradient as a convolution of dy. */
struct wino_geom {
	int ci, ko, hi, wi, pad, po, qo, th, tw;
	int hp, wp; /* the zero-padded copy of the input the tiles are read from */
};

static struct wino_geom geom(const struct ampcl_conv2d_shape *s, int dx)
{
	struct wino_geom g;
	g.ci = dx ? s->k : s->c;
	g.ko = dx ? s->c : s->k;
	g.hi = dx ? ampcl_conv2d_out_h(s) : s->h;
	g.wi = dx ? ampcl_conv2d_out_w(s) : s->w;
	g.pad = dx ? 2 - s->pad : s->pad;
	g.po = g.hi + 2 * g.pad - 2;
	g.qo = g.wi + 2 * g.pad - 2;
	g.th = (g.po + 1) / 2;
	g.tw = (g.qo + 1) / 2;
	/* every tile, and the last block of 4 tiles read as vectors, inside */
	g.hp = 2 * g.th + 2;
	g.wp = 8 * ((g.tw + 3) / 4) + 2;
	return g;
}

int ampcl_conv2d_winograd_fits(const struct ampcl_conv2d_shape *s)
{
	return s->r == 3 && s->s == 3 && s->stride == 1 && s->pad >= 0 && s->pad <= 2 &&
	       ampcl_conv2d_out_h(s) >= 1 && ampcl_conv2d_out_w(s) >= 1;
}

static size_t filters_floats(const struct wino_geom *g)
{
	return (size_t)16 * g->ko * g->ci;
}

/* V, M and the padded input of one image */
static size_t per_image_floats(const struct wino_geom *g)
{
	return (size_t)16 * g->th * g->tw * (size_t)(g->ci + g->ko) + (size_t)g->ci * g->hp * g->wp;
}

size_t ampcl_conv2d_winograd_scratch_floats(const struct ampcl_conv2d_shape *s, int images, int dx)
{
	struct wino_geom g = geom(s, dx);
	return filters_floats(&g) + (size_t)(images > 0 ? images : 0) * per_image_floats(&g);
}

int ampcl_conv2d_winograd_chunk(const struct ampcl_conv2d_shape *s, size_t floats, int dx)
{
	struct wino_geom g = geom(s, dx);
	if (floats > UINT32_MAX)
		floats = UINT32_MAX; /* the kernels index with 32-bit offsets */
	if (floats < filters_floats(&g) + per_image_floats(&g))
		return 0;
	size_t fit = (floats - filters_floats(&g)) / per_image_floats(&g);
	return fit < (size_t)s->n ? (int)fit : s->n;
}

/* The images per chunk a call takes: what the scratch holds, at most the profile's cap (a
 * chunk's V, M and padded input kept in the caches on CPUs), at least 1 if the scratch allows. */
static int chunk_capped(const struct ampcl_context *ctx, const struct ampcl_conv2d_shape *s,
			size_t floats, int dx)
{
	struct wino_geom g = geom(s, dx);
	int chunk = ampcl_conv2d_winograd_chunk(s, floats, dx);
	size_t cap = ctx->profile.conv_winograd_chunk_floats;
	if (cap && chunk > 1) {
		size_t fit = cap / per_image_floats(&g);
		chunk = fit < 1 ? 1 : fit < (size_t)chunk ? (int)fit : chunk;
	}
	return chunk;
}

size_t ampcl_conv2d_winograd_workspace_floats(const struct ampcl_context *ctx,
					      const struct ampcl_conv2d_shape *s,
					      size_t scratch_floats)
{
	size_t most = 0;
	for (int dx = 0; dx < 2; dx++) {
		struct wino_geom g = geom(s, dx);
		int chunk = chunk_capped(ctx, s, scratch_floats, dx);
		if (chunk < 1)
			continue; /* the call takes the direct path */
		/* a full chunk's products and the last, shorter one's */
		int tiles = g.th * g.tw, rest = s->n % chunk;
		size_t a = ampcl_gemm_workspace_floats(ctx, 0, 0, g.ko, chunk * tiles, g.ci, 16);
		size_t b =
		    rest ? ampcl_gemm_workspace_floats(ctx, 0, 0, g.ko, rest * tiles, g.ci, 16) : 0;
		most = a > most ? a : most;
		most = b > most ? b : most;
	}
	return most;
}

/* The whole batch in chunks: U once, then per chunk V, the 16 products, and the outputs. */
static ampcl_status run(struct ampcl_context *ctx, const struct ampcl_conv2d_shape *s, int dx,
			const struct ampcl_tensor *out, float beta, const struct ampcl_tensor *in,
			const struct ampcl_tensor *w, const struct ampcl_tensor *bias,
			const struct ampcl_tensor *scratch)
{
	struct wino_geom g = geom(s, dx);
	int chunk = chunk_capped(ctx, s, ampcl_tensor_count(scratch), dx);
	if (chunk < 1)
		return ampcl_error_set(AMPCL_ERR_INVALID_ARG,
				       "conv2d winograd: scratch of %zu floats is smaller than the "
				       "%zu one image needs",
				       ampcl_tensor_count(scratch),
				       ampcl_conv2d_winograd_scratch_floats(s, 1, dx));
	cl_mem sm = ampcl_tensor_mem(scratch);
	size_t u_off = ampcl_tensor_off(scratch), v_off = u_off + filters_floats(&g);
	size_t tiles = (size_t)g.th * g.tw;
	struct ampcl_karg wa[] = {
	    AMPCL_KARG_MEM(sm),    AMPCL_KARG_UINT(u_off), AMPCL_KARG_VIEW(w),
	    AMPCL_KARG_UINT(g.ko), AMPCL_KARG_UINT(g.ci),  AMPCL_KARG_UINT(dx),
	};
	ampcl_status st = ampcl_launch_1d_named(ctx, "conv_winograd", "winograd_weight_forward",
						(size_t)g.ko * g.ci, AMPCL_NARGS(wa), wa);
	if (st)
		return st;
	cl_kernel kpad, kin, kout;
	if ((st = ampcl_kernel_get(ctx, "conv_winograd", "", "winograd_pad_forward", &kpad)) ||
	    (st = ampcl_kernel_get(ctx, "conv_winograd", "", "winograd_input_forward", &kin)) ||
	    (st = ampcl_kernel_get(ctx, "conv_winograd", "", "winograd_output_forward", &kout)))
		return st;
	for (int b0 = 0; b0 < s->n; b0 += chunk) {
		int nb = s->n - b0 < chunk ? s->n - b0 : chunk;
		size_t cols = (size_t)nb * tiles;
		size_t m_off = v_off + (size_t)16 * g.ci * cols;
		size_t xp_off = m_off + (size_t)16 * g.ko * cols;
		struct ampcl_karg pa[] = {
		    AMPCL_KARG_MEM(sm),
		    AMPCL_KARG_UINT(xp_off),
		    AMPCL_KARG_MEM(ampcl_tensor_mem(in)),
		    AMPCL_KARG_UINT(ampcl_tensor_off(in) + (size_t)b0 * g.ci * g.hi * g.wi),
		    AMPCL_KARG_UINT(g.hi),
		    AMPCL_KARG_UINT(g.wi),
		    AMPCL_KARG_UINT(g.pad),
		    AMPCL_KARG_UINT(g.hp),
		    AMPCL_KARG_UINT(g.wp),
		    AMPCL_KARG_UINT((size_t)nb * g.ci),
		};
		size_t gp[2] = {(size_t)g.hp, (size_t)nb * g.ci};
		if ((st = ampcl_launch(ctx, kpad, 2, gp, NULL, AMPCL_NARGS(pa), pa, NULL)))
			return st;
		struct ampcl_karg ia[] = {
		    AMPCL_KARG_MEM(sm),      AMPCL_KARG_UINT(v_off), AMPCL_KARG_MEM(sm),
		    AMPCL_KARG_UINT(xp_off), AMPCL_KARG_UINT(g.ci),  AMPCL_KARG_UINT(g.hp),
		    AMPCL_KARG_UINT(g.wp),   AMPCL_KARG_UINT(g.th),  AMPCL_KARG_UINT(g.tw),
		    AMPCL_KARG_UINT(nb),
		};
		size_t gi[2] = {(size_t)g.th, (size_t)nb * g.ci};
		if ((st = ampcl_launch(ctx, kin, 2, gi, NULL, AMPCL_NARGS(ia), ia, NULL)))
			return st;
		/* M_e (ko, cols) = U_e (ko, ci) x V_e (ci, cols), e = 0..15 */
		st = ampcl_gemm_batched(ctx, 0, 0, g.ko, (int)cols, g.ci, 1.0f, sm, u_off, g.ci,
					(size_t)g.ko * g.ci, sm, v_off, (int)cols,
					(size_t)g.ci * cols, 0.0f, sm, m_off, (int)cols,
					(size_t)g.ko * cols, 16);
		if (st)
			return st;
		struct ampcl_karg oa[] = {
		    AMPCL_KARG_MEM(ampcl_tensor_mem(out)),
		    AMPCL_KARG_UINT(ampcl_tensor_off(out) + (size_t)b0 * g.ko * g.po * g.qo),
		    AMPCL_KARG_MEM(sm),
		    AMPCL_KARG_UINT(m_off),
		    AMPCL_KARG_MEM(bias ? ampcl_tensor_mem(bias) : sm),
		    AMPCL_KARG_UINT(bias ? ampcl_tensor_off(bias) : 0),
		    AMPCL_KARG_UINT(bias != NULL),
		    AMPCL_KARG_FLOAT(beta),
		    AMPCL_KARG_UINT(g.ko),
		    AMPCL_KARG_UINT(g.po),
		    AMPCL_KARG_UINT(g.qo),
		    AMPCL_KARG_UINT(g.th),
		    AMPCL_KARG_UINT(g.tw),
		    AMPCL_KARG_UINT(nb),
		};
		size_t go[2] = {(size_t)g.th, (size_t)nb * g.ko};
		if ((st = ampcl_launch(ctx, kout, 2, go, NULL, AMPCL_NARGS(oa), oa, NULL)))
			return st;
	}
	return AMPCL_OK;
}

ampcl_status
ampcl_conv2d_winograd_forward(struct ampcl_context *ctx, const struct ampcl_conv2d_shape *s,
			      const struct ampcl_tensor *y, const struct ampcl_tensor *x,
			      const struct ampcl_tensor *w, const struct ampcl_tensor *bias,
			      const struct ampcl_tensor *scratch)
{
	return run(ctx, s, 0, y, 0.0f, x, w, bias, scratch);
}

ampcl_status ampcl_conv2d_winograd_dx(struct ampcl_context *ctx, const struct ampcl_conv2d_shape *s,
				      const struct ampcl_tensor *dx, float beta,
				      const struct ampcl_tensor *dy, const struct ampcl_tensor *w,
				      const struct ampcl_tensor *scratch)
{
	return run(ctx, s, 1, dx, beta, dy, w, NULL, scratch);
}
