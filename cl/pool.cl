/* pool.cl: max-pool 2x2 stride 2 (floor, no padding) and global average pool, forward and
 * backward. Backward kernels gather: each dx element computes its own value, so no atomics. */

/* no fma contraction: beta*dx + g rounds like the reference's float arithmetic */
#pragma OPENCL FP_CONTRACT OFF

/* Which of the four window elements (row-major: 0 1 / 2 3) is the maximum, by PyTorch's CPU
 * scan: start from -inf at element 0 and move on only when strictly greater or NaN, so ties
 * keep the first maximum. Forward and backward both use it, so they always agree. */
uint maxpool2_argmax(__global const float *w0, uint wd, float *best)
{
	float v[4] = {w0[0], w0[1], w0[wd], w0[wd + 1]};
	float b = -INFINITY;
	uint arg = 0;
	for (uint t = 0; t < 4; t++)
		if (v[t] > b || isnan(v[t])) {
			b = v[t];
			arg = t;
		}
	*best = b;
	return arg;
}

/* y: (planes, h/2, wd/2)  x: (planes, h, wd); one work-item per output element */
__kernel void maxpool2_forward(__global float *y, uint y_off, __global const float *x, uint x_off,
			       uint planes, uint h, uint wd)
{
	uint p = h / 2, q = wd / 2;
	uint o = get_global_id(0);
	if (o >= planes * p * q)
		return;
	uint pl = o / (p * q), r = o % (p * q), ip = r / q, iq = r % q;
	float best;
	maxpool2_argmax(x + x_off + (pl * h + 2 * ip) * wd + 2 * iq, wd, &best);
	y[y_off + o] = best;
}

/* dx = beta*dx + (this element is its window's argmax ? dy of the window : 0). The last row
 * or column of an odd h or wd belongs to no window and gets only beta*dx.
 * dx, x: (planes, h, wd)  dy: (planes, h/2, wd/2); one work-item per dx element */
__kernel void maxpool2_backward(__global float *dx, uint dx_off, __global const float *dy,
				uint dy_off, __global const float *x, uint x_off, float beta,
				uint planes, uint h, uint wd)
{
	uint p = h / 2, q = wd / 2;
	uint e = get_global_id(0);
	if (e >= planes * h * wd)
		return;
	uint pl = e / (h * wd), r = e % (h * wd), i = r / wd, j = r % wd;
	float g = 0.0f;
	if (i < 2 * p && j < 2 * q) {
		uint ip = i / 2, iq = j / 2;
		float best;
		uint arg = maxpool2_argmax(x + x_off + (pl * h + 2 * ip) * wd + 2 * iq, wd, &best);
		if (arg == (i & 1) * 2 + (j & 1))
			g = dy[dy_off + (pl * p + ip) * q + iq];
	}
	float acc = beta != 0.0f ? beta * dx[dx_off + e] : 0.0f;
	dx[dx_off + e] = acc + g;
}

/* y: (planes)  x: (planes, hw). A work-group of G items holds G/lanes planes, `lanes` items
 * (a power of two) per plane: each lane sums a strided slice in order, then the lanes combine
 * by a fixed tree in local memory, so the result does not vary from run to run.
 * part: G floats of local memory */
__kernel void avgpool_forward(__global float *y, uint y_off, __global const float *x, uint x_off,
			      uint planes, uint hw, uint lanes, __local float *part)
{
	uint lid = get_local_id(0);
	uint lane = lid & (lanes - 1);
	uint pl = get_group_id(0) * (get_local_size(0) / lanes) + lid / lanes;
	float acc = 0.0f;
	if (pl < planes)
		for (uint i = lane; i < hw; i += lanes)
			acc += x[x_off + pl * hw + i];
	part[lid] = acc;
	barrier(CLK_LOCAL_MEM_FENCE);
	/* every item reaches every barrier, in range or not */
	for (uint s = lanes / 2; s > 0; s /= 2) {
		if (lane < s)
			part[lid] += part[lid + s];
		barrier(CLK_LOCAL_MEM_FENCE);
	}
	if (lane == 0 && pl < planes)
		y[y_off + pl] = part[lid] / (float)hw;
}

/* dx = beta*dx + dy/hw.  dx: (planes, hw)  dy: (planes); one work-item per dx element */
__kernel void avgpool_backward(__global float *dx, uint dx_off, __global const float *dy,
			       uint dy_off, float beta, uint planes, uint hw)
{
	uint e = get_global_id(0);
	if (e >= planes * hw)
		return;
	float acc = beta != 0.0f ? beta * dx[dx_off + e] : 0.0f;
	dx[dx_off + e] = acc + dy[dy_off + e / hw] / (float)hw;
}
