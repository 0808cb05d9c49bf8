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

/* im2col_forward for CPUs: one work-item per output row of col, (c*R*S + r*S + s, b, p),
 * looping over q, so the index arithmetic (divisions) is paid once per row rather than per
 * element, and each work-item writes Q contiguous floats. Launch: global (p, images, c*r*s). */
__kernel void im2col_rows_forward(__global float *col, uint col_off, __global const float *x,
			     uint x_off, uint c, uint h, uint w, uint r, uint s, uint stride,
			     uint pad, uint p, uint q, uint images)
{
	const uint op = get_global_id(0), b = get_global_id(1), row = get_global_id(2);
	if (op >= p || b >= images || row >= c * r * s)
		return;
	const uint ch = row / (r * s), kr = (row / s) % r, ks = row % s;
	__global float *out = col + col_off + row * (images * p * q) + (b * p + op) * q;
	const int ih = (int)(op * stride + kr) - (int)pad;
	if (ih < 0 || ih >= (int)h) {
		for (uint oq = 0; oq < q; oq++)
			out[oq] = 0.0f;
		return;
	}
	__global const float *in = x + x_off + ((b * c + ch) * h + (uint)ih) * w;
	/* iw = oq*stride + ks - pad lies inside [0, w) for oq in [lo, hi) */
	const int first = (int)ks - (int)pad;
	uint lo = first >= 0 ? 0 : ((uint)(-first) + stride - 1) / stride;
	uint hi = (int)w - first <= 0 ? 0 : ((uint)((int)w - first) + stride - 1) / stride;
	lo = min(lo, q);
	hi = max(min(hi, q), lo);
	for (uint oq = 0; oq < lo; oq++)
		out[oq] = 0.0f;
	if (stride == 1)
		for (uint oq = lo; oq < hi; oq++)
			out[oq] = in[(int)oq + first];
	else
		for (uint oq = lo; oq < hi; oq++)
			out[oq] = in[(int)(oq * stride) + first];
	for (uint oq = hi; oq < q; oq++)
		out[oq] = 0.0f;
}

/* col2im_backward for CPUs, with the same sums in the same order: one work-item per input row
 * (b, c, ih) looping over iw, so the row-level index work is paid once per row. Launch: global
 * (h, images*c). */
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
	for (uint iw = 0; iw < w; iw++) {
		float sum = 0.0f;
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
			for (uint ks = 0; ks < s; ks++) {
				int u = (int)(iw + pad) - (int)ks;
				if (u < 0)
					break; /* u only falls as ks grows */
				uint oq = (uint)u;
				if (stride != 1) {
					if (oq % stride)
						continue;
					oq /= stride;
				}
				if (oq < q)
					sum += drow[ks * cols + oq];
			}
		}
		out[iw] = (beta != 0.0f ? beta * out[iw] : 0.0f) + sum;
	}
}

/* Direct convolution for CPUs, stride 1: no im2col matrix (9x the input for 3x3, streamed
 * through memory twice) and no reshuffle. Each work-item computes CONV_DK output channels by 16
 * adjacent outputs of one output row as float16 accumulators; per input channel and tap it
 * loads 16 inputs as one vector and does CONV_DK vector FMAs with broadcast weights. */
#ifndef CONV_DK
#define CONV_DK 16
#endif
/* the widest kernel (s) the per-tap lane tables hold */
#ifndef CONV_MAXS
#define CONV_MAXS 7
#endif

/*
 * y[b][o][op][oq] = beta*y (beta 0: not read) + bias[o] (has_bias)
 *                   + sum over i, kr, ks of x[b][i][op - pad + kr][oq - pad + ks] * wt(o, i, kr, ks)
 * with x zero outside (h, wd) and wt(o, i, kr, ks) = w[w_off + o*wo + i*wi + tap], tap =
 * kr*s + ks, or (r-1-kr)*s + (s-1-ks) when flip. Forward: wo = C*R*S, wi = R*S, flip 0. The
 * input gradient of a stride-1 conv is the same sum over dy with the weight transposed and
 * flipped: wo = R*S, wi = C*R*S, flip 1, pad R-1-pad. Each output is one sum in the fixed order
 * (i, kr, ks), so it is bit-identical from run to run.
 * y: (images, ko, p, q)  x: (images, ci, h, wd); needs wd >= 16, q >= 1, s <= CONV_MAXS.
 * Launch: global (ceil(q/16), images*p, ceil(ko/CONV_DK)), any local size.
 */
__kernel void conv2d_direct_forward(__global float *y, uint y_off, __global const float *x,
				    uint x_off, __global const float *w, uint w_off,
				    __global const float *bias, uint bias_off, uint has_bias, uint ci,
				    uint h, uint wd, uint ko, uint p, uint q, uint r, uint s, uint pad,
				    uint wo, uint wi, uint flip, uint images, float beta)
{
	const uint q0 = get_global_id(0) * 16, bp = get_global_id(1);
	const uint o0 = get_global_id(2) * CONV_DK;
	if (q0 >= q || bp >= images * p || o0 >= ko)
		return;
	const uint b = bp / p, op = bp % p;

	/* Per tap column ks, lanes read input column iw0 + ks + lane: one vector load at a base
	 * clamped into the row, a permutation back to the lanes, zero where iw is outside. */
	const int iw0 = (int)q0 - (int)pad;
	int base[CONV_MAXS];
	uint16 perm[CONV_MAXS];
	int16 keep[CONV_MAXS];
	const int16 lane = (int16)(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15);
	for (uint ks = 0; ks < s; ks++) {
		int first = iw0 + (int)ks;
		base[ks] = clamp(first, 0, (int)wd - 16);
		int16 iw = first + lane;
		perm[ks] = convert_uint16(clamp(iw - base[ks], 0, 15));
		keep[ks] = iw >= 0 && iw < (int)wd;
	}

	uint orow[CONV_DK];
	float16 acc[CONV_DK];
	for (uint o = 0; o < CONV_DK; o++) {
		orow[o] = min(o0 + o, ko - 1) * wo; /* past ko: repeat, not stored */
		acc[o] = (float16)(0.0f);
	}
	for (uint i = 0; i < ci; i++) {
		__global const float *xc = x + x_off + (b * ci + i) * h * wd;
		__global const float *wc = w + w_off + i * wi;
		for (uint kr = 0; kr < r; kr++) {
			int ih = (int)(op + kr) - (int)pad;
			if (ih < 0 || ih >= (int)h)
				continue; /* zero padding adds nothing */
			__global const float *xr = xc + (uint)ih * wd;
			for (uint ks = 0; ks < s; ks++) {
				float16 xv = shuffle(vload16(0, xr + base[ks]), perm[ks]);
				xv = select((float16)(0.0f), xv, keep[ks]);
				uint tap = flip ? (r - 1 - kr) * s + (s - 1 - ks) : kr * s + ks;
				for (uint o = 0; o < CONV_DK; o++)
					acc[o] = fma((float16)(wc[orow[o] + tap]), xv, acc[o]);
			}
		}
	}

	for (uint o = 0; o < CONV_DK && o0 + o < ko; o++) {
		__global float *yr = y + y_off + ((b * ko + o0 + o) * p + op) * q;
		float16 v = acc[o];
		if (has_bias)
			v += bias[bias_off + o0 + o];
		if (q0 + 16 <= q) {
			if (beta != 0.0f)
				v += beta * vload16(0, yr + q0);
			vstore16(v, 0, yr + q0);
			continue;
		}
		float t[16];
		vstore16(v, 0, t);
		for (uint e = 0; q0 + e < q; e++)
			yr[q0 + e] = beta != 0.0f ? t[e] + beta * yr[q0 + e] : t[e];
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

/* db[k] += sum over b, pq of dy[b][k][pq]. One work-group per channel: each work-item sums a
 * fixed strided subset in order, then a fixed-shape tree in local memory halves the partial
 * sums; the order never depends on timing, so the result is deterministic. The host launches
 * groups of a power-of-two size (at most AMPCL_REDUCE_WG) with part of that many floats. */
__kernel void conv2d_bias_backward(__global float *db, uint db_off, __global const float *dy,
				   uint dy_off, uint k, uint pq, uint images,
				   __local float *part)
{
	uint ch = get_group_id(0), lid = get_local_id(0), wg = get_local_size(0);
	float sum = 0.0f;
	if (ch < k)
		for (uint i = lid; i < images * pq; i += wg)
			sum += dy[dy_off + ((i / pq) * k + ch) * pq + i % pq];
	part[lid] = sum;
	barrier(CLK_LOCAL_MEM_FENCE);
	for (uint span = wg / 2; span > 0; span /= 2) {
		if (lid < span)
			part[lid] += part[lid + span];
		barrier(CLK_LOCAL_MEM_FENCE);
	}
	if (lid == 0 && ch < k)
		db[db_off + ch] += part[0];
}
