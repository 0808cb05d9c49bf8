/* profile.c: the table of device profiles (a row per class of device, CPUs and GPUs; vendor
 * rows go before their type's default) and the lookup that fills a context's. */
#include "profile.h"
#include "error.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

struct row {
	const char *name;
	cl_device_type type; /* matched with & ; 0 matches any */
	const char *vendor;  /* a case-insensitive part of the vendor name, or NULL for any */
	struct ampcl_device_profile p;
};

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
    {"gpu",
     0,
     NULL,
     {.conv_rows = 0,
      .conv_implicit = 1,
      .gemm_clblast = 1,
      .gemm_cpu_tiles = 0,
      .gemm_splitk = 1,
      .bn_group_elems = 0,
      .bn_contiguous = 0,
      .bn_local_max = 256,
      .pool_rows = 0,
      .bench_gemm_n = 4096,
      .bench_copy_bytes = (size_t)1 << 30}},
};

static int icontains(const char *s, const char *part)
{
	size_t n = strlen(part);
	for (; *s; s++)
		if (!strncasecmp(s, part, n))
			return 1;
	return 0;
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
		else if ((!r->type || (caps->type & r->type)) &&
			 (!r->vendor || icontains(caps->desc.vendor, r->vendor)))
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
	snprintf(buf, size, "the first row whose rule matches: %s%s%s%s (the device: type %s, vendor '%s')",
		 hit->type == CL_DEVICE_TYPE_CPU ? "type CPU" : hit->type ? "type GPU" : "any type",
		 hit->vendor ? ", vendor contains '" : "", hit->vendor ? hit->vendor : "",
		 hit->vendor ? "'" : "", type, caps->desc.vendor);
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
