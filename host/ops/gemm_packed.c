/* gemm_packed.c: the own back end's GEMM on CPU devices (cl/gemm_packed.cl): packs op(A) and
 * op(B) into panels in the op workspace (from matrices, or straight from a convolution's NCHW
 * tensors), splits a long k when the blocks are too few to occupy every core, and launches the
 * register-blocked micro-kernel. */
#include "gemm_packed.h"
#include "error.h"
#include "launch.h"
#include "program.h"
#include "tune.h"
#include "variants.h"
#include "workspace.h"

#include <stdint.h>
#include <stdio.h>
#include <string.h>

/* Runs of k are at least KC_MIN long (each then amortises its blocks' stores) and at most
 * KC_MAX; the work-groups aim at GROUPS_PER_CU per compute unit (PoCL hands groups to its
 * threads as they finish: several per core even out their lengths), each with about
 * ITEM_FLOPS of work. */
#define PACKED_KC_MIN 256
#define PACKED_KC_MAX 4096
#define PACKED_GROUPS_PER_CU 8
#define PACKED_ITEM_FLOPS ((size_t)1 << 21)

/* A variant of the plan (0: the default): the panel height, which leaves every sum as it is,
 * and the work-groups aimed at per compute unit, which may cut k into other runs. */
struct packed_choice {
	int mr, groups_per_cu;
};

struct packed_plan {
	int vw, mr, nr;
	size_t mp, np;          /* A panels and B strips per product */
	size_t a_batches;       /* 1 when every product shares A */
	size_t chunks, kc, jpw; /* k runs, their length, B strips per work-item */
	size_t ap_floats, part_floats;
};

/* The vector width and panel height for this device and m: C's rows are two vectors wide, and
 * 2*MR accumulators + 3 must fit the registers (AVX2 and SSE have 16: MR 6; AVX-512 has 32:
 * MR 12, or 8 where that pads m less, as for m = 16, 32, 64). k is cut into runs whose strip
 * fits half the local memory (PoCL keeps a thread's local memory in its cache), and more when
 * the strips are too few to give every compute unit several work-groups; a work-item takes
 * several strips when one is little work. All of it depends on the shape and the device alone,
 * so a product sums in the same order every time. */
static void plan_with(const struct ampcl_context *ctx, int m, int n, int k, int batch, int a_shared,
		      const struct packed_choice *ch, struct packed_plan *p)
{
	int w = (int)ctx->caps.native_vector_width_float;
	p->vw = w >= 16 ? 16 : w >= 8 ? 8 : 4;
	p->mr = 6;
	if (p->vw >= 16)
		p->mr = (m + 7) / 8 * 8 < (m + 11) / 12 * 12 ? 8 : 12;
	if (ch->mr)
		p->mr = ch->mr;
	p->nr = 2 * p->vw;
	p->mp = ((size_t)m + p->mr - 1) / p->mr;
	p->np = ((size_t)n + p->nr - 1) / p->nr;
	p->a_batches = a_shared ? 1 : (size_t)batch;
	size_t kk = k > 0 ? (size_t)k : 1, units = p->np * (size_t)batch;
	size_t cus = ctx->caps.desc.compute_units ? ctx->caps.desc.compute_units : 1;
	size_t want = (size_t)(ch->groups_per_cu ? ch->groups_per_cu : PACKED_GROUPS_PER_CU) * cus;
	size_t local = (size_t)ctx->caps.desc.local_mem_bytes;
	size_t kc_max = (local / 2 / ((size_t)p->nr * sizeof(float))) & ~(size_t)15;
	if (kc_max < 16)
		kc_max = 16;
	if (kc_max > PACKED_KC_MAX)
		kc_max = PACKED_KC_MAX;
	size_t chunks = (kk + kc_max - 1) / kc_max;
	if (units * chunks < want && kk >= 2 * PACKED_KC_MIN) {
		size_t more = (want + units - 1) / units;
		if (more > kk / PACKED_KC_MIN)
			more = kk / PACKED_KC_MIN;
		if (more > chunks)
			chunks = more;
	}
	p->kc = ((kk + chunks - 1) / chunks + 15) & ~(size_t)15;
	if (p->kc > kc_max)
		p->kc = kc_max;
	p->chunks = (kk + p->kc - 1) / p->kc;
	/* strips per work-item: about PACKED_ITEM_FLOPS of work each, groups enough for `want` */
	size_t flops = 2 * (size_t)m * p->kc * (size_t)p->nr;
	p->jpw = flops ? PACKED_ITEM_FLOPS / flops : 1;
	size_t most = units * p->chunks / want;
	if (p->jpw > most)
		p->jpw = most;
	if (p->jpw < 1)
		p->jpw = 1;
	p->ap_floats = p->a_batches * p->mp * (size_t)p->mr * kk;
	size_t blocks = p->mp * p->np * (size_t)batch;
	p->part_floats = p->chunks > 1 ? blocks * p->chunks * (size_t)p->mr * (size_t)p->nr : 0;
}

/* The tuning table's key for a shape. */
static void choice_key(int m, int n, int k, int batch, int a_shared, char *key, size_t size)
{
	snprintf(key, size, "packed %d %d %d %d %d", m, n, k, batch, a_shared);
}

/* The panel heights the tuner tries by vector width (plan_with's defaults among them). */
static const int mr16[] = {8, 12, 6}, mr8[] = {6, 4};

/* The variants ampcl_net_tune times, the default first: panel heights the registers hold (and
 * at AMPCL_TUNE=full, other work-group targets). */
static int candidates_at(int level, int vw, struct packed_choice *out)
{
	static const int gpc[] = {8, 4, 16};
	const int *mrs = vw >= 16 ? mr16 : mr8;
	int nmr = vw >= 16 ? 3 : 2, ng = level == AMPCL_TUNE_FULL ? 3 : 1, n = 0;
	out[n++] = (struct packed_choice){0, 0};
	for (int g = 0; g < ng; g++)
		for (int i = 0; i < nmr; i++)
			out[n++] = (struct packed_choice){mrs[i], gpc[g]};
	return n;
}

static int candidates(const struct ampcl_context *ctx, int vw, struct packed_choice *out)
{
	return candidates_at(ctx->tune.level, vw, out);
}

/* A stored choice is one of the variants tuning at its level times on this device: panel
 * heights the micro-kernel is built for, and at quick level the default's work-groups (so the
 * bits stay the default's). */
static int choice_valid(const struct ampcl_context *ctx, const int *value, int level,
			const void *arg)
{
	(void)arg;
	int w = (int)ctx->caps.native_vector_width_float;
	struct packed_choice ch[16];
	int n = candidates_at(level, w >= 16 ? 16 : w >= 8 ? 8 : 4, ch);
	for (int i = 0; i < n; i++)
		if (ch[i].mr == value[0] && ch[i].groups_per_cu == value[1] && !value[2] &&
		    !value[3])
			return 1;
	return 0;
}

/* The plan for a shape: the stored choice when tuning has one, else the default. */
static void plan(const struct ampcl_context *ctx, int m, int n, int k, int batch, int a_shared,
		 struct packed_plan *p)
{
	char key[112];
	int v[AMPCL_TUNE_VALUES];
	struct packed_choice ch = {0, 0};
	choice_key(m, n, k, batch, a_shared, key, sizeof(key));
	if (ampcl_tune_lookup(ctx, key, AMPCL_TUNE_QUICK, v, choice_valid, NULL))
		ch = (struct packed_choice){v[0], v[1]};
	plan_with(ctx, m, n, k, batch, a_shared, &ch, p);
}

/* Workspace floats of a plan; while tuning measures, the most any variant takes. */
static size_t plan_floats(const struct ampcl_context *ctx, int m, int n, int k, int batch,
			  int a_shared, const struct packed_plan *p)
{
	size_t most = p->ap_floats + p->part_floats;
	if (!ctx->tune.measuring)
		return most;
	struct packed_choice ch[16];
	int nc = candidates(ctx, p->vw, ch);
	for (int i = 0; i < nc; i++) {
		struct packed_plan q;
		plan_with(ctx, m, n, k, batch, a_shared, &ch[i], &q);
		most = q.ap_floats + q.part_floats > most ? q.ap_floats + q.part_floats : most;
	}
	return most;
}

/* The micro-kernel stages a strip of B, at least 16 deep, in local memory: a device with less
 * than that (AMPCL_LIMITS=local=1K on a CPU) takes the tiled kernel instead. */
static int packed_fits(const struct ampcl_context *ctx)
{
	struct packed_plan p;
	plan_with(ctx, 1, 1, 1, 1, 0, &(struct packed_choice){0, 0}, &p);
	return ctx->profile.gemm_packed &&
	       16 * (size_t)p.nr * sizeof(float) <= ctx->caps.desc.local_mem_bytes;
}

int ampcl_gemm_packed_on(const struct ampcl_context *ctx)
{
	return packed_fits(ctx) && !strcmp(ampcl_gemm_backend_name(ctx), "own");
}

size_t ampcl_gemm_packed_workspace_floats(const struct ampcl_context *ctx, int m, int n, int k,
					  int batch, int a_shared)
{
	struct packed_plan p;
	plan(ctx, m, n, k, batch, a_shared, &p);
	return plan_floats(ctx, m, n, k, batch, a_shared, &p);
}

int ampcl_gemm_packed_takes(const struct ampcl_context *ctx, const struct ampcl_gemm_args *g)
{
	if (!packed_fits(ctx) || g->k == 0)
		return 0;
	size_t floats = ampcl_gemm_packed_workspace_floats(ctx, g->m, g->n, g->k, g->batch,
							   g->batch > 1 && g->stride_a == 0);
	return floats < UINT32_MAX;
}

/* Packs A (a matrix, or a convolution's flipped weights) into its panels at (ws, off). */
static ampcl_status pack_a(struct ampcl_context *ctx, const char *opts,
			   const struct ampcl_packed_product *pr, const struct packed_plan *p,
			   cl_mem ws, cl_uint off)
{
	const struct ampcl_pack_operand *o = &pr->a;
	size_t global[3] = {(size_t)pr->k, p->mp, p->a_batches};
	cl_uint off32 = off, src_off = (cl_uint)o->off, ld = (cl_uint)o->ld,
		stride = (cl_uint)o->stride, m = (cl_uint)pr->m, k = (cl_uint)pr->k,
		mp = (cl_uint)p->mp, trans = o->trans != 0;
	cl_kernel kernel;
	ampcl_status st;
	if (o->kind == AMPCL_PACK_MATRIX) {
		struct ampcl_karg args[] = {
		    AMPCL_KARG(ws), AMPCL_KARG(off32),  AMPCL_KARG(o->mem), AMPCL_KARG(src_off),
		    AMPCL_KARG(ld), AMPCL_KARG(stride), AMPCL_KARG(m),      AMPCL_KARG(k),
		    AMPCL_KARG(mp), AMPCL_KARG(trans),
		};
		if ((st = ampcl_kernel_get(ctx, "gemm_packed", opts, "gemm_pack_a", &kernel)))
			return st;
		return ampcl_launch(ctx, kernel, 3, global, NULL, AMPCL_NARGS(args), args, NULL);
	}
	if (o->kind == AMPCL_PACK_WFLIP && p->a_batches == 1) {
		const struct ampcl_conv2d_shape *s = o->conv;
		cl_uint c = (cl_uint)s->c, kout = (cl_uint)s->k, r = (cl_uint)s->r,
			sw = (cl_uint)s->s;
		struct ampcl_karg args[] = {
		    AMPCL_KARG(ws),      AMPCL_KARG(off32), AMPCL_KARG(o->mem),
		    AMPCL_KARG(src_off), AMPCL_KARG(c),     AMPCL_KARG(kout),
		    AMPCL_KARG(r),       AMPCL_KARG(sw),    AMPCL_KARG(mp),
		};
		if ((st = ampcl_kernel_get(ctx, "gemm_packed", opts, "conv_pack_a_wflip", &kernel)))
			return st;
		return ampcl_launch(ctx, kernel, 2, global, NULL, AMPCL_NARGS(args), args, NULL);
	}
	return ampcl_error_set(
	    AMPCL_ERR_INVALID_ARG,
	    "gemm (packed): A comes from a matrix or, in a single product, flipped "
	    "weights or (read in place) an NCHW tensor");
}

static int product_a_shared(const struct ampcl_packed_product *pr)
{
	return pr->batch > 1 && pr->a.kind == AMPCL_PACK_MATRIX && pr->a.stride == 0;
}

/* pr's plan (with choice ch, or the stored or default one when ch is NULL): an NCHW A is read
 * in place by the micro-kernel, so it takes no panels. */
static void product_plan(const struct ampcl_context *ctx, const struct ampcl_packed_product *pr,
			 const struct packed_choice *ch, struct packed_plan *p)
{
	if (ch)
		plan_with(ctx, pr->m, pr->n, pr->k, pr->batch, product_a_shared(pr), ch, p);
	else
		plan(ctx, pr->m, pr->n, pr->k, pr->batch, product_a_shared(pr), p);
	if (pr->a.kind == AMPCL_PACK_NCHW)
		p->ap_floats = 0;
}

size_t ampcl_gemm_packed_product_floats(const struct ampcl_context *ctx,
					const struct ampcl_packed_product *pr)
{
	struct packed_plan p;
	product_plan(ctx, pr, NULL, &p);
	return pr->ws_skip +
	       plan_floats(ctx, pr->m, pr->n, pr->k, pr->batch, product_a_shared(pr), &p);
}

static ampcl_status run_plan(struct ampcl_context *ctx, const struct ampcl_packed_product *pr,
			     const struct packed_plan *plan);

struct timed_variant {
	struct ampcl_context *ctx;
	const struct ampcl_packed_product *pr;
	struct packed_plan plan;
};

static ampcl_status run_variant(void *arg)
{
	struct timed_variant *v = arg;
	return run_plan(v->ctx, v->pr, &v->plan);
}

/* Inside ampcl_net_tune: times each variant on this product (its result is thrown away) and
 * stores the fastest; the default stays unless another is 3% faster. */
static ampcl_status measure(struct ampcl_context *ctx, const struct ampcl_packed_product *pr)
{
	char key[112];
	int v[AMPCL_TUNE_VALUES];
	choice_key(pr->m, pr->n, pr->k, pr->batch, product_a_shared(pr), key, sizeof(key));
	if (ampcl_tune_lookup(ctx, key, ctx->tune.level, v, choice_valid, NULL))
		return AMPCL_OK;
	struct packed_choice ch[16];
	struct timed_variant tv = {ctx, pr, {0}};
	product_plan(ctx, pr, &(struct packed_choice){0, 0}, &tv.plan);
	int nc = candidates(ctx, tv.plan.vw, ch), best = 0;
	struct packed_plan base = tv.plan;
	double best_s, s;
	ampcl_status st = ampcl_tune_time(ctx, run_variant, &tv, 3, &best_s);
	for (int i = 1; i < nc && !st; i++) {
		product_plan(ctx, pr, &ch[i], &tv.plan);
		if (tv.plan.mr == base.mr && tv.plan.chunks == base.chunks &&
		    tv.plan.jpw == base.jpw)
			continue; /* the default under another name */
		if (!(st = ampcl_tune_time(ctx, run_variant, &tv, 3, &s)) && s < 0.97 * best_s)
			best = i, best_s = s;
	}
	if (st)
		return ampcl_error_wrap(st, "tuning %s: ", key);
	int value[AMPCL_TUNE_VALUES] = {ch[best].mr, ch[best].groups_per_cu, 0, 0};
	ampcl_tune_store(ctx, key, value);
	ctx->tune.measured++;
	ctx->tune.changed += best != 0;
	return AMPCL_OK;
}

ampcl_status ampcl_gemm_packed_product(struct ampcl_context *ctx,
				       const struct ampcl_packed_product *pr)
{
	ampcl_status st = ctx->tune.measuring ? measure(ctx, pr) : AMPCL_OK;
	struct packed_plan p;
	product_plan(ctx, pr, NULL, &p);
	return st ? st : run_plan(ctx, pr, &p);
}

/* The options of the packing and summing kernels for a vector width and panel height. */
static void packed_options(int vw, int mr, char *buf, size_t size)
{
	snprintf(buf, size, "-DPK_VW=%d -DPK_MR=%d", vw, mr);
}

/* The micro-kernel's: built once per kind of B, which then is a constant there, and once more
 * where it reads A in place. */
static void micro_options(const char *opts, int bkind, int a_in_place, char *buf, size_t size)
{
	snprintf(buf, size, "%s -DPK_BKIND=%d%s", opts, bkind, a_in_place ? " -DPK_ANCHW" : "");
}

/* Packs, multiplies and sums one product with plan p. */
static ampcl_status run_plan(struct ampcl_context *ctx, const struct ampcl_packed_product *pr,
			     const struct packed_plan *plan)
{
	struct packed_plan p = *plan;
	const int a_in_place = pr->a.kind == AMPCL_PACK_NCHW;
	if (a_in_place && pr->batch != 1)
		return ampcl_error_set(AMPCL_ERR_INVALID_ARG,
				       "gemm (packed): an NCHW A needs a single product");
	size_t total = pr->ws_skip + p.ap_floats + p.part_floats;
	if (total >= UINT32_MAX)
		return ampcl_error_set(
		    AMPCL_ERR_INVALID_ARG,
		    "gemm (packed): %zu floats of panels for m=%d n=%d k=%d "
		    "batch=%d, past the 2^32 the kernels index; split the product",
		    total, pr->m, pr->n, pr->k, pr->batch);
	const struct ampcl_pack_operand *b = &pr->b;
	if (b->kind > AMPCL_PACK_IM2COL_T || (b->kind != AMPCL_PACK_MATRIX && pr->batch != 1))
		return ampcl_error_set(AMPCL_ERR_INVALID_ARG,
				       "gemm (packed): B comes from a matrix or, in a single "
				       "product, a convolution's x or dy");
	char opts[64], micro_opts[96];
	packed_options(p.vw, p.mr, opts, sizeof(opts));
	micro_options(opts, (int)pr->b.kind, a_in_place, micro_opts, sizeof(micro_opts));
	static const char *const micro_names[] = {"gemm_micro_matrix", "gemm_micro_nchw",
						  "gemm_micro_im2col", "gemm_micro_im2col_t"};
	cl_kernel micro, sum;
	ampcl_status st;
	if ((st = ampcl_kernel_get(ctx, "gemm_packed", micro_opts, micro_names[pr->b.kind],
				   &micro)) ||
	    (st = ampcl_kernel_get(ctx, "gemm_packed", opts, "gemm_packed_sum", &sum)))
		return st;
	cl_mem ws;
	size_t ws_bytes;
	if ((st = ampcl_workspace_get(ctx, total, "gemm (packed panels)", &ws, &ws_bytes)))
		return st;
	cl_uint ap_off = (cl_uint)(ws_bytes / sizeof(float) + pr->ws_skip);
	cl_uint part_off = ap_off + (cl_uint)p.ap_floats;
	if (!a_in_place && (st = pack_a(ctx, opts, pr, &p, ws, ap_off)))
		return st;

	/* B's source: the geometry for the im2col kinds, zeros where unused */
	struct ampcl_conv2d_shape none = {0},
				  *g = b->conv ? (struct ampcl_conv2d_shape *)b->conv : &none;
	int gp = b->conv ? ampcl_conv2d_out_h(g) : 0, gq = b->conv ? ampcl_conv2d_out_w(g) : 0;
	cl_uint c_seg = pr->c_seg ? (cl_uint)pr->c_seg : (cl_uint)pr->n;
	cl_uint c_seg_stride = pr->c_seg ? (cl_uint)pr->c_seg_stride : 0;
	/* one work-item a group: PoCL then runs each as straight-line vector code */
	size_t gm[3] = {(p.np + p.jpw - 1) / p.jpw, p.chunks, (size_t)pr->batch};
	size_t one[3] = {1, 1, 1};
/* The arguments the micro-kernel and the k-run sum share: C, its runs, and the bias. */
#define PK_C_KARGS                                                                                 \
	AMPCL_KARG_MEM(pr->c), AMPCL_KARG_UINT(pr->c_off), AMPCL_KARG_UINT(pr->ldc),               \
	    AMPCL_KARG_UINT(pr->stride_c), AMPCL_KARG_UINT(c_seg), AMPCL_KARG_UINT(c_seg_stride)
#define PK_BIAS_KARGS                                                                              \
	AMPCL_KARG_MEM(pr->bias ? pr->bias : ws), AMPCL_KARG_UINT(pr->bias_off),                   \
	    AMPCL_KARG_UINT(pr->bias != NULL)
	struct ampcl_karg am[] = {
	    PK_C_KARGS,
	    AMPCL_KARG_MEM(a_in_place ? pr->a.mem : ws),
	    AMPCL_KARG_UINT(a_in_place ? (cl_uint)pr->a.off : ap_off),
	    AMPCL_KARG_UINT(p.a_batches),
	    AMPCL_KARG_UINT(a_in_place ? pr->a.pq : 0),
	    AMPCL_KARG_MEM(b->mem),
	    AMPCL_KARG_UINT(b->off),
	    AMPCL_KARG_UINT(b->ld),
	    AMPCL_KARG_UINT(b->stride),
	    AMPCL_KARG_UINT(b->trans != 0),
	    AMPCL_KARG_UINT(b->pq),
	    AMPCL_KARG_UINT(g->c),
	    AMPCL_KARG_UINT(g->h),
	    AMPCL_KARG_UINT(g->w),
	    AMPCL_KARG_UINT(g->r),
	    AMPCL_KARG_UINT(g->s),
	    AMPCL_KARG_UINT(g->stride),
	    AMPCL_KARG_UINT(g->pad),
	    AMPCL_KARG_UINT(gp),
	    AMPCL_KARG_UINT(gq),
	    AMPCL_KARG_UINT(pr->m),
	    AMPCL_KARG_UINT(pr->n),
	    AMPCL_KARG_UINT(pr->k),
	    AMPCL_KARG_UINT(p.mp),
	    AMPCL_KARG_UINT(p.np),
	    AMPCL_KARG_UINT(p.kc),
	    AMPCL_KARG_UINT(p.chunks),
	    AMPCL_KARG_UINT(p.jpw),
	    AMPCL_KARG_FLOAT(pr->alpha),
	    AMPCL_KARG_FLOAT(pr->beta),
	    PK_BIAS_KARGS,
	    AMPCL_KARG_MEM(ws),
	    AMPCL_KARG_UINT(part_off),
	    AMPCL_KARG_LOCAL(p.kc * (size_t)p.nr * sizeof(float)),
	};
	if ((st = ampcl_launch(ctx, micro, 3, gm, one, AMPCL_NARGS(am), am, NULL)) || p.chunks == 1)
		return st;
	size_t gs[3] = {(size_t)pr->n, (size_t)pr->m, (size_t)pr->batch};
	struct ampcl_karg as[] = {
	    PK_C_KARGS,
	    AMPCL_KARG_MEM(ws),
	    AMPCL_KARG_UINT(part_off),
	    AMPCL_KARG_UINT(pr->m),
	    AMPCL_KARG_UINT(pr->n),
	    AMPCL_KARG_UINT(p.mp),
	    AMPCL_KARG_UINT(p.np),
	    AMPCL_KARG_UINT(p.chunks),
	    AMPCL_KARG_FLOAT(pr->alpha),
	    AMPCL_KARG_FLOAT(pr->beta),
	    PK_BIAS_KARGS,
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

void ampcl_gemm_packed_variants(const struct ampcl_context *ctx, ampcl_kernel_variant_fn fn,
				void *arg)
{
	/* plan_with's vector widths, each with the panel heights the tuner tries for it */
	static const int vws[] = {16, 8, 4};
	for (size_t w = 0; w < sizeof(vws) / sizeof(vws[0]); w++) {
		const int *mrs = vws[w] >= 16 ? mr16 : mr8;
		int nmr = vws[w] >= 16 ? (int)(sizeof(mr16) / sizeof(mr16[0]))
				       : (int)(sizeof(mr8) / sizeof(mr8[0]));
		for (int i = 0; i < nmr; i++) {
			char opts[64], micro[96], name[64];
			packed_options(vws[w], mrs[i], opts, sizeof(opts));
			snprintf(name, sizeof(name), "vw %d mr %d", vws[w], mrs[i]);
			struct ampcl_kernel_variant v = {"gemm_packed", opts, name,
							 ctx->profile.gemm_packed,
							 ctx->profile.gemm_packed};
			fn(arg, &v);
			/* the micro-kernel for every kind of B; A in place only as the one
			 * product that reads it so builds it: conv_packed.c's weight gradient,
			 * whose B is im2col_t */
			for (int b = AMPCL_PACK_MATRIX; b <= AMPCL_PACK_IM2COL_T; b++)
				for (int in_place = 0; in_place <= (b == AMPCL_PACK_IM2COL_T);
				     in_place++) {
					micro_options(opts, b, in_place, micro, sizeof(micro));
					snprintf(name, sizeof(name), "vw %d mr %d b %d%s", vws[w],
						 mrs[i], b, in_place ? " a-nchw" : "");
					v.options = micro;
					fn(arg, &v);
				}
		}
	}
}
