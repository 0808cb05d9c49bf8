/* gemm_packed.c: the own back end's GEMM on CPU devices (cl/gemm_packed.cl): packs op(A) and
 * op(B) into panels in the op workspace (from matrices, or straight from a convolution's NCHW
 * tensors), splits a long k when the blocks are too few to occupy every core, and launches the
 * register-blocked micro-kernel. */
#include "gemm_packed.h"
#include "error.h"
#include "launch.h"
#include "program.h"
#include "workspace.h"

#include <stdint.h>
#include <stdio.h>
#include <string.h>

/* Chunks of k are at least this long (each then amortises its block's store), and the blocks
 * times the chunks aim at this many work-groups per compute unit (PoCL hands groups to its
 * threads as they finish: several per core even out their lengths). */
#define PACKED_KC_MIN 256
#define PACKED_GROUPS_PER_CU 8
#define PACKED_MAX_CHUNKS 64

struct packed_plan {
	int vw, mr, nr;
	size_t mp, np;               /* A and B panels per product */
	size_t a_batches, b_batches; /* 1 when every product shares the matrix */
	size_t chunks, kc;
	size_t ap_floats, bp_floats, part_floats;
};

/* The vector width and panel height for this device and m: C's rows are two vectors wide, and
 * 2*MR accumulators + 3 must fit the registers (AVX2 and SSE have 16: MR 6; AVX-512 has 32:
 * MR 12, or 8 where that pads m less, as for m = 16, 32, 64). */
static void plan(const struct ampcl_context *ctx, int m, int n, int k, int batch, int a_shared,
		 int b_shared, struct packed_plan *p)
{
	int w = (int)ctx->caps.native_vector_width_float;
	p->vw = w >= 16 ? 16 : w >= 8 ? 8 : 4;
	p->mr = 6;
	if (p->vw >= 16)
		p->mr = (m + 7) / 8 * 8 < (m + 11) / 12 * 12 ? 8 : 12;
	p->nr = 2 * p->vw;
	p->mp = ((size_t)m + p->mr - 1) / p->mr;
	p->np = ((size_t)n + p->nr - 1) / p->nr;
	p->a_batches = a_shared ? 1 : (size_t)batch;
	p->b_batches = b_shared ? 1 : (size_t)batch;
	size_t kk = (size_t)k, blocks = p->mp * p->np * (size_t)batch;
	size_t cus = ctx->caps.desc.compute_units ? ctx->caps.desc.compute_units : 1;
	size_t want = PACKED_GROUPS_PER_CU * cus;
	p->chunks = 1;
	p->kc = kk ? kk : 1;
	if (blocks < want && kk >= 2 * PACKED_KC_MIN) {
		size_t chunks = (want + blocks - 1) / blocks;
		if (chunks > kk / PACKED_KC_MIN)
			chunks = kk / PACKED_KC_MIN;
		if (chunks > PACKED_MAX_CHUNKS)
			chunks = PACKED_MAX_CHUNKS;
		p->kc = ((kk + chunks - 1) / chunks + 15) & ~(size_t)15;
		p->chunks = (kk + p->kc - 1) / p->kc;
	}
	p->ap_floats = p->a_batches * p->mp * (size_t)p->mr * kk;
	p->bp_floats = p->b_batches * p->np * (size_t)p->nr * kk;
	p->part_floats = p->chunks > 1 ? blocks * p->chunks * (size_t)p->mr * (size_t)p->nr : 0;
}

int ampcl_gemm_packed_on(const struct ampcl_context *ctx)
{
	return ctx->profile.gemm_packed && !strcmp(ampcl_gemm_backend_name(ctx), "own");
}

size_t ampcl_gemm_packed_workspace_floats(const struct ampcl_context *ctx, int m, int n, int k,
					  int batch, int a_shared, int b_shared)
{
	struct packed_plan p;
	plan(ctx, m, n, k, batch, a_shared, b_shared, &p);
	return p.ap_floats + p.bp_floats + p.part_floats;
}

int ampcl_gemm_packed_takes(const struct ampcl_context *ctx, const struct ampcl_gemm_args *g)
{
	if (!ctx->profile.gemm_packed || g->k == 0)
		return 0;
	size_t floats = ampcl_gemm_packed_workspace_floats(ctx, g->m, g->n, g->k, g->batch,
							   g->batch > 1 && g->stride_a == 0,
							   g->batch > 1 && g->stride_b == 0);
	return floats < UINT32_MAX;
}

/* The pack of operand o (A when is_a) into the panels at (ws, off): its kernel and launch. */
static ampcl_status pack(struct ampcl_context *ctx, const char *opts, int is_a,
			 const struct ampcl_pack_operand *o, const struct ampcl_packed_product *pr,
			 const struct packed_plan *p, cl_mem ws, cl_uint off)
{
	const char *name = NULL;
	size_t panels = is_a ? p->mp : p->np, batches = is_a ? p->a_batches : p->b_batches;
	size_t global[3] = {(size_t)pr->k, panels, batches};
	/* the arguments after the four buffers: unsigned ints, kept here until the launch */
	cl_uint v[12];
	int nv = 0;
	const struct ampcl_conv2d_shape *s = o->conv;
	switch (o->kind) {
	case AMPCL_PACK_MATRIX:
		name = is_a ? "gemm_pack_a" : "gemm_pack_b";
		v[nv++] = (cl_uint)o->ld;
		v[nv++] = (cl_uint)o->stride;
		v[nv++] = (cl_uint)(is_a ? pr->m : pr->n);
		v[nv++] = (cl_uint)pr->k;
		v[nv++] = (cl_uint)panels;
		v[nv++] = o->trans != 0;
		break;
	case AMPCL_PACK_NCHW:
		name = is_a ? "conv_pack_a_nchw" : "conv_pack_b_nchw";
		if (is_a)
			v[nv++] = (cl_uint)pr->m;
		v[nv++] = (cl_uint)o->pq;
		if (!is_a)
			v[nv++] = (cl_uint)pr->n;
		v[nv++] = (cl_uint)pr->k;
		v[nv++] = (cl_uint)panels;
		break;
	case AMPCL_PACK_IM2COL:
	case AMPCL_PACK_IM2COL_T:
		name = o->kind == AMPCL_PACK_IM2COL ? "conv_pack_b_im2col" : "conv_pack_b_im2col_t";
		v[nv++] = (cl_uint)s->c;
		v[nv++] = (cl_uint)s->h;
		v[nv++] = (cl_uint)s->w;
		v[nv++] = (cl_uint)s->r;
		v[nv++] = (cl_uint)s->s;
		v[nv++] = (cl_uint)s->stride;
		v[nv++] = (cl_uint)s->pad;
		v[nv++] = (cl_uint)ampcl_conv2d_out_h(s);
		v[nv++] = (cl_uint)ampcl_conv2d_out_w(s);
		v[nv++] = (cl_uint)(o->kind == AMPCL_PACK_IM2COL ? pr->n : pr->k);
		break;
	}
	cl_uint off32 = off, src_off = (cl_uint)o->off;
	struct ampcl_karg args[16] = {
	    AMPCL_KARG(ws),
	    AMPCL_KARG(off32),
	    AMPCL_KARG(o->mem),
	    AMPCL_KARG(src_off),
	};
	for (int i = 0; i < nv; i++)
		args[4 + i] = AMPCL_KARG(v[i]);
	if (!name || (o->kind != AMPCL_PACK_MATRIX &&
		      (batches != 1 || (is_a && o->kind != AMPCL_PACK_NCHW))))
		return ampcl_error_set(AMPCL_ERR_INVALID_ARG,
				       "gemm (packed): operand %c cannot come from this kind of "
				       "tensor%s",
				       is_a ? 'A' : 'B',
				       batches != 1 ? " in a batched product" : "");
	if (o->kind == AMPCL_PACK_IM2COL_T) {
		/* a work-item per output row (b, op) and panel */
		global[0] = (size_t)ampcl_conv2d_out_h(s);
		global[1] = (size_t)pr->k / ((size_t)global[0] * (size_t)ampcl_conv2d_out_w(s));
		global[2] = panels;
	}
	cl_kernel kernel;
	ampcl_status st = ampcl_kernel_get(ctx, "gemm_packed", opts, name, &kernel);
	return st ? st : ampcl_launch(ctx, kernel, 3, global, NULL, 4 + nv, args, NULL);
}

ampcl_status ampcl_gemm_packed_product(struct ampcl_context *ctx,
				       const struct ampcl_packed_product *pr)
{
	struct packed_plan p;
	int a_shared = pr->batch > 1 && pr->a.kind == AMPCL_PACK_MATRIX && pr->a.stride == 0;
	int b_shared = pr->batch > 1 && pr->b.kind == AMPCL_PACK_MATRIX && pr->b.stride == 0;
	plan(ctx, pr->m, pr->n, pr->k, pr->batch, a_shared, b_shared, &p);
	size_t total = p.ap_floats + p.bp_floats + p.part_floats;
	if (total >= UINT32_MAX)
		return ampcl_error_set(
		    AMPCL_ERR_INVALID_ARG,
		    "gemm (packed): %zu floats of panels for m=%d n=%d k=%d "
		    "batch=%d, past the 2^32 the kernels index; split the product",
		    total, pr->m, pr->n, pr->k, pr->batch);
	char opts[64];
	snprintf(opts, sizeof(opts), "-DPK_VW=%d -DPK_MR=%d", p.vw, p.mr);
	cl_kernel micro, sum;
	ampcl_status st;
	if ((st = ampcl_kernel_get(ctx, "gemm_packed", opts, "gemm_packed_micro", &micro)) ||
	    (st = ampcl_kernel_get(ctx, "gemm_packed", opts, "gemm_packed_sum", &sum)))
		return st;
	cl_mem ws;
	size_t ws_bytes;
	if ((st = ampcl_workspace_get(ctx, total, "gemm (packed panels)", &ws, &ws_bytes)))
		return st;
	cl_uint ap_off = (cl_uint)(ws_bytes / sizeof(float));
	cl_uint bp_off = ap_off + (cl_uint)p.ap_floats;
	cl_uint part_off = bp_off + (cl_uint)p.bp_floats;
	if ((st = pack(ctx, opts, 1, &pr->a, pr, &p, ws, ap_off)) ||
	    (st = pack(ctx, opts, 0, &pr->b, pr, &p, ws, bp_off)))
		return st;

	cl_uint c_seg = pr->c_seg ? (cl_uint)pr->c_seg : (cl_uint)pr->n;
	cl_uint c_seg_stride = pr->c_seg ? (cl_uint)pr->c_seg_stride : 0;
	/* one work-item a group: PoCL then runs each as straight-line vector code */
	size_t gm[3] = {p.mp, p.np, (size_t)pr->batch * p.chunks}, one[3] = {1, 1, 1};
	struct ampcl_karg am[] = {
	    AMPCL_KARG_MEM(pr->c),        AMPCL_KARG_UINT(pr->c_off),
	    AMPCL_KARG_UINT(pr->ldc),     AMPCL_KARG_UINT(pr->stride_c),
	    AMPCL_KARG_UINT(c_seg),       AMPCL_KARG_UINT(c_seg_stride),
	    AMPCL_KARG_MEM(ws),           AMPCL_KARG_UINT(ap_off),
	    AMPCL_KARG_UINT(p.a_batches), AMPCL_KARG_MEM(ws),
	    AMPCL_KARG_UINT(bp_off),      AMPCL_KARG_UINT(p.b_batches),
	    AMPCL_KARG_UINT(pr->m),       AMPCL_KARG_UINT(pr->n),
	    AMPCL_KARG_UINT(pr->k),       AMPCL_KARG_UINT(p.mp),
	    AMPCL_KARG_UINT(p.np),        AMPCL_KARG_UINT(p.kc),
	    AMPCL_KARG_UINT(p.chunks),    AMPCL_KARG_FLOAT(pr->alpha),
	    AMPCL_KARG_FLOAT(pr->beta),   AMPCL_KARG_MEM(ws),
	    AMPCL_KARG_UINT(part_off),
	};
	if ((st = ampcl_launch(ctx, micro, 3, gm, one, AMPCL_NARGS(am), am, NULL)) || p.chunks == 1)
		return st;
	size_t gs[3] = {(size_t)pr->n, (size_t)pr->m, (size_t)pr->batch};
	struct ampcl_karg as[] = {
	    AMPCL_KARG_MEM(pr->c),      AMPCL_KARG_UINT(pr->c_off),
	    AMPCL_KARG_UINT(pr->ldc),   AMPCL_KARG_UINT(pr->stride_c),
	    AMPCL_KARG_UINT(c_seg),     AMPCL_KARG_UINT(c_seg_stride),
	    AMPCL_KARG_MEM(ws),         AMPCL_KARG_UINT(part_off),
	    AMPCL_KARG_UINT(pr->m),     AMPCL_KARG_UINT(pr->n),
	    AMPCL_KARG_UINT(p.mp),      AMPCL_KARG_UINT(p.np),
	    AMPCL_KARG_UINT(p.chunks),  AMPCL_KARG_FLOAT(pr->alpha),
	    AMPCL_KARG_FLOAT(pr->beta),
	};
	return ampcl_launch(ctx, sum, 3, gs, NULL, AMPCL_NARGS(as), as, NULL);
}

ampcl_status ampcl_gemm_packed_run(struct ampcl_context *ctx, const struct ampcl_gemm_args *g)
{
	struct ampcl_packed_product pr = {
	    .m = g->m,
	    .n = g->n,
	    .k = g->k,
	    .batch = g->batch,
	    .alpha = g->alpha,
	    .beta = g->beta,
	    .a = {AMPCL_PACK_MATRIX, g->a, g->a_off, g->lda, g->trans_a, g->stride_a, 0, NULL},
	    .b = {AMPCL_PACK_MATRIX, g->b, g->b_off, g->ldb, g->trans_b, g->stride_b, 0, NULL},
	    .c = g->c,
	    .c_off = g->c_off,
	    .ldc = g->ldc,
	    .stride_c = g->stride_c,
	};
	return ampcl_gemm_packed_product(ctx, &pr);
}
