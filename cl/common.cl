/* common.cl: definitions every kernel file shares; prepended to each file at build time.
 * Every kernel takes each buffer as (pointer, offset in floats) and guards its own index. */
#ifndef AMPCL_COMMON_CL
#define AMPCL_COMMON_CL

/* work-group size of the reduction kernels; a power of two */
#ifndef AMPCL_REDUCE_WG
#define AMPCL_REDUCE_WG 256
#endif

/* Element-wise kernels let each work-item own ELT_VEC consecutive elements (constants.h). */
#define ELT_VEC AMPCL_ELT_VEC

/* Elements i.. of p (n in all) as a float4; lanes past the end read as 0 */
float4 elt_load4(__global const float *p, uint i, uint n)
{
	if (n - i >= ELT_VEC)
		return vload4(0, p + i);
	float4 v = (float4)(0.0f);
	v.s0 = p[i];
	if (n - i > 1)
		v.s1 = p[i + 1];
	if (n - i > 2)
		v.s2 = p[i + 2];
	return v;
}

void elt_store4(__global float *p, uint i, uint n, float4 v)
{
	if (n - i >= ELT_VEC) {
		vstore4(v, 0, p + i);
		return;
	}
	p[i] = v.s0;
	if (n - i > 1)
		p[i + 1] = v.s1;
	if (n - i > 2)
		p[i + 2] = v.s2;
}

/* Per-channel reductions over planes (bn.cl, conv.cl's bias gradient) load REDUCE_VEC floats at
 * a time (constants.h), so PoCL's CPU code gets SIMD from the kernel itself rather than from its
 * work-group vectoriser, which gives up on per-work-item loops. */
#define REDUCE_VEC AMPCL_BN_VEC
#define AMPCL_CAT_(a, b) a##b
#define AMPCL_CAT(a, b) AMPCL_CAT_(a, b)
#define reduce_floatv AMPCL_CAT(float, REDUCE_VEC)
#define reduce_vload AMPCL_CAT(vload, REDUCE_VEC)
#define reduce_vstore AMPCL_CAT(vstore, REDUCE_VEC)

#ifndef REDUCE_CONTIG_MIN
#define REDUCE_CONTIG_MIN 64 /* contig = 1: fewest vector units per busy work-item */
#endif

/* The units [*u, *end) at stride *step that work-item lid of wg walks among `units`: one
 * contiguous run (contig = 1: CPUs, where PoCL runs a group's few work-items one after another
 * on one core, each streaming one range) or the group's stride (contig = 0: GPUs, neighbouring
 * work-items read neighbouring vectors). */
void reduce_span(uint lid, uint wg, uint units, uint contig, uint *u, uint *end, uint *step)
{
	if (contig) {
		uint per = max((units + wg - 1) / wg, (uint)REDUCE_CONTIG_MIN);
		*u = min(lid * per, units);
		*end = min(*u + per, units);
		*step = 1;
	} else {
		*u = lid;
		*end = units;
		*step = wg;
	}
}

#endif
