/* profile.c: the table of device profiles (a row per class of device, CPUs and GPUs; vendor
 * rows go before their type's default) and the lookup that fills a context's. */
#include "profile.h"
#include "error.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

struct row {
	const char *name;
	cl_device_type type;  /* matched with & ; 0 matches any */
	const char *vendor;   /* a case-insensitive part of the vendor name, or NULL for any */
	cl_uint vendor_id;    /* CL_DEVICE_VENDOR_ID, or 0 for any */
	const char *names;    /* '|'-separated case-insensitive parts of the device name, any of
				 which matches; NULL for any */
	int nv_compute_major; /* NVIDIA's compute capability major (device.h), or 0 for any */
	struct ampcl_device_profile p;
};

/* The GPU profile, which the vendor rows below repeat but for their GEMM tiles. */
#define GPU_PROFILE                                                                                \
	.conv_rows = 0, .conv_implicit = 1, .gemm_clblast = 1, .gemm_cpu_tiles = 0,                \
	.gemm_splitk = 1, .bn_group_elems = 0, .bn_contiguous = 0, .bn_local_max = 256,            \
	.pool_rows = 0, .bench_gemm_n = 4096, .bench_copy_bytes = (size_t)1 << 30

/* CPUs (PoCL, rusticl's llvmpipe): few, large groups; kernels shaped for the vectoriser, as
 * measured on PoCL 3.1 (README "Kernels"). GPUs: many groups, interleaved reductions, CLBlast. */
static const struct row rows[] = {
    /* Mesa's rusticl on llvmpipe: a CPU that runs work-items as SIMD lanes, as a GPU does, at
     * most 32 to a group; the GPU kernels ran 10-15x faster there than the CPU row's. llvmpipe
     * ends every loop of an invocation once their iterations together pass 65535 (Mesa's
     * LP_MAX_TGSI_LOOP_ITERATIONS), silently: the tiled GEMM takes k 1024 at a time, ~30000
     * iterations with its tile loops (test_gemm's k >= 65536 cases fail without it). */
    {"llvmpipe",
     CL_DEVICE_TYPE_CPU,
     "Mesa",
     0,
     NULL,
     0,
     {.conv_rows = 0,
      .gemm_clblast = 0,
      .gemm_cpu_tiles = 0,
      .loop_k_max = 1024,
      .bn_group_elems = 0,
      .bn_contiguous = 0,
      .bn_local_max = 32,
      .pool_rows = 0,
      .bench_gemm_n = 512,
      .bench_copy_bytes = (size_t)1 << 26}},
    {"cpu",
     CL_DEVICE_TYPE_CPU,
     NULL,
     0,
     NULL,
     0,
     {.conv_rows = 1,
      /* 4 MiB: a chunk's Winograd tiles, products and padded input stay in the caches
       * between the transforms and the GEMM (a step of ResNet-18 width 16 took 0.75x the
       * time it took with the whole batch in one chunk) */
      .conv_winograd_chunk_floats = (size_t)1 << 20,
      .gemm_clblast = 0,
      .gemm_cpu_tiles = 1,
      .gemm_packed = 1,
      .bn_group_elems = 65536,
      .bn_contiguous = 1,
      .bn_local_max = 4,
      .pool_rows = 1,
      .bench_gemm_n = 1024,
      .bench_copy_bytes = (size_t)1 << 27}},
    /* GPUs of one architecture: the GPU profile with cl/gemm.cl tiles chosen from the offline
     * compilers' reports (tools/isa/isa-check.py --tiles; docs/performance.md "GPU tiles from
     * the compilers' reports"): no spill and at least half occupancy on the architecture's
     * target, 16 outputs per work-item where that allows. Not yet timed on a GPU. */
    /* AMD RDNA2 (gfx1030-gfx1036): ROCm names the device gfx103x, Mesa navi2x. The defaults,
     * 64x64x16 of 4x4, already run 16 of 16 waves per SIMD there (63 VGPRs, wave32). */
    {"gpu-amd-rdna2",
     CL_DEVICE_TYPE_GPU,
     NULL,
     AMPCL_VENDOR_AMD,
     "gfx103|navi2",
     0,
     {GPU_PROFILE, .gemm_tiles = {64, 64, 16, 4, 4}}},
    /* Intel Xe-LP (Tiger Lake's Iris Xe, DG1's Xe MAX): k-tiles of 8 keep IGC at SIMD16 for
     * gemm_forward, which the defaults' 16 push back to SIMD8 */
    {"gpu-intel-xe",
     CL_DEVICE_TYPE_GPU,
     NULL,
     AMPCL_VENDOR_INTEL,
     "Xe Graphics|Xe MAX",
     0,
     {GPU_PROFILE, .gemm_tiles = {64, 64, 8, 4, 4}}},
    /* NVIDIA compute capability 8.x (Ampere, Ada): k-tiles of 8 take conv_implicit_dw from 71
     * to 56 registers (ptxas), half the warps an SM holds rather than 37% */
    {"gpu-nvidia-ampere",
     CL_DEVICE_TYPE_GPU,
     NULL,
     AMPCL_VENDOR_NVIDIA,
     NULL,
     8,
     {GPU_PROFILE, .gemm_tiles = {64, 64, 8, 4, 4}}},
    /* every other GPU, and the fallback of any device no row above takes */
    {"gpu", 0, NULL, 0, NULL, 0, {GPU_PROFILE}},
};

static int icontains(const char *s, const char *part)
{
	size_t n = strlen(part);
	for (; *s; s++)
		if (!strncasecmp(s, part, n))
			return 1;
	return 0;
}

/* Whether the device name contains one of names' '|'-separated parts. */
static int name_matches(const char *name, const char *names)
{
	for (const char *p = names; *p;) {
		const char *bar = strchr(p, '|');
		size_t n = bar ? (size_t)(bar - p) : strlen(p);
		char part[64];
		snprintf(part, sizeof(part), "%.*s", (int)n, p);
		if (icontains(name, part))
			return 1;
		p += n + (bar != NULL);
	}
	return 0;
}

static int row_matches(const struct row *r, const struct ampcl_device_caps *caps)
{
	return (!r->type || (caps->type & r->type)) &&
	       (!r->vendor || icontains(caps->desc.vendor, r->vendor)) &&
	       (!r->vendor_id || caps->desc.vendor_id == r->vendor_id) &&
	       (!r->names || name_matches(caps->desc.name, r->names)) &&
	       (!r->nv_compute_major || caps->nv_compute_major == r->nv_compute_major);
}

const char *ampcl_profile_row_name(int i)
{
	return i >= 0 && (size_t)i < sizeof(rows) / sizeof(rows[0]) ? rows[i].name : NULL;
}

ampcl_status ampcl_profile_fill(const struct ampcl_device_caps *caps, const char *force,
				struct ampcl_device_profile *p)
{
	const struct row *hit = NULL;
	size_t n = sizeof(rows) / sizeof(rows[0]);
	for (size_t i = 0; i < n && !hit; i++) {
		const struct row *r = &rows[i];
		if (force && *force)
			hit = !strcasecmp(force, r->name) ? r : NULL;
		else if (row_matches(r, caps))
			hit = r;
	}
	if (!hit) {
		/* the table's own rows, so the list cannot fall behind it */
		char names[256] = "";
		for (size_t i = 0; i < n; i++)
			snprintf(names + strlen(names), sizeof(names) - strlen(names), "%s%s",
				 i ? (i + 1 == n ? " and " : ", ") : "", rows[i].name);
		return ampcl_error_set(AMPCL_ERR_INVALID_ARG,
				       "AMPCL_PROFILE='%s' is not a device profile; the valid "
				       "values are %s (or unset it)",
				       force, names);
	}
	*p = hit->p;
	snprintf(p->row, sizeof(p->row), "%s", hit->name);
	return AMPCL_OK;
}

void ampcl_profile_reason(const struct ampcl_device_caps *caps, const char *force,
			  const struct ampcl_device_profile *p, char *buf, size_t size)
{
	if (force && *force) {
		snprintf(buf, size, "forced by AMPCL_PROFILE=%s", force);
		return;
	}
	const struct row *hit = NULL;
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]) && !hit; i++)
		hit = !strcmp(rows[i].name, p->row) ? &rows[i] : NULL;
	const char *type = caps->type & CL_DEVICE_TYPE_GPU   ? "GPU"
			   : caps->type & CL_DEVICE_TYPE_CPU ? "CPU"
							     : "other";
	if (!hit) {
		snprintf(buf, size, "row %s", p->row);
		return;
	}
	char rule[256];
	snprintf(rule, sizeof(rule), "%s",
		 hit->type == CL_DEVICE_TYPE_CPU ? "type CPU"
		 : hit->type                     ? "type GPU"
						 : "any type");
	if (hit->vendor)
		snprintf(rule + strlen(rule), sizeof(rule) - strlen(rule), ", vendor contains '%s'",
			 hit->vendor);
	if (hit->vendor_id)
		snprintf(rule + strlen(rule), sizeof(rule) - strlen(rule), ", vendor id 0x%x",
			 (unsigned)hit->vendor_id);
	if (hit->names)
		snprintf(rule + strlen(rule), sizeof(rule) - strlen(rule),
			 ", name contains one of '%s'", hit->names);
	if (hit->nv_compute_major)
		snprintf(rule + strlen(rule), sizeof(rule) - strlen(rule),
			 ", NVIDIA compute capability %d.x", hit->nv_compute_major);
	char cc[48] = "";
	if (caps->nv_compute_major)
		snprintf(cc, sizeof(cc), ", NVIDIA compute capability %d.x",
			 caps->nv_compute_major);
	snprintf(
	    buf, size,
	    "the first row whose rule matches: %s (the device: type %s, vendor '%s', vendor id "
	    "0x%x, name '%s'%s)",
	    rule, type, caps->desc.vendor, (unsigned)caps->desc.vendor_id, caps->desc.name, cc);
}

ampcl_status ampcl_profile_set_fuse(struct ampcl_device_profile *p, const char *fuse)
{
	if (!*fuse || !strcasecmp(fuse, "on") || !strcasecmp(fuse, "off")) {
		p->no_fuse = !strcasecmp(fuse, "off");
		return AMPCL_OK;
	}
	return ampcl_error_set(AMPCL_ERR_INVALID_ARG,
			       "AMPCL_FUSE='%s': the valid values are on and off (or unset it: on)",
			       fuse);
}

ampcl_status ampcl_profile_set_conv(struct ampcl_device_profile *p, const char *conv)
{
	if (!*conv)
		return AMPCL_OK;
	if (!strcasecmp(conv, "implicit") || !strcasecmp(conv, "im2col")) {
		p->conv_implicit = !strcasecmp(conv, "implicit");
		return AMPCL_OK;
	}
	if (!strcasecmp(conv, "winograd") || !strcasecmp(conv, "direct")) {
		p->conv_winograd = !strcasecmp(conv, "winograd") ? 1 : -1;
		return AMPCL_OK;
	}
	return ampcl_error_set(
	    AMPCL_ERR_INVALID_ARG,
	    "AMPCL_CONV='%s': the valid values are implicit, im2col, direct and winograd (or unset "
	    "it for the device profile's choice)",
	    conv);
}
