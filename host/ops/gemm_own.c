/* gemm_own.c: the back end built on ampcl's own kernels: the packed GEMM on CPU devices
 * (gemm_packed.c), else cl/gemm.cl's tiled kernel with tile sizes for the device and shape. */
#include "gemm.h"
#include "gemm_packed.h"
#include "constants.h"
#include "error.h"
#include "launch.h"
#include "program.h"
#include "variants.h"
#include "workspace.h"

#include <stdint.h>
#include <stdio.h>

/* One tiling of cl/gemm.cl: C tile (tm x tn), depth tk, (wm x wn) outputs per work-item held as
 * vectors of vw floats (1: scalars spread GEMM_RTN apart). */
struct gemm_tiles {
	int tm, tn, tk, wm, wn, vw;
};

/* GPUs: the defaults of cl/gemm.cl, 64x64 tiles by 256 work-items of 4x4 scalars, the usual
 * shape that keeps loads per FMA low, coalesces and fits every GPU's local memory (8.5 KB).
 * Not yet timed on a GPU (AUTO uses CLBlast there). A profile row may name another scalar
 * tiling (profile.h gemm_tiles: the vendor rows' tiles, chosen from the offline compilers'
 * reports). */
static const struct gemm_tiles tiles_gpu = {64, 64, 16, 4, 4, 1};
/* Smaller groups for devices or kernels that take fewer work-items: 64, 16 and, last, one
 * work-item, which every device runs (Mesa's llvmpipe takes 32 at most). */
static const struct gemm_tiles tiles_gpu_small = {32, 32, 16, 4, 4, 1};
static const struct gemm_tiles tiles_tiny = {16, 16, 16, 4, 4, 1};
static const struct gemm_tiles tiles_unit = {4, 4, 4, 4, 4, 1};
/* CPUs (PoCL 3.1, 2 cores of an AVX-512 EPYC): each work-item holds rows of float16 that the
 * compiler keeps in SIMD registers; scalar blocks stay scalar code there (the GPU tiling gives
 * ~11 GFLOP/s at m = n = k = 512, this one ~57). The 128x128 tile of 16x16 per work-item was
 * fastest on large products (50-57 GFLOP/s); 64x128 of 8x16 on thin ones (m = 64: ~45 against
 * ~26 NN, ~32 against ~23 NT with k = 8192), so pick_tiles switches by shape. */
static const struct gemm_tiles tiles_cpu = {128, 128, 16, 16, 16, 16};
static const struct gemm_tiles tiles_cpu_thin = {64, 128, 16, 8, 16, 16};
/* 16 work-items of float16 rows, for CPU devices whose kernels take fewer than 64 */
static const struct gemm_tiles tiles_cpu_small = {32, 64, 16, 8, 16, 16};

/* Every tiling above, by name, for ampcl_gemm_own_variants: a tiling added above goes here too,
 * so that tools/isa compiles it for every vendor's compiler. */
static const struct {
	const char *name;
	const struct gemm_tiles *t;
} tilings[] = {
    {"tiles_gpu", &tiles_gpu},
    {"tiles_gpu_small", &tiles_gpu_small},
    {"tiles_tiny", &tiles_tiny},
    {"tiles_unit", &tiles_unit},
    {"tiles_cpu", &tiles_cpu},
    {"tiles_cpu_thin", &tiles_cpu_thin},
    {"tiles_cpu_small", &tiles_cpu_small},
};

/* The -D options of a tiling; the defaults of cl/gemm.cl give "", so the program that
 * ampcl_kernels_build_all builds is the one the generic GPU row (and gpu-amd-rdna2) uses. */
static void tiles_options(const struct gemm_tiles *t, char *buf, size_t size)
{
	if (t->tm == 64 && t->tn == 64 && t->tk == 16 && t->wm == 4 && t->wn == 4 && t->vw == 1)
		snprintf(buf, size, "%s", "");
	else
		snprintf(buf, size,
			 "-DGEMM_TM=%d -DGEMM_TN=%d -DGEMM_TK=%d -DGEMM_WM=%d -DGEMM_WN=%d "
			 "-DGEMM_VW=%d",
			 t->tm, t->tn, t->tk, t->wm, t->wn, t->vw);
}

static size_t tiles_group_size(const struct gemm_tiles *t)
{
	return (size_t)(t->tm / t->wm) * (size_t)(t->tn / t->wn);
}

/* Local memory of a tiling: cl/gemm.cl's as[TK][TM + PAD] and bs[TK][TN + PAD] (PAD 1). */
static size_t tiles_local_bytes(const struct gemm_tiles *t)
{
	return (size_t)t->tk * (size_t)(t->tm + t->tn + 2) * sizeof(float);
}

static int tiles_same(const struct gemm_tiles *a, const struct gemm_tiles *b)
{
	return a->tm == b->tm && a->tn == b->tn && a->tk == b->tk && a->wm == b->wm &&
	       a->wn == b->wn && a->vw == b->vw;
}

/* The preferred tiling for an (m, n, batch) product on this device. g may be NULL (any shape). */
static struct gemm_tiles pick_tiles(const struct ampcl_context *ctx,
				    const struct ampcl_gemm_args *g)
{
	if (!ctx->profile.gemm_cpu_tiles) {
		/* the profile row's GPU tiling, if it names one */
		const struct ampcl_device_profile *p = &ctx->profile;
		if (!p->gemm_tiles.tm)
			return tiles_gpu;
		struct gemm_tiles t = {p->gemm_tiles.tm, p->gemm_tiles.tn, p->gemm_tiles.tk,
				       p->gemm_tiles.wm, p->gemm_tiles.wn, 1};
		return t;
	}
	if (!g)
		return tiles_cpu;
	/* the big tile wastes half its work when m < 128, and leaves cores idle when it cuts
	 * the product into fewer than ~8 groups per core */
	size_t groups =
	    (size_t)((g->m + 127) / 128) * (size_t)((g->n + 127) / 128) * (size_t)g->batch;
	if (g->m < 128 || groups < 8 * (size_t)ctx->caps.desc.compute_units)
		return tiles_cpu_thin;
	return tiles_cpu;
}

/* Whether gemm_kernel may fall back from the preferred tiling `first` to t: never to a larger
 * group than the preferred one, nor to a CPU tiling on a GPU. */
static int tiles_may_follow(const struct gemm_tiles *t, const struct gemm_tiles *first)
{
	return tiles_group_size(t) <= tiles_group_size(first) && !(t->vw > 1 && first->vw == 1);
}

/* The gemm_forward kernel and its tiling: the preferred tiling if the compiled kernel accepts
 * that many work-items per group and the device has the local memory for its tiles, else the
 * next smaller one. opts gets its options. */
static ampcl_status gemm_kernel(struct ampcl_context *ctx, const struct ampcl_gemm_args *g,
				cl_kernel *kernel, struct gemm_tiles *tiles, char *opts,
				size_t opts_size)
{
	/* from the preferred tiling down to one work-item a group: the first that the compiled
	 * kernel and the device's per-dimension limits take */
	const struct gemm_tiles first = pick_tiles(ctx, g);
	const struct gemm_tiles *chain[] = {&first,           &tiles_cpu_thin, &tiles_cpu_small,
					    &tiles_gpu_small, &tiles_tiny,     &tiles_unit};
	const size_t *dim = ctx->caps.max_work_item_sizes;
	for (size_t i = 0; i < sizeof(chain) / sizeof(chain[0]); i++) {
		const struct gemm_tiles *t = chain[i];
		if (i && !tiles_may_follow(t, chain[0]))
			continue;
		if ((size_t)(t->tn / t->wn) > dim[0] || (size_t)(t->tm / t->wm) > dim[1])
			continue;
		/* the A and B tiles staged in local memory must fit the device's */
		if (tiles_local_bytes(t) > ctx->caps.desc.local_mem_bytes)
			continue;
		size_t max_wg = 0;
		tiles_options(t, opts, opts_size);
		ampcl_status st = ampcl_kernel_get(ctx, "gemm", opts, "gemm_forward", kernel);
		if (!st)
			st = ampcl_kernel_group_max(ctx, *kernel, &max_wg);
		if (st)
			return st;
		if (tiles_group_size(t) <= max_wg) {
			*tiles = *t;
			return AMPCL_OK;
		}
	}
	return ampcl_error_set(AMPCL_ERR_UNSUPPORTED,
			       "gemm: device %s runs no tiling of gemm_forward, not even one "
			       "work-item a group with %zu bytes of local memory (it has %llu)",
			       ctx->caps.desc.name, tiles_local_bytes(&tiles_unit),
			       ctx->caps.desc.local_mem_bytes);
}

/* The tiled kernel, whatever the shape. */
static ampcl_status own_tiled(struct ampcl_context *ctx, const struct ampcl_gemm_args *g)
{
	cl_kernel kernel;
	struct gemm_tiles t;
	char opts[160];
	ampcl_status st = gemm_kernel(ctx, g, &kernel, &t, opts, sizeof(opts));
	if (st)
		return st;

	size_t rtm = (size_t)(t.tm / t.wm), rtn = (size_t)(t.tn / t.wn);
	size_t global[3] = {((size_t)g->n + t.tn - 1) / t.tn * rtn,
			    ((size_t)g->m + t.tm - 1) / t.tm * rtm, (size_t)g->batch};
	size_t local[3] = {rtn, rtm, 1};
	/* A device that ends long loops early (profile loop_k_max) gets k in launches of at most
	 * that depth, each adding its part to C in order: the sums stay deterministic. */
	int kc = g->k;
	if (ctx->profile.loop_k_max && (size_t)g->k > ctx->profile.loop_k_max)
		kc = (int)ctx->profile.loop_k_max;
	int k0 = 0;
	do {
		int kn = g->k - k0 < kc ? g->k - k0 : kc;
		cl_uint a_off =
		    (cl_uint)(g->a_off + (size_t)k0 * (g->trans_a ? (size_t)g->lda : 1));
		cl_uint b_off =
		    (cl_uint)(g->b_off + (size_t)k0 * (g->trans_b ? 1 : (size_t)g->ldb));
		struct ampcl_karg args[] = {
		    AMPCL_KARG_MEM(g->c),
		    AMPCL_KARG_UINT(g->c_off),
		    AMPCL_KARG_UINT(g->ldc),
		    AMPCL_KARG_UINT(g->stride_c),
		    AMPCL_KARG_MEM(g->a),
		    AMPCL_KARG_UINT(a_off),
		    AMPCL_KARG_UINT(g->lda),
		    AMPCL_KARG_UINT(g->stride_a),
		    AMPCL_KARG_MEM(g->b),
		    AMPCL_KARG_UINT(b_off),
		    AMPCL_KARG_UINT(g->ldb),
		    AMPCL_KARG_UINT(g->stride_b),
		    AMPCL_KARG_UINT(g->m),
		    AMPCL_KARG_UINT(g->n),
		    AMPCL_KARG_UINT(kn),
		    AMPCL_KARG_FLOAT(g->alpha),
		    AMPCL_KARG_FLOAT(k0 ? 1.0f : g->beta),
		    AMPCL_KARG_UINT(g->trans_a != 0),
		    AMPCL_KARG_UINT(g->trans_b != 0),
		    AMPCL_KARG_UINT(g->batch),
		};
		st = ampcl_launch(ctx, kernel, 3, global, local, AMPCL_NARGS(args), args, NULL);
		k0 += kn;
	} while (!st && k0 < g->k);
	return st;
}

ampcl_status ampcl_gemm_own_tiling(struct ampcl_context *ctx, char *opts, size_t opts_size,
				   size_t *tile_m, size_t *tile_n, size_t *items_m, size_t *items_n)
{
	cl_kernel kernel;
	struct gemm_tiles t;
	ampcl_status st = gemm_kernel(ctx, NULL, &kernel, &t, opts, opts_size);
	if (st)
		return st;
	*tile_m = (size_t)t.tm, *tile_n = (size_t)t.tn;
	*items_m = (size_t)(t.tm / t.wm), *items_n = (size_t)(t.tn / t.wn);
	return AMPCL_OK;
}

size_t ampcl_gemm_own_workspace_floats(const struct ampcl_context *ctx,
				       const struct ampcl_gemm_args *g)
{
	if (!ampcl_gemm_packed_takes(ctx, g))
		return 0;
	return ampcl_gemm_packed_workspace_floats(ctx, g->m, g->n, g->k, g->batch,
						  g->batch > 1 && g->stride_a == 0);
}

ampcl_status ampcl_gemm_own_run(struct ampcl_context *ctx, const struct ampcl_gemm_args *g)
{
	if (ampcl_gemm_packed_takes(ctx, g))
		return ampcl_gemm_packed_run(ctx, g);
	return own_tiled(ctx, g);
}

ampcl_status ampcl_gemm_own_clear(struct ampcl_context *ctx, const struct ampcl_gemm_args *g)
{
	cl_kernel kernel;
	struct gemm_tiles t;
	char opts[160];
	/* a program gemm_forward comes from, so the file is not built once more for this */
	ampcl_status st = gemm_kernel(ctx, NULL, &kernel, &t, opts, sizeof(opts));
	if (!st)
		st = ampcl_kernel_get(ctx, "gemm", opts, "gemm_clear", &kernel);
	if (st)
		return st;
	size_t global[3] = {(size_t)g->n, (size_t)g->m, (size_t)g->batch};
	struct ampcl_karg args[] = {
	    AMPCL_KARG_MEM(g->c),         AMPCL_KARG_UINT(g->c_off), AMPCL_KARG_UINT(g->ldc),
	    AMPCL_KARG_UINT(g->stride_c), AMPCL_KARG_UINT(g->m),     AMPCL_KARG_UINT(g->n),
	    AMPCL_KARG_UINT(g->batch),
	};
	return ampcl_launch(ctx, kernel, 3, global, NULL, (int)(sizeof(args) / sizeof(args[0])),
			    args, NULL);
}

void ampcl_gemm_own_variants(const struct ampcl_context *ctx, ampcl_kernel_variant_fn fn, void *arg)
{
	/* the tiling a device of this profile asks for first, for a product of any shape */
	const struct gemm_tiles first = pick_tiles(ctx, NULL);
	int named = 0;
	char opts[160];
	for (size_t i = 0; i < sizeof(tilings) / sizeof(tilings[0]); i++) {
		tiles_options(tilings[i].t, opts, sizeof(opts));
		const struct gemm_tiles *t = tilings[i].t;
		int same = tiles_same(t, &first);
		named |= same;
		struct ampcl_kernel_variant v = {"gemm", opts, tilings[i].name, same,
						 same || tiles_may_follow(t, &first)};
		fn(arg, &v);
	}
	if (!named) {
		/* a profile row's own tiling: named after the row */
		char name[64];
		snprintf(name, sizeof(name), "tiles_%s", ctx->profile.row);
		tiles_options(&first, opts, sizeof(opts));
		struct ampcl_kernel_variant v = {"gemm", opts, name, 1, 1};
		fn(arg, &v);
	}
}
