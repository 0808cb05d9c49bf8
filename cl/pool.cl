/* pool.cl: max-pool 2x2 stride 2 (floor, no padding) and global average pool, forward and
 * backward. Backward kernels gather: each dx element is written by one work-item, no atomics. */

/* no fma contraction: beta*dx + g rounds like the reference's float arithmetic */
#pragma OPENCL FP_CONTRACT OFF

/* A work-item owns 4 adjacent windows (max-pool) or elements (average pool), read and written
 * with vloadn/vstoren, which need only float alignment, so any view offset works; the host
 * sizes the launches for 4 (POOL_VEC in host/pool.c). The launches are 3-D (block, row,
 * plane) or 2-D (block, plane), so no work-item divides to find where it is: per-element
 * integer division ran the kernels at ~1 GB/s on CPUs. Extra items of a rounded-up range
 * return. */

/* Which of the four window elements (row-major: 0 1 / 2 3) is the maximum, by PyTorch's CPU
 * scan: start from -inf at element 0 and move on only when strictly greater or NaN, so ties
 * keep the first maximum. Forward and backward both use it (or its vector twin below, which
 * makes the same choice lane by lane), so they always agree. */
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

/* Four adjacent windows at once: r0 and r1 point at their top and bottom rows (8 floats each).
 * Returns each window's argmax index 0..3 and sets its maximum in *best. */
int4 maxpool2_argmax4(__global const float *r0, __global const float *r1, float4 *best)
{
	float8 a = vload8(0, r0), b = vload8(0, r1);
	float4 v[4] = {a.even, a.odd, b.even, b.odd};
	float4 m = (float4)(-INFINITY);
	int4 arg = (int4)(0);
	for (int t = 0; t < 4; t++) {
		int4 take = isgreater(v[t], m) | isnan(v[t]);
		m = select(m, v[t], take);
		arg = select(arg, (int4)(t), take);
	}
	*best = m;
	return arg;
}

/* y: (planes, h/2, wd/2)  x: (planes, h, wd)
 * range: (ceil(q / (4 * span)), p, planes); one work-item per span blocks of 4 adjacent
 * outputs of a row (span 1 on GPUs, many on CPUs: see host/pool.c) */
__kernel void maxpool2_forward(__global float *y, uint y_off, __global const float *x, uint x_off,
			       uint planes, uint h, uint wd, uint span)
{
	uint p = h / 2, q = wd / 2;
	uint iq = get_global_id(0) * 4 * span, ip = get_global_id(1), pl = get_global_id(2);
	if (iq >= q || ip >= p || pl >= planes)
		return;
	uint end = min(q, iq + 4 * span);
	__global const float *r0 = x + x_off + (pl * h + 2 * ip) * wd;
	__global float *yo = y + y_off + (pl * p + ip) * q;
	for (; iq + 4 <= end; iq += 4) {
		float4 best;
		maxpool2_argmax4(r0 + 2 * iq, r0 + wd + 2 * iq, &best);
		vstore4(best, 0, yo + iq);
	}
	for (; iq < end; iq++) {
		float best;
		maxpool2_argmax(r0 + 2 * iq, wd, &best);
		yo[iq] = best;
	}
}

/* *d = beta * *d + g; beta 0 never reads *d, which may hold NaN */
void maxpool2_put(__global float *d, float beta, float g)
{
	float acc = beta != 0.0f ? beta * *d : 0.0f;
	*d = acc + g;
}

/* dx = beta*dx + (this element is its window's argmax ? dy of the window : 0). The last row
 * or column of an odd h or wd belongs to no window and gets only beta*dx.
 * dx, x: (planes, h, wd)  dy: (planes, h/2, wd/2)
 * range: (ceil(ceil(wd/2) / (4 * span)), ceil(h/2), planes); one work-item per two dx rows
 * (one on a dropped odd last row) by 4 * span window columns (the dropped odd last column
 * included), span as in maxpool2_forward */
__kernel void maxpool2_backward(__global float *dx, uint dx_off, __global const float *dy,
				uint dy_off, __global const float *x, uint x_off, float beta,
				uint planes, uint h, uint wd, uint span)
{
	uint p = h / 2, q = wd / 2;
	uint iq = get_global_id(0) * 4 * span, ip = get_global_id(1), pl = get_global_id(2);
	if (2 * iq >= wd || 2 * ip >= h || pl >= planes)
		return;
	uint jend = min(wd, 2 * (iq + 4 * span));
	uint row = (pl * h + 2 * ip) * wd;
	__global float *d0 = dx + dx_off + row, *d1 = d0 + wd;
	if (ip == p) {
		for (uint j = 2 * iq; j < jend; j++)
			maxpool2_put(d0 + j, beta, 0.0f);
		return;
	}
	__global const float *x0 = x + x_off + row, *x1 = x0 + wd;
	__global const float *g0 = dy + dy_off + (pl * p + ip) * q;
	uint wend = min(q, iq + 4 * span);
	for (; iq + 4 <= wend; iq += 4) {
		float4 best;
		int4 arg = maxpool2_argmax4(x0 + 2 * iq, x1 + 2 * iq, &best);
		float4 g = vload4(0, g0 + iq), z = (float4)(0.0f);
		float4 a = select(z, g, arg == 0), b = select(z, g, arg == 1);
		float4 c = select(z, g, arg == 2), e = select(z, g, arg == 3);
		float8 top = (float8)(a.s0, b.s0, a.s1, b.s1, a.s2, b.s2, a.s3, b.s3);
		float8 bot = (float8)(c.s0, e.s0, c.s1, e.s1, c.s2, e.s2, c.s3, e.s3);
		float8 acc0 = (float8)(0.0f), acc1 = (float8)(0.0f);
		if (beta != 0.0f) {
			acc0 = beta * vload8(0, d0 + 2 * iq);
			acc1 = beta * vload8(0, d1 + 2 * iq);
		}
		vstore8(acc0 + top, 0, d0 + 2 * iq);
		vstore8(acc1 + bot, 0, d1 + 2 * iq);
	}
	for (; iq < wend; iq++) {
		float best;
		uint arg = maxpool2_argmax(x0 + 2 * iq, wd, &best);
		float g = g0[iq];
		maxpool2_put(d0 + 2 * iq, beta, arg == 0 ? g : 0.0f);
		maxpool2_put(d0 + 2 * iq + 1, beta, arg == 1 ? g : 0.0f);
		maxpool2_put(d1 + 2 * iq, beta, arg == 2 ? g : 0.0f);
		maxpool2_put(d1 + 2 * iq + 1, beta, arg == 3 ? g : 0.0f);
	}
	if (jend > 2 * q) {
		maxpool2_put(d0 + 2 * q, beta, 0.0f);
		maxpool2_put(d1 + 2 * q, beta, 0.0f);
	}
}

/* y: (planes)  x: (planes, hw). For GPUs: a work-group of G items holds G/lanes planes, `lanes`
 * items (a power of two) per plane: each lane sums a strided slice in order, then the lanes
 * combine by a fixed tree in local memory, so the result does not vary from run to run.
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

/* The same mean for CPUs: one work-item per plane walks it contiguously, four running sums
 * (element i into sum i % 4) and one for the hw % 4 tail, combined as ((s0 + s1) + (s2 + s3)) +
 * tail: a fixed order with no
 * barrier, which a CPU runtime would otherwise split the kernel at.
 * y: (planes)  x: (planes, hw); range: (planes) */
__kernel void avgpool_plane_forward(__global float *y, uint y_off, __global const float *x,
				    uint x_off, uint planes, uint hw)
{
	uint pl = get_global_id(0);
	if (pl >= planes)
		return;
	__global const float *xp = x + x_off + pl * hw;
	float4 s = (float4)(0.0f);
	float tail = 0.0f;
	uint i = 0;
	for (; i + 4 <= hw; i += 4)
		s += vload4(0, xp + i);
	for (; i < hw; i++)
		tail += xp[i];
	y[y_off + pl] = (((s.s0 + s.s1) + (s.s2 + s.s3)) + tail) / (float)hw;
}

/* dx = beta*dx + dy/hw.  dx: (planes, hw)  dy: (planes)
 * range: (ceil(hw / 4), planes); one work-item per 4 elements of a plane */
__kernel void avgpool_backward(__global float *dx, uint dx_off, __global const float *dy,
			       uint dy_off, float beta, uint planes, uint hw)
{
	uint i = get_global_id(0) * 4, pl = get_global_id(1);
	if (i >= hw || pl >= planes)
		return;
	float g = dy[dy_off + pl] / (float)hw;
	__global float *d = dx + dx_off + pl * hw + i;
	if (i + 4 <= hw) {
		float4 acc = (float4)(0.0f);
		if (beta != 0.0f)
			acc = beta * vload4(0, d);
		vstore4(acc + g, 0, d);
		return;
	}
	for (uint k = 0; k < hw - i; k++) {
		float acc = beta != 0.0f ? beta * d[k] : 0.0f;
		d[k] = acc + g;
	}
}
