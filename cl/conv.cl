/* conv.cl: the helpers around GEMM that make a 2-D convolution: im2col and its gather-form
 * inverse col2im (per element for GPUs, per row for CPUs), the (K, B*P*Q) <-> NCHW reshuffles,
 * bias add and the bias gradient. */

/*
 * Shapes, for a chunk of `images` images of x: (images, C, H, W) and y: (images, K, P, Q):
 *   col: (C*R*S, images*P*Q), row (c*R + r)*S + s, column b*P*Q + p*Q + q
 *   t:   (K, images*P*Q), the GEMM's output W x col before it becomes NCHW
 */

/* col[(c, r, s)][(b, p, q)] = x[b][c][p*stride - pad + r][q*stride - pad + s], 0 outside x.
 * One work-item per col element, in col's order, so neighbouring work-items write neighbouring
 * words (coalesced on GPUs). */
__kernel void im2col_forward(__global float *col, uint col_off, __global const float *x,
			     uint x_off, uint c, uint h, uint w, uint r, uint s, uint stride,
			     uint pad, uint p, uint q, uint images)
{
	uint i = get_global_id(0);
	uint cols = images * p * q;
	if (i >= c * r * s * cols)
		return;
	uint row = i / cols, j = i % cols;
	uint b = j / (p * q), pq = j % (p * q);
	uint ch = row / (r * s), rs = row % (r * s);
	int ih = (int)((pq / q) * stride + rs / s) - (int)pad;
	int iw = (int)((pq % q) * stride + rs % s) - (int)pad;
	float v = 0.0f;
	if (ih >= 0 && ih < (int)h && iw >= 0 && iw < (int)w)
		v = x[x_off + ((b * c + ch) * h + (uint)ih) * w + (uint)iw];
	col[col_off + i] = v;
}

/* dx = beta*dx + the sum of every dcol element im2col copied from that pixel. Gather form:
 * one work-item per pixel of dx adds its (at most R*S) contributions in a fixed order, so
 * nothing is shared and the result is bit-identical run after run. beta == 0 never reads dx.
 * dx: (images, C, H, W)  dcol: (C*R*S, images*P*Q) */
__kernel void col2im_backward(__global float *dx, uint dx_off, __global const float *dcol,
			      uint dcol_off, uint c, uint h, uint w, uint r, uint s, uint stride,
			      uint pad, uint p, uint q, uint images, float beta)
{
	uint i = get_global_id(0);
	if (i >= images * c * h * w)
		return;
	uint iw = i % w, ih = (i / w) % h, ch = (i / (w * h)) % c, b = i / (w * h * c);
	uint cols = images * p * q;
	float sum = 0.0f;
	for (uint kr = 0; kr < r; kr++) {
		/* output row op reads input row op*stride - pad + kr == ih */
		int t = (int)(ih + pad) - (int)kr;
		if (t < 0 || t % (int)stride)
			continue;
		uint op = (uint)t / stride;
		if (op >= p)
			continue;
		for (uint ks = 0; ks < s; ks++) {
			int u = (int)(iw + pad) - (int)ks;
			if (u < 0 || u % (int)stride)
				continue;
			uint oq = (uint)u / stride;
			if (oq >= q)
				continue;
			sum += dcol[dcol_off + ((ch * r + kr) * s + ks) * cols + (b * p + op) * q + oq];
		}
	}
	dx[dx_off + i] = (beta != 0.0f ? beta * dx[dx_off + i] : 0.0f) + sum;
}

/* the columns col2im_rows_backward sums at a time in a private array */
#define COL2IM_ROW_MAX 64

/* col2im_backward for CPUs, with the same sums in the same order: one work-item per input row
 * (b, c, ih), which it sums COL2IM_ROW_MAX columns at a time in a private array, tap by tap:
 * each element still adds its terms in (kr, ks) order, and no division is paid per element and
 * tap. Launch: global (h, images*c). */
__kernel void col2im_rows_backward(__global float *dx, uint dx_off, __global const float *dcol,
			      uint dcol_off, uint c, uint h, uint w, uint r, uint s, uint stride,
			      uint pad, uint p, uint q, uint images, float beta)
{
	const uint ih = get_global_id(0), bc = get_global_id(1);
	if (ih >= h || bc >= images * c)
		return;
	const uint ch = bc % c, b = bc / c;
	const uint cols = images * p * q;
	__global float *out = dx + dx_off + (bc * h + ih) * w;
	for (uint iw0 = 0; iw0 < w; iw0 += COL2IM_ROW_MAX) {
		const uint iw1 = min(w, iw0 + COL2IM_ROW_MAX);
		float acc[COL2IM_ROW_MAX];
		for (uint iw = iw0; iw < iw1; iw++)
			acc[iw - iw0] = 0.0f;
		for (uint kr = 0; kr < r; kr++) {
			/* output row op reads input row op*stride - pad + kr == ih */
			int t = (int)(ih + pad) - (int)kr;
			if (t < 0 || t % (int)stride)
				continue;
			uint op = (uint)t / stride;
			if (op >= p)
				continue;
			__global const float *drow =
			    dcol + dcol_off + (ch * r + kr) * s * cols + (b * p + op) * q;
			for (uint ks = 0; ks < s; ks++, drow += cols) {
				/* iw = oq*stride + first for the outputs oq this tap reaches */
				const int first = (int)ks - (int)pad, need = (int)iw0 - first;
				uint oq = need <= 0 ? 0 : ((uint)need + stride - 1) / stride;
				for (int iw = (int)(oq * stride) + first; oq < q && iw < (int)iw1;
				     oq++, iw += (int)stride)
					acc[iw - (int)iw0] += drow[oq];
			}
		}
		for (uint iw = iw0; iw < iw1; iw++)
			out[iw] = (beta != 0.0f ? beta * out[iw] : 0.0f) + acc[iw - iw0];
	}
}

/* y[b][k][pq] = t[k][b*PQ + pq] (+ bias[k] when has_bias): the GEMM output of a chunk to NCHW.
 * One work-item per y element, in y's order. bias may be any buffer when has_bias is 0. */
__kernel void conv2d_output_forward(__global float *y, uint y_off, __global const float *t,
				    uint t_off, __global const float *bias, uint bias_off,
				    uint has_bias, uint k, uint pq, uint images)
{
	uint i = get_global_id(0);
	if (i >= images * k * pq)
		return;
	uint j = i % pq, ch = (i / pq) % k, b = i / (pq * k);
	float v = t[t_off + ch * images * pq + b * pq + j];
	if (has_bias)
		v += bias[bias_off + ch];
	y[y_off + i] = v;
}

/* t[k][b*PQ + pq] = dy[b][k][pq]: a chunk of the output gradient in the GEMMs' layout. */
__kernel void conv2d_output_backward(__global float *t, uint t_off, __global const float *dy,
				     uint dy_off, uint k, uint pq, uint images)
{
	uint i = get_global_id(0);
	if (i >= images * k * pq)
		return;
	uint j = i % pq, ch = (i / pq) % k, b = i / (pq * k);
	t[t_off + ch * images * pq + b * pq + j] = dy[dy_off + i];
}

/* y[b][k][pq] += bias[k], in place, for the paths whose GEMM writes NCHW directly. */
__kernel void conv2d_bias_forward(__global float *y, uint y_off, __global const float *bias,
				  uint bias_off, uint k, uint pq, uint images)
{
	uint i = get_global_id(0);
	if (i < images * k * pq)
		y[y_off + i] += bias[bias_off + (i / pq) % k];
}

/* db[k] += sum over b, pq of dy[b][k][pq]. One work-group per channel; its work-items walk the
 * channel's vectors of REDUCE_VEC floats (b, j) as one contiguous run each (contig = 1: CPUs) or
 * at the group's stride (contig = 0: GPUs, see reduce_span), and the planes' tails after their
 * last whole vector one float at a time; then each work-item's lanes in order, and the group's
 * sums in order (contig) or by a fixed-shape tree in local memory. The order never depends on
 * timing, so the result is deterministic. The host launches groups of a power-of-two size (at
 * most AMPCL_REDUCE_WG) with part of that many floats. */
__kernel void conv2d_bias_backward(__global float *db, uint db_off, __global const float *dy,
				   uint dy_off, uint k, uint pq, uint images, uint contig,
				   __local float *part)
{
	const uint ch = get_group_id(0), lid = get_local_id(0), wg = get_local_size(0);
	const uint nimg = ch < k ? images : 0, plane = k * pq;
	const uint hv = pq / REDUCE_VEC, tail = pq - hv * REDUCE_VEC;
	__global const float *dyc = dy + dy_off + (ch < k ? ch * pq : 0);
	uint u, end, step;

	reduce_floatv v = (reduce_floatv)(0.0f);
	reduce_span(lid, wg, nimg * hv, contig, &u, &end, &step);
	if (hv && u < end) {
		uint b = u / hv, j = u % hv;
		const uint sb = step / hv, sj = step % hv;
		for (; u < end; u += step) {
			v += reduce_vload(0, dyc + b * plane + j * REDUCE_VEC);
			b += sb;
			j += sj;
			if (j >= hv) {
				j -= hv;
				b++;
			}
		}
	}
	float sum = 0.0f;
	reduce_span(lid, wg, nimg * tail, contig, &u, &end, &step);
	for (; u < end; u += step)
		sum += dyc[(u / tail) * plane + hv * REDUCE_VEC + u % tail];
	float lanes[REDUCE_VEC];
	reduce_vstore(v, 0, lanes);
	for (uint l = 0; l < REDUCE_VEC; l++)
		sum += lanes[l];
	part[lid] = sum;
	barrier(CLK_LOCAL_MEM_FENCE);
	for (uint span = contig ? 0 : wg / 2; span > 0; span /= 2) {
		if (lid < span)
			part[lid] += part[lid + span];
		barrier(CLK_LOCAL_MEM_FENCE);
	}
	if (lid == 0 && ch < k) {
		float total = part[0];
		for (uint i = contig ? 1 : wg; i < wg; i++)
			total += part[i];
		db[db_off + ch] += total;
	}
}
