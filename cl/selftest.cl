/* selftest.cl: kernels `ampcl selftest` runs to check what the device's compiler does to ampcl's
 * kernels: here, whether a long loop runs all of its iterations. */

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
