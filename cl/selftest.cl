/* selftest.cl: kernels `ampcl verify` probes the device with: what its compiler does to ampcl's
 * kernels (a long loop runs all of its iterations) and its local memory and barriers. */

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
