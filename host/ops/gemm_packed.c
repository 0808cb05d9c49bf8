/* gemm_packed.c: the own back end's GEMM on CPU devices (cl/gemm_packed.cl): packs op(A) and
 * op(B) into panels in the op workspace, splits a long k into chunks when the blocks are too
 * few to occupy every core, and launches the register-blocked micro-kernel. */
#include "gemm_packed.h"
#include "error.h"
#include "launch.h"
#include "program.h"
#include "workspace.h"

#include <stdint.h>
#include <stdio.h>

/* Chunks of k are at least this long (each then amortises its block's store), and the blocks
 * times the chunks aim at this many work-groups per compute unit (PoCL hands groups to its
 * threads dynamically: several per core even out their lengths). */
#define PACKED_KC_MIN 256
#define PACKED_GROUPS_PER_CU 8
#define PACKED_MAX_CHUNKS 64

/* The vector width and panel height for this device: two vectors of C per row, 2*MR + 3
 * registers in all (16 registers of AVX2 or SSE take MR 6, AVX-512's 32 take 12). */
static void packed_dims(const struct ampcl_context *ctx, int *vw, int *mr)
{
	int w = (int)ctx->caps.native_vector_width_float;
	*vw = w >= 16 ? 16 : w >= 8 ? 8 : 4;
	*mr = *vw >= 16 ? 12 : 6;
}

struct packed_plan {
	int vw, mr, nr;
	size_t mp, np;               /* A and B panels per product */
	size_t a_batches, b_batches; /* 1 when every product shares the matrix (stride 0) */
	size_t chunks, kc;
	size_t ap_floats, bp_floats, part_floats;
};

static void plan(const struct ampcl_context *ctx, const struct ampcl_gemm_args *g,
		 struct packed_plan *p)
{
	packed_dims(ctx, &p->vw, &p->mr);
	p->nr = 2 * p->vw;
	p->mp = ((size_t)g->m + p->mr - 1) / p->mr;
	p->np = ((size_t)g->n + p->nr - 1) / p->nr;
	p->a_batches = g->batch > 1 && g->stride_a == 0 ? 1 : (size_t)g->batch;
	p->b_batches = g->batch > 1 && g->stride_b == 0 ? 1 : (size_t)g->batch;
	size_t k = (size_t)g->k, blocks = p->mp * p->np * (size_t)g->batch;
	size_t want = PACKED_GROUPS_PER_CU *
		      (size_t)(ctx->caps.desc.compute_units ? ctx->caps.desc.compute_units : 1);
	p->chunks = 1;
	p->kc = k ? k : 1;
	if (blocks < want && k >= 2 * PACKED_KC_MIN) {
		size_t chunks = (want + blocks - 1) / blocks;
		if (chunks > k / PACKED_KC_MIN)
			chunks = k / PACKED_KC_MIN;
		if (chunks > PACKED_MAX_CHUNKS)
			chunks = PACKED_MAX_CHUNKS;
		p->kc = ((k + chunks - 1) / chunks + 15) & ~(size_t)15;
		p->chunks = (k + p->kc - 1) / p->kc;
	}
	p->ap_floats = p->a_batches * p->mp * (size_t)p->mr * k;
	p->bp_floats = p->b_batches * p->np * (size_t)p->nr * k;
	p->part_floats = p->chunks > 1 ? blocks * p->chunks * (size_t)p->mr * (size_t)p->nr : 0;
}

int ampcl_gemm_packed_takes(const struct ampcl_context *ctx, const struct ampcl_gemm_args *g)
{
	if (!ctx->profile.gemm_packed || g->k == 0)
		return 0;
	struct packed_plan p;
	plan(ctx, g, &p);
	return p.ap_floats + p.bp_floats + p.part_floats < UINT32_MAX;
}

size_t ampcl_gemm_packed_workspace_floats(const struct ampcl_context *ctx,
					  const struct ampcl_gemm_args *g)
{
	struct packed_plan p;
	plan(ctx, g, &p);
	return p.ap_floats + p.bp_floats + p.part_floats;
}

ampcl_status ampcl_gemm_packed_run(struct ampcl_context *ctx, const struct ampcl_gemm_args *g)
{
	struct packed_plan p;
	plan(ctx, g, &p);
	char opts[64];
	snprintf(opts, sizeof(opts), "-DPK_VW=%d -DPK_MR=%d", p.vw, p.mr);
	cl_kernel pack_a, pack_b, micro, sum;
	ampcl_status st;
	if ((st = ampcl_kernel_get(ctx, "gemm_packed", opts, "gemm_pack_a", &pack_a)) ||
	    (st = ampcl_kernel_get(ctx, "gemm_packed", opts, "gemm_pack_b", &pack_b)) ||
	    (st = ampcl_kernel_get(ctx, "gemm_packed", opts, "gemm_packed_micro", &micro)) ||
	    (st = ampcl_kernel_get(ctx, "gemm_packed", opts, "gemm_packed_sum", &sum)))
		return st;
	cl_mem ws;
	size_t ws_bytes;
	if ((st = ampcl_workspace_get(ctx, p.ap_floats + p.bp_floats + p.part_floats,
				      "gemm (packed panels)", &ws, &ws_bytes)))
		return st;
	cl_uint ap_off = (cl_uint)(ws_bytes / sizeof(float));
	cl_uint bp_off = ap_off + (cl_uint)p.ap_floats;
	cl_uint part_off = bp_off + (cl_uint)p.bp_floats;

	size_t ga[3] = {(size_t)g->k, p.mp, p.a_batches};
	struct ampcl_karg aa[] = {
	    AMPCL_KARG_MEM(ws),      AMPCL_KARG_UINT(ap_off),
	    AMPCL_KARG_MEM(g->a),    AMPCL_KARG_UINT(g->a_off),
	    AMPCL_KARG_UINT(g->lda), AMPCL_KARG_UINT(g->stride_a),
	    AMPCL_KARG_UINT(g->m),   AMPCL_KARG_UINT(g->k),
	    AMPCL_KARG_UINT(p.mp),   AMPCL_KARG_UINT(g->trans_a != 0),
	};
	size_t gb[3] = {(size_t)g->k, p.np, p.b_batches};
	struct ampcl_karg ab[] = {
	    AMPCL_KARG_MEM(ws),      AMPCL_KARG_UINT(bp_off),
	    AMPCL_KARG_MEM(g->b),    AMPCL_KARG_UINT(g->b_off),
	    AMPCL_KARG_UINT(g->ldb), AMPCL_KARG_UINT(g->stride_b),
	    AMPCL_KARG_UINT(g->n),   AMPCL_KARG_UINT(g->k),
	    AMPCL_KARG_UINT(p.np),   AMPCL_KARG_UINT(g->trans_b != 0),
	};
	/* one work-item a group: PoCL then runs each as straight-line vector code */
	size_t gm[3] = {p.mp, p.np, (size_t)g->batch * p.chunks}, one[3] = {1, 1, 1};
	struct ampcl_karg am[] = {
	    AMPCL_KARG_MEM(g->c),         AMPCL_KARG_UINT(g->c_off), AMPCL_KARG_UINT(g->ldc),
	    AMPCL_KARG_UINT(g->stride_c), AMPCL_KARG_MEM(ws),        AMPCL_KARG_UINT(ap_off),
	    AMPCL_KARG_UINT(p.a_batches), AMPCL_KARG_MEM(ws),        AMPCL_KARG_UINT(bp_off),
	    AMPCL_KARG_UINT(p.b_batches), AMPCL_KARG_UINT(g->m),     AMPCL_KARG_UINT(g->n),
	    AMPCL_KARG_UINT(g->k),        AMPCL_KARG_UINT(p.mp),     AMPCL_KARG_UINT(p.np),
	    AMPCL_KARG_UINT(p.kc),        AMPCL_KARG_UINT(p.chunks), AMPCL_KARG_FLOAT(g->alpha),
	    AMPCL_KARG_FLOAT(g->beta),    AMPCL_KARG_MEM(ws),        AMPCL_KARG_UINT(part_off),
	};
	if ((st = ampcl_launch(ctx, pack_a, 3, ga, NULL, AMPCL_NARGS(aa), aa, NULL)) ||
	    (st = ampcl_launch(ctx, pack_b, 3, gb, NULL, AMPCL_NARGS(ab), ab, NULL)) ||
	    (st = ampcl_launch(ctx, micro, 3, gm, one, AMPCL_NARGS(am), am, NULL)))
		return st;
	if (p.chunks == 1)
		return AMPCL_OK;
	size_t gs[3] = {(size_t)g->n, (size_t)g->m, (size_t)g->batch};
	struct ampcl_karg as[] = {
	    AMPCL_KARG_MEM(g->c),         AMPCL_KARG_UINT(g->c_off), AMPCL_KARG_UINT(g->ldc),
	    AMPCL_KARG_UINT(g->stride_c), AMPCL_KARG_MEM(ws),        AMPCL_KARG_UINT(part_off),
	    AMPCL_KARG_UINT(g->m),        AMPCL_KARG_UINT(g->n),     AMPCL_KARG_UINT(p.mp),
	    AMPCL_KARG_UINT(p.np),        AMPCL_KARG_UINT(p.chunks), AMPCL_KARG_FLOAT(g->alpha),
	    AMPCL_KARG_FLOAT(g->beta),
	};
	return ampcl_launch(ctx, sum, 3, gs, NULL, AMPCL_NARGS(as), as, NULL);
}
