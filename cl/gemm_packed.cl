/* gemm_packed.cl: GEMM for CPU devices in the BLIS shape: op(A) and op(B) are packed into panels,
 * then each work-item multiplies one A panel by one B panel over a run of k, keeping its
 * PK_MR x PK_NR block of C in named vector registers (no private arrays, no shuffles). */

/* PK_VW: floats per SIMD register (the device's native float vector width, 8 or 16); a B panel
 * is two of them wide. PK_MR: rows of an A panel, so that 2*PK_MR accumulators + 3 fit in the
 * register file (16 registers: 6; 32: 12). */
#ifndef PK_VW
#define PK_VW 16
#endif
#ifndef PK_MR
#define PK_MR 12
#endif
#define PK_NR (2 * PK_VW)

#define PK_CAT_(a, b) a##b
#define PK_CAT(a, b) PK_CAT_(a, b)
#define pk_vec PK_CAT(float, PK_VW)
#define pk_vload PK_CAT(vload, PK_VW)
#define pk_vstore PK_CAT(vstore, PK_VW)

#if PK_MR != 4 && PK_MR != 6 && PK_MR != 8 && PK_MR != 12
#error "PK_MR must be 4, 6, 8 or 12"
#endif

/*
 * Packed layouts (for each of `batches` products):
 *   ap: (mp panels, k, PK_MR): ap[((z*mp + i)*k + kk)*PK_MR + r] = op(A)[i*PK_MR + r][kk]
 *   bp: (np panels, k, PK_NR): bp[((z*np + j)*k + kk)*PK_NR + c] = op(B)[kk][j*PK_NR + c]
 * rows and columns past m and n are packed as 0, so the micro-kernel has no edges.
 * a: op(A) (m, k), stored (m, k) or, when trans_a, (k, m), row stride lda, batch stride stride_a.
 * b: op(B) (k, n), stored (k, n) or, when trans_b, (n, k), row stride ldb, batch stride stride_b.
 */

/* global (k, mp, batches): one k of one A panel */
__kernel void gemm_pack_a(__global float *ap, uint ap_off, __global const float *a, uint a_off,
			  uint lda, uint stride_a, uint m, uint k, uint mp, uint trans_a)
{
	const uint kk = get_global_id(0), i = get_global_id(1), z = get_global_id(2);
	if (kk >= k)
		return;
	__global float *dst = ap + ap_off + ((size_t)(z * mp + i) * k + kk) * PK_MR;
	__global const float *src = a + a_off + (size_t)z * stride_a;
	for (uint r = 0; r < PK_MR; r++) {
		const uint row = i * PK_MR + r;
		dst[r] = row < m ? (trans_a ? src[(size_t)kk * lda + row] : src[(size_t)row * lda + kk])
				 : 0.0f;
	}
}

/* global (k, np, batches): one k of one B panel */
__kernel void gemm_pack_b(__global float *bp, uint bp_off, __global const float *b, uint b_off,
			  uint ldb, uint stride_b, uint n, uint k, uint np, uint trans_b)
{
	const uint kk = get_global_id(0), j = get_global_id(1), z = get_global_id(2);
	if (kk >= k)
		return;
	__global float *dst = bp + bp_off + ((size_t)(z * np + j) * k + kk) * PK_NR;
	__global const float *src = b + b_off + (size_t)z * stride_b;
	const uint col0 = j * PK_NR;
	if (!trans_b && col0 + PK_NR <= n) {
		__global const float *row = src + (size_t)kk * ldb + col0;
		pk_vstore(pk_vload(0, row), 0, dst);
		pk_vstore(pk_vload(1, row), 1, dst);
		return;
	}
	for (uint c = 0; c < PK_NR; c++) {
		const uint col = col0 + c;
		dst[c] = col < n ? (trans_b ? src[(size_t)col * ldb + kk] : src[(size_t)kk * ldb + col])
				 : 0.0f;
	}
}

/* The accumulators of row r: two vectors, named so the compiler keeps them in registers. */
#define PK_DECL(r) pk_vec c##r##a = 0.0f, c##r##b = 0.0f;
#define PK_FMA(r)                                                                                  \
	{                                                                                          \
		const pk_vec av = (pk_vec)(pa[r]);                                                 \
		c##r##a = fma(av, b0, c##r##a);                                                    \
		c##r##b = fma(av, b1, c##r##b);                                                    \
	}
#if PK_MR == 4
#define PK_ROWS(X) X(0) X(1) X(2) X(3)
#elif PK_MR == 6
#define PK_ROWS(X) X(0) X(1) X(2) X(3) X(4) X(5)
#elif PK_MR == 8
#define PK_ROWS(X) X(0) X(1) X(2) X(3) X(4) X(5) X(6) X(7)
#else
#define PK_ROWS(X) X(0) X(1) X(2) X(3) X(4) X(5) X(6) X(7) X(8) X(9) X(10) X(11)
#endif

/* Row r of the block into C (alpha, beta; C unread when beta == 0), cut at m and n. C's
 * columns lie in runs of c_seg, c_seg_stride apart (an NCHW tensor's images; a plain matrix has
 * one run): the block's columns go as two vectors when they share a run, else one by one. */
#define PK_STORE_C(r)                                                                              \
	if (row0 + r < m) {                                                                        \
		pk_vec va = alpha * c##r##a, vb = alpha * c##r##b;                                 \
		if (whole) {                                                                       \
			__global float *cr = cz + (size_t)(row0 + r) * ldc + (size_t)seg0 * c_seg_stride + \
					     off0;                                                 \
			if (beta != 0.0f) {                                                        \
				va += beta * pk_vload(0, cr);                                      \
				vb += beta * pk_vload(1, cr);                                      \
			}                                                                          \
			pk_vstore(va, 0, cr);                                                      \
			pk_vstore(vb, 1, cr);                                                      \
		} else {                                                                           \
			float t[PK_NR];                                                            \
			pk_vstore(va, 0, t);                                                       \
			pk_vstore(vb, 1, t);                                                       \
			__global float *crow = cz + (size_t)(row0 + r) * ldc;                      \
			uint seg = seg0, off = off0;                                               \
			for (uint c = 0; c < PK_NR && col0 + c < n; c++) {                         \
				__global float *e = crow + (size_t)seg * c_seg_stride + off;               \
				*e = beta != 0.0f ? t[c] + beta * *e : t[c];                       \
				if (++off == c_seg)                                                \
					off = 0, seg++;                                            \
			}                                                                          \
		}                                                                                  \
	}
/* Row r of the block, whole, into this chunk's slot of the split-k workspace. */
#define PK_STORE_PART(r)                                                                           \
	pk_vstore(c##r##a, 0, pp + r * PK_NR);                                                     \
	pk_vstore(c##r##b, 1, pp + r * PK_NR);

/*
 * global (mp, np, batches*chunks), local size 1: the block (i, j) of product z over the k run
 * [ch*kc, min(k, (ch+1)*kc)). One chunk: C = alpha*block + beta*C. Several: the block goes to
 * part[((z*chunks + ch)*mp + i)*np + j] (PK_MR x PK_NR floats), gemm_packed_sum adds them.
 * Panels of A are shared by every product when a_batches is 1 (likewise B).
 */
__kernel void gemm_packed_micro(__global float *c, uint c_off, uint ldc, uint stride_c,
				uint c_seg, uint c_seg_stride, __global const float *ap, uint ap_off,
				uint a_batches,
				__global const float *bp, uint bp_off, uint b_batches, uint m,
				uint n, uint k, uint mp, uint np, uint kc, uint chunks, float alpha,
				float beta, __global float *part, uint part_off)
{
	const uint i = get_global_id(0), j = get_global_id(1), zc = get_global_id(2);
	const uint z = zc / chunks, ch = zc % chunks;
	const uint k0 = ch * kc, k1 = min(k, k0 + kc);
	__global const float *pa =
	    ap + ap_off + ((size_t)((a_batches > 1 ? z : 0) * mp + i) * k + k0) * PK_MR;
	__global const float *pb =
	    bp + bp_off + ((size_t)((b_batches > 1 ? z : 0) * np + j) * k + k0) * PK_NR;
	PK_ROWS(PK_DECL)
	for (uint kk = k0; kk < k1; kk++) {
		const pk_vec b0 = pk_vload(0, pb), b1 = pk_vload(1, pb);
		PK_ROWS(PK_FMA)
		pa += PK_MR;
		pb += PK_NR;
	}
	if (chunks == 1) {
		const uint row0 = i * PK_MR, col0 = j * PK_NR;
		const uint seg0 = col0 / c_seg, off0 = col0 % c_seg;
		const int whole = col0 + PK_NR <= n && off0 + PK_NR <= c_seg;
		__global float *cz = c + c_off + (size_t)z * stride_c;
		PK_ROWS(PK_STORE_C)
	} else {
		__global float *pp =
		    part + part_off + ((size_t)(zc * mp + i) * np + j) * (PK_MR * PK_NR);
		PK_ROWS(PK_STORE_PART)
	}
}

/* global (n, m, batches): C = alpha * (the chunks' blocks summed in chunk order) + beta*C */
__kernel void gemm_packed_sum(__global float *c, uint c_off, uint ldc, uint stride_c,
			      uint c_seg, uint c_seg_stride, __global const float *part, uint part_off, uint m, uint n, uint mp,
			      uint np, uint chunks, float alpha, float beta)
{
	const uint col = get_global_id(0), row = get_global_id(1), z = get_global_id(2);
	if (col >= n || row >= m)
		return;
	const uint i = row / PK_MR, r = row % PK_MR, j = col / PK_NR, cc = col % PK_NR;
	const size_t block = (size_t)mp * np * (PK_MR * PK_NR);
	__global const float *p = part + part_off + (size_t)z * chunks * block +
				  ((size_t)i * np + j) * (PK_MR * PK_NR) + r * PK_NR + cc;
	float s = 0.0f;
	for (uint ch = 0; ch < chunks; ch++)
		s += p[(size_t)ch * block];
	__global float *cp = c + c_off + (size_t)z * stride_c + (size_t)row * ldc +
			     (size_t)(col / c_seg) * c_seg_stride + col % c_seg;
	*cp = beta != 0.0f ? alpha * s + beta * *cp : alpha * s;
}

/* ---- packing straight from convolution tensors (no im2col matrix, no reshuffle) ---- */

/* A (rows, k) from an NCHW tensor whose channels are the rows: op(A)[row][kk] with kk = b*pq +
 * pixel is t[b*rows*pq + row*pq + pixel] (a convolution's dy as its (k, images*pq) matrix).
 * global (k, mp). */
__kernel void conv_pack_a_nchw(__global float *ap, uint ap_off, __global const float *t,
			       uint t_off, uint rows, uint pq, uint k, uint mp)
{
	const uint kk = get_global_id(0), i = get_global_id(1);
	if (kk >= k)
		return;
	__global float *dst = ap + ap_off + ((size_t)i * k + kk) * PK_MR;
	const uint b = kk / pq, pix = kk % pq;
	__global const float *src = t + t_off + (size_t)b * rows * pq + pix;
	for (uint r = 0; r < PK_MR; r++) {
		const uint row = i * PK_MR + r;
		dst[r] = row < rows ? src[(size_t)row * pq] : 0.0f;
	}
}

/* B (k, n) from an NCHW tensor whose channels are k: op(B)[kk][col] with col = b*pq + pixel is
 * t[b*k*pq + kk*pq + pixel]. global (k, np). */
__kernel void conv_pack_b_nchw(__global float *bp, uint bp_off, __global const float *t,
			       uint t_off, uint pq, uint n, uint k, uint np)
{
	const uint kk = get_global_id(0), j = get_global_id(1);
	if (kk >= k)
		return;
	__global float *dst = bp + bp_off + ((size_t)j * k + kk) * PK_NR;
	const uint col0 = j * PK_NR;
	uint b = col0 / pq, pix = col0 % pq;
	if (col0 + PK_NR <= n && pix + PK_NR <= pq) {
		__global const float *src = t + t_off + ((size_t)b * k + kk) * pq + pix;
		pk_vstore(pk_vload(0, src), 0, dst);
		pk_vstore(pk_vload(1, src), 1, dst);
		return;
	}
	for (uint c = 0; c < PK_NR; c++) {
		dst[c] = col0 + c < n ? t[t_off + ((size_t)b * k + kk) * pq + pix] : 0.0f;
		if (++pix == pq)
			pix = 0, b++;
	}
}

/* B (c*r*s, images*p*q), x's im2col matrix, packed straight from x (NCHW, images from x_off):
 * op(B)[(ch, kr, ks)][(b, op, oq)] = x[b][ch][op*stride + kr - pad][oq*stride + ks - pad], 0
 * outside. global (c*r*s, np). */
__kernel void conv_pack_b_im2col(__global float *bp, uint bp_off, __global const float *x,
				 uint x_off, uint c, uint h, uint w, uint r, uint s, uint stride,
				 uint pad, uint p, uint q, uint n)
{
	const uint kk = get_global_id(0), j = get_global_id(1);
	const uint k = c * r * s;
	if (kk >= k)
		return;
	__global float *dst = bp + bp_off + ((size_t)j * k + kk) * PK_NR;
	const uint ch = kk / (r * s), kr = (kk / s) % r, ks = kk % s;
	const uint col0 = j * PK_NR, pq = p * q;
	uint b = col0 / pq, op = col0 % pq / q, oq = col0 % q;
	for (uint cc = 0; cc < PK_NR; cc++) {
		const int ih = (int)(op * stride + kr) - (int)pad;
		const int iw = (int)(oq * stride + ks) - (int)pad;
		dst[cc] = col0 + cc < n && ih >= 0 && ih < (int)h && iw >= 0 && iw < (int)w
			      ? x[x_off + (((size_t)b * c + ch) * h + (uint)ih) * w + (uint)iw]
			      : 0.0f;
		if (++oq == q) {
			oq = 0;
			if (++op == p)
				op = 0, b++;
		}
	}
}

/* B (images*p*q, c*r*s), the im2col matrix transposed, packed straight from x:
 * op(B)[(b, op, oq)][(ch, kr, ks)] as above. One work-item packs one output row (b, op) of one
 * panel: per column (ch, kr, ks) it reads a run of x's row (contiguous at stride 1) and writes
 * it down the panel, q rows of PK_NR floats that stay in L1. global (p, images, np). */
__kernel void conv_pack_b_im2col_t(__global float *bp, uint bp_off, __global const float *x,
				   uint x_off, uint c, uint h, uint w, uint r, uint s, uint stride,
				   uint pad, uint p, uint q, uint k)
{
	const uint op = get_global_id(0), b = get_global_id(1), j = get_global_id(2);
	const uint n = c * r * s;
	if (op >= p || (b * p + op) * q >= k)
		return;
	const uint kk0 = (b * p + op) * q;
	__global float *dst = bp + bp_off + ((size_t)j * k + kk0) * PK_NR;
	const uint col0 = j * PK_NR;
	uint ch = col0 / (r * s), kr = (col0 / s) % r, ks = col0 % s;
	for (uint cc = 0; cc < PK_NR; cc++) {
		const int ih = (int)(op * stride + kr) - (int)pad;
		if (col0 + cc >= n || ih < 0 || ih >= (int)h) {
			for (uint oq = 0; oq < q; oq++)
				dst[oq * PK_NR + cc] = 0.0f;
		} else {
			__global const float *in = x + x_off + (((size_t)b * c + ch) * h + (uint)ih) * w;
			/* iw = oq*stride + ks - pad lies inside [0, w) for oq in [lo, hi) */
			const int first = (int)ks - (int)pad;
			uint lo = first >= 0 ? 0 : ((uint)(-first) + stride - 1) / stride;
			uint hi = (int)w - first <= 0 ? 0
						       : ((uint)((int)w - first) + stride - 1) / stride;
			lo = min(lo, q);
			hi = max(min(hi, q), lo);
			for (uint oq = 0; oq < lo; oq++)
				dst[oq * PK_NR + cc] = 0.0f;
			for (uint oq = lo; oq < hi; oq++)
				dst[oq * PK_NR + cc] = in[(int)(oq * stride) + first];
			for (uint oq = hi; oq < q; oq++)
				dst[oq * PK_NR + cc] = 0.0f;
		}
		if (++ks == s) {
			ks = 0;
			if (++kr == r)
				kr = 0, ch++;
		}
	}
}
