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

#endif
