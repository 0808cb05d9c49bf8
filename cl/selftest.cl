/* selftest.cl: kernels `ampcl verify` probes the device with: what its compiler does to ampcl's
 * kernels (a long loop runs all of its iterations) and its local memory and barriers; and the
 * FMA peak `ampcl bench` draws its compute roof from. */

/*
 * One work-item sums v over outer x inner iterations of a nested loop, as the GEMM's k loop
 * around its tile loops does, into sum[0], and counts the iterations into sum[1]. The sum
 * depends on every iteration's load, so no compiler can fold the loop away; unsigned sums
 * wrap the same way on the host. Launch: global 1.
 */
__kernel void selftest_long_loop(__global uint *sum, uint sum_off, __global const uint *v,
				 uint v_off, uint len, uint outer, uint inner)
{
	sum += sum_off;
	v += v_off;
	uint acc = 0, count = 0;
	for (uint i = 0; i < outer; i++)
		for (uint j = 0; j < inner; j++) {
			acc += v[(i * inner + j) % len];
			count++;
		}
	sum[0] = acc;
	sum[1] = count;
}

/*
 * Local memory and barriers at the largest group the device runs: each group fills `n` words of
 * local memory (strided over its items), then after a barrier each item sums the words the
 * others wrote in reverse order, and a tree of barriers folds the items' sums into sum[group].
 * A missing barrier, a short local allocation or a group the device splits gives another sum.
 * part: local, lsz words (the tree); words: local, n words. Launch: groups x lsz items.
 */
__kernel void selftest_local(__global uint *sum, uint sum_off, __local uint *part,
			     __local uint *words, uint n)
{
	sum += sum_off;
	uint lid = get_local_id(0), lsz = get_local_size(0), grp = get_group_id(0);
	for (uint j = lid; j < n; j += lsz)
		words[j] = (j + 1) * 2654435761u + grp;
	barrier(CLK_LOCAL_MEM_FENCE);
	uint acc = 0;
	for (uint j = lid; j < n; j += lsz)
		acc += words[n - 1 - j] * (j % 7 + 1);
	part[lid] = acc;
	barrier(CLK_LOCAL_MEM_FENCE);
	for (uint step = lsz / 2; step > 0; step /= 2) {
		if (lid < step)
			part[lid] += part[lid + step];
		barrier(CLK_LOCAL_MEM_FENCE);
	}
	if (lid == 0)
		sum[grp] = part[0];
}

/*
 * The device's fused multiply-add rate: each work-item runs FMA_CHAINS independent chains of
 * float16 FMAs (enough in flight to hide an FMA unit's latency on CPUs and GPUs alike; a float16
 * is one AVX-512 register, two AVX2 ones), `iters` steps each, and stores their sum so no
 * compiler drops them. Every step is 2 * 16 * FMA_CHAINS FLOP. The values settle at a fixed
 * point (a * x + b with |a| < 1), so nothing overflows or goes subnormal.
 * out: one float per work-item. Launch: any 1-D range.
 */
#define FMA_CHAINS 8
__kernel void selftest_fma_peak(__global float *out, uint out_off, float a, float b, uint iters)
{
	const uint gid = get_global_id(0);
	float16 x0 = (float16)(gid * 1e-7f), x1 = x0 + 0.1f, x2 = x0 + 0.2f, x3 = x0 + 0.3f;
	float16 x4 = x0 + 0.4f, x5 = x0 + 0.5f, x6 = x0 + 0.6f, x7 = x0 + 0.7f;
	const float16 va = (float16)(a), vb = (float16)(b);
	for (uint i = 0; i < iters; i++) {
		x0 = fma(x0, va, vb);
		x1 = fma(x1, va, vb);
		x2 = fma(x2, va, vb);
		x3 = fma(x3, va, vb);
		x4 = fma(x4, va, vb);
		x5 = fma(x5, va, vb);
		x6 = fma(x6, va, vb);
		x7 = fma(x7, va, vb);
	}
	float16 s = ((x0 + x1) + (x2 + x3)) + ((x4 + x5) + (x6 + x7));
	float8 h = s.lo + s.hi;
	float4 q = h.lo + h.hi;
	out[out_off + gid] = (q.x + q.y) + (q.z + q.w);
}
