/* gemm_packed.cl: GEMM for CPU devices in the BLIS shape. op(A) is packed into panels of PK_MR
 * rows; each work-item gathers a strip of op(B), PK_NR columns by a run of k, into local memory
 * (which stays in its core's cache; from a matrix or straight from a convolution's tensors) and
 * multiplies every A panel by it, keeping a PK_MR x PK_NR block of C in named vector registers
 * (no private arrays, no shuffles). */

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
 *   a strip of B (local): strip[(kk - k0)*PK_NR + c] = op(B)[kk][j*PK_NR + c], kk in [k0, k1)
 * A's rows past m are packed as 0 and a strip's columns past n hold zeros or, in the im2col_t
 * strip, any of x's values: they reach only C's columns past n, which are never stored. So the
 * micro-kernel has no edges.
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
		dst[r] = row < m
			     ? (trans_a ? src[(size_t)kk * lda + row] : src[(size_t)row * lda + kk])
			     : 0.0f;
	}
}

/* ---- strips of op(B): PK_NR columns from col0, k in [k0, k1), into local memory ---- */

/* the kinds of B (host: enum ampcl_pack_kind) */
#define PK_B_MATRIX 0
#define PK_B_NCHW 1
#define PK_B_IM2COL 2
#define PK_B_IM2COL_T 3

/* A stored matrix: (k, n) at b with row stride ldb, or (n, k) when trans. */
static void strip_matrix(__local float *st, __global const float *b, uint ldb, uint trans, uint n,
			 uint k0, uint k1, uint col0)
{
	if (!trans && col0 + PK_NR <= n) {
		for (uint kk = k0; kk < k1; kk++, st += PK_NR) {
			__global const float *row = b + (size_t)kk * ldb + col0;
			pk_vstore(pk_vload(0, row), 0, st);
			pk_vstore(pk_vload(1, row), 1, st);
		}
		return;
	}
	for (uint cc = 0; cc < PK_NR; cc++) {
		const uint col = col0 + cc;
		for (uint kk = k0; kk < k1; kk++)
			st[(kk - k0) * PK_NR + cc] = col >= n ? 0.0f
						     : trans  ? b[(size_t)col * ldb + kk]
							      : b[(size_t)kk * ldb + col];
	}
}

/* An NCHW tensor of k channels as its (k, images*pq) matrix: [kk][b*pq + pix] = t[b][kk][pix]. */
static void strip_nchw(__local float *st, __global const float *t, uint k, uint pq, uint n, uint k0,
		       uint k1, uint col0)
{
	const uint b0 = col0 / pq, pix0 = col0 % pq;
	if (col0 + PK_NR <= n && pix0 + PK_NR <= pq) {
		for (uint kk = k0; kk < k1; kk++, st += PK_NR) {
			__global const float *src = t + ((size_t)b0 * k + kk) * pq + pix0;
			pk_vstore(pk_vload(0, src), 0, st);
			pk_vstore(pk_vload(1, src), 1, st);
		}
		return;
	}
	for (uint kk = k0; kk < k1; kk++, st += PK_NR) {
		uint b = b0, pix = pix0;
		for (uint cc = 0; cc < PK_NR; cc++) {
			st[cc] = col0 + cc < n ? t[((size_t)b * k + kk) * pq + pix] : 0.0f;
			if (++pix == pq)
				pix = 0, b++;
		}
	}
}

/* dst[0 .. count) = src[0 .. count), in vectors as far as they go (PoCL leaves a plain loop with
 * a run-time count scalar). */
static void copy_run(__local float *dst, __global const float *src, uint count)
{
	uint t = 0;
	for (; t + 16 <= count; t += 16)
		vstore16(vload16(0, src + t), 0, dst + t);
	if (t + 8 <= count) {
		vstore8(vload8(0, src + t), 0, dst + t);
		t += 8;
	}
	if (t + 4 <= count) {
		vstore4(vload4(0, src + t), 0, dst + t);
		t += 4;
	}
	for (; t < count; t++)
		dst[t] = src[t];
}

/* x's im2col matrix (c*r*s, images*p*q), from xp, x's planes zero-padded to (h + 2*pad) x
 * (w + 2*pad) by conv_pad_copy: op(B)[(ch, kr, ks)][(b, op, oq)] =
 * xp[b][ch][op*stride + kr][oq*stride + ks]. Each k is a run of whole or partial output rows,
 * each a plain copy of a padded input row (strided at stride > 1), with no bounds to test. */
static void strip_im2col(__local float *st, __global const float *xp, uint c, uint hp, uint wp,
			 uint r, uint s, uint stride, uint p, uint q, uint n, uint k0, uint k1,
			 uint col0)
{
	const uint pq = p * q, bs = col0 / pq, ops = col0 % pq / q, oqs = col0 % q;
	uint ch = k0 / (r * s), kr = (k0 / s) % r, ks = k0 % s;
	if (stride == 1 && col0 + PK_NR <= n && q >= PK_NR && q % PK_NR == 0) {
		/* the whole strip inside one output row (CIFAR's 32-wide layers): a k is two
		 * vectors of one padded input row */
		__global const float *row = xp + ((size_t)bs * c * hp + ops) * wp + oqs;
		for (uint kk = k0; kk < k1; kk++, st += PK_NR) {
			__global const float *src = row + (ch * hp + kr) * wp + ks;
			pk_vstore(pk_vload(0, src), 0, st);
			pk_vstore(pk_vload(1, src), 1, st);
			if (++ks == s) {
				ks = 0;
				if (++kr == r)
					kr = 0, ch++;
			}
		}
		return;
	}
	if (stride == 1 && col0 + PK_NR <= n && q >= 4 && PK_NR % q == 0) {
		/* the strip is PK_NR / q whole output rows (16, 8, 4 wide): their offsets once,
		 * then a k is a copy of one padded input row per output row */
		const uint rows = PK_NR / q;
		size_t off[PK_NR / 4];
		uint b = bs, op = ops;
		for (uint t = 0; t < rows; t++) {
			off[t] = ((size_t)b * c * hp + op) * wp;
			if (++op == p)
				op = 0, b++;
		}
		for (uint kk = k0; kk < k1; kk++, st += PK_NR) {
			const size_t tap = (ch * hp + kr) * wp + ks;
			for (uint t = 0; t < rows; t++)
				copy_run(st + t * q, xp + off[t] + tap, q);
			if (++ks == s) {
				ks = 0;
				if (++kr == r)
					kr = 0, ch++;
			}
		}
		return;
	}
	for (uint kk = k0; kk < k1; kk++, st += PK_NR) {
		uint b = bs, op = ops, oq = oqs, cc = 0;
		while (cc < PK_NR) {
			const uint len = min(q - oq, PK_NR - cc);
			const uint have = col0 + cc < n ? min(len, n - (col0 + cc)) : 0;
			__global const float *src =
			    xp + (((size_t)b * c + ch) * hp + op * stride + kr) * wp + oq * stride + ks;
			if (stride == 1)
				copy_run(st + cc, src, have);
			else
				for (uint t = 0; t < have; t++)
					st[cc + t] = src[t * stride];
			for (uint t = have; t < len; t++)
				st[cc + t] = 0.0f;
			cc += len;
			oq = 0;
			if (++op == p)
				op = 0, b++;
		}
		if (++ks == s) {
			ks = 0;
			if (++kr == r)
				kr = 0, ch++;
		}
	}
}

/* Its transpose (images*p*q, c*r*s): per column (ch, kr, ks), the run of k as output rows. */
static void strip_im2col_t(__local float *st, __global const float *xp, uint c, uint hp, uint wp,
			   uint r, uint s, uint stride, uint p, uint q, uint n, uint k0, uint k1,
			   uint col0)
{
	/* each column's offset from its pixel's top-left tap, once per strip; columns past n
	 * read that tap again (they reach only C's columns past n, which are never stored) */
	int off[PK_NR];
	uint ch = col0 / (r * s), kr = (col0 / s) % r, ks = col0 % s;
	for (uint cc = 0; cc < PK_NR; cc++) {
		off[cc] = col0 + cc < n ? (int)((ch * hp + kr) * wp + ks) : 0;
		if (++ks == s) {
			ks = 0;
			if (++kr == r)
				kr = 0, ch++;
		}
	}
	/* then a pixel's PK_NR values by that table: a gather, written as one row */
	const uint pq = p * q;
	uint b = k0 / pq, op = k0 % pq / q, oq = k0 % q;
	for (uint kk = k0; kk < k1; kk++, st += PK_NR) {
		__global const float *px = xp + ((size_t)b * c * hp + op * stride) * wp + oq * stride;
		for (uint cc = 0; cc < PK_NR; cc++)
			st[cc] = px[off[cc]];
		if (++oq == q) {
			oq = 0;
			if (++op == p)
				op = 0, b++;
		}
	}
}

/* xp = x's planes zero-padded by pad on every side, a padded row per work-item (the middle
 * copied as vectors). global (h + 2*pad, planes). */
__kernel void conv_pad_copy(__global float *xp, uint xp_off, __global const float *x, uint x_off,
			    uint h, uint w, uint pad, uint planes)
{
	const uint iy = get_global_id(0), pl = get_global_id(1);
	const uint hp = h + 2 * pad, wp = w + 2 * pad;
	if (iy >= hp || pl >= planes)
		return;
	__global float *dst = xp + xp_off + ((size_t)pl * hp + iy) * wp;
	if (iy < pad || iy >= h + pad) {
		for (uint t = 0; t < wp; t++)
			dst[t] = 0.0f;
		return;
	}
	__global const float *src = x + x_off + ((size_t)pl * h + (iy - pad)) * w;
	for (uint t = 0; t < pad; t++)
		dst[t] = dst[pad + w + t] = 0.0f;
	dst += pad;
	uint t = 0;
	for (; t + 16 <= w; t += 16)
		vstore16(vload16(0, src + t), 0, dst + t);
	for (; t + 4 <= w; t += 4)
		vstore4(vload4(0, src + t), 0, dst + t);
	for (; t < w; t++)
		dst[t] = src[t];
}

/* The accumulators of row r: two vectors, named so the compiler keeps them in registers. */
#define PK_DECL(r) pk_vec c##r##a = 0.0f, c##r##b = 0.0f;
#define PK_FMA(r)                                                                                  \
	{                                                                                          \
		const pk_vec av = (pk_vec)(pa[r]);                                                 \
		c##r##a = fma(av, b0, c##r##a);                                                    \
		c##r##b = fma(av, b1, c##r##b);                                                    \
	}
/* The same with A read in place from an NCHW tensor (PK_ANCHW): row r's value at pa[ro##r]. */
#define PK_AROW(r) const uint ro##r = min(row0 + r, m - 1) * apq;
#define PK_FMA_NCHW(r)                                                                             \
	{                                                                                          \
		const pk_vec av = (pk_vec)(pa[ro##r]);                                             \
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

/* Row r of the block into C (alpha, beta; C unread when beta == 0; then + bias[row] when
 * has_bias, the same rounding as a separate pass), cut at m and n. C's
 * columns lie in runs of c_seg, c_seg_stride apart (an NCHW tensor's images; a plain matrix has
 * one run): the block's columns go as two vectors when they share a run, else one by one. */
#define PK_STORE_C(r)                                                                              \
	if (row0 + r < m) {                                                                        \
		pk_vec va = alpha * c##r##a, vb = alpha * c##r##b;                                 \
		if (whole) {                                                                       \
			__global float *cr =                                                       \
			    cz + (size_t)(row0 + r) * ldc + (size_t)seg0 * c_seg_stride + off0;    \
			if (beta != 0.0f) {                                                        \
				va += beta * pk_vload(0, cr);                                      \
				vb += beta * pk_vload(1, cr);                                      \
			}                                                                          \
			if (has_bias) {                                                            \
				va += bias[bias_off + row0 + r];                                   \
				vb += bias[bias_off + row0 + r];                                   \
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
				__global float *e = crow + (size_t)seg * c_seg_stride + off;       \
				float v = beta != 0.0f ? t[c] + beta * *e : t[c];                  \
				*e = has_bias ? v + bias[bias_off + row0 + r] : v;                 \
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
 * global (ceil(np / jpw), chunks, batches), local size 1. For each of its jpw panels j of C's
 * columns, a work-item gathers op(B)'s strip over the k run [ch*kc, min(k, (ch+1)*kc)) into
 * `strip` (kc*PK_NR floats of local memory), then computes every block (i, j) over that run.
 * One chunk: C = alpha*block + beta*C. Several: the block goes to
 * part[((z*chunks + ch)*mp + i)*np + j] (PK_MR x PK_NR floats); gemm_packed_sum adds them.
 * One kernel per kind of B (PK_BKIND, one of PK_B_*; its name says which), with ldb and
 * stride_b (between products) and trans_b for a matrix, pq for NCHW, the geometry (gc .. gq)
 * for the im2col kinds (whose b is x's zero-padded copy). With PK_ANCHW, A is not packed: ap
 * is an NCHW tensor of m channels of apq pixels, read in place. A's panels are shared by every
 * product when a_batches is 1.
 */
#ifndef PK_BKIND
#define PK_BKIND PK_B_MATRIX
#endif
#if PK_BKIND == PK_B_MATRIX
#define PK_MICRO gemm_micro_matrix
#elif PK_BKIND == PK_B_NCHW
#define PK_MICRO gemm_micro_nchw
#elif PK_BKIND == PK_B_IM2COL
#define PK_MICRO gemm_micro_im2col
#else
#define PK_MICRO gemm_micro_im2col_t
#endif
__kernel void PK_MICRO(__global float *c, uint c_off, uint ldc, uint stride_c, uint c_seg,
				uint c_seg_stride, __global const float *ap, uint ap_off,
				uint a_batches, uint apq, __global const float *b, uint b_off,
				uint ldb, uint stride_b, uint trans_b, uint pq, uint gc, uint gh,
				uint gw, uint gr, uint gs, uint gstride, uint gpad, uint gp,
				uint gq, uint m, uint n, uint k, uint mp, uint np, uint kc,
				uint chunks, uint jpw, float alpha, float beta,
				__global const float *bias, uint bias_off, uint has_bias,
				__global float *part, uint part_off, __local float *strip)
{
	const uint jg = get_global_id(0), ch = get_global_id(1), z = get_global_id(2);
	const uint k0 = ch * kc, k1 = min(k, k0 + kc);
	__global const float *bz = b + b_off + (size_t)z * stride_b;
	for (uint j = jg * jpw; j < min(np, (jg + 1) * jpw); j++) {
		const uint col0 = j * PK_NR;
#if PK_BKIND == PK_B_MATRIX
		strip_matrix(strip, bz, ldb, trans_b, n, k0, k1, col0);
#elif PK_BKIND == PK_B_NCHW
		strip_nchw(strip, bz, k, pq, n, k0, k1, col0);
#elif PK_BKIND == PK_B_IM2COL
		strip_im2col(strip, bz, gc, gh + 2 * gpad, gw + 2 * gpad, gr, gs, gstride, gp, gq, n,
			     k0, k1, col0);
#else
		strip_im2col_t(strip, bz, gc, gh + 2 * gpad, gw + 2 * gpad, gr, gs, gstride, gp, gq,
			       n, k0, k1, col0);
#endif
		for (uint i = 0; i < mp; i++) {
			const uint row0 = i * PK_MR;
			__local const float *pb = strip;
			PK_ROWS(PK_DECL)
#ifdef PK_ANCHW
			/* A in place: ap is an NCHW tensor of m channels and apq pixels each, its
			 * (m, images*apq) matrix; rows past m read row m-1 (they reach only C's rows
			 * past m, never stored) */
			PK_ROWS(PK_AROW)
			for (uint kk = k0; kk < k1;) {
				const uint img = kk / apq, pix = kk % apq, len = min(apq - pix, k1 - kk);
				__global const float *pa = ap + ap_off + (size_t)img * m * apq + pix;
				for (uint t = 0; t < len; t++, pa++, pb += PK_NR) {
					const pk_vec b0 = pk_vload(0, pb), b1 = pk_vload(1, pb);
					PK_ROWS(PK_FMA_NCHW)
				}
				kk += len;
			}
#else
			__global const float *pa =
			    ap + ap_off +
			    ((size_t)((a_batches > 1 ? z : 0) * mp + i) * k + k0) * PK_MR;
			for (uint kk = k0; kk < k1; kk++) {
				const pk_vec b0 = pk_vload(0, pb), b1 = pk_vload(1, pb);
				PK_ROWS(PK_FMA)
				pa += PK_MR;
				pb += PK_NR;
			}
#endif
			if (chunks == 1) {
				const uint seg0 = col0 / c_seg, off0 = col0 % c_seg;
				const int whole = col0 + PK_NR <= n && off0 + PK_NR <= c_seg;
				__global float *cz = c + c_off + (size_t)z * stride_c;
				PK_ROWS(PK_STORE_C)
			} else {
				__global float *pp =
				    part + part_off +
				    ((size_t)((z * chunks + ch) * mp + i) * np + j) *
					(PK_MR * PK_NR);
				PK_ROWS(PK_STORE_PART)
			}
		}
	}
}

/* global (n, m, batches): C = alpha * (the chunks' blocks summed in chunk order) + beta*C */
__kernel void gemm_packed_sum(__global float *c, uint c_off, uint ldc, uint stride_c, uint c_seg,
			      uint c_seg_stride, __global const float *part, uint part_off, uint m,
			      uint n, uint mp, uint np, uint chunks, float alpha, float beta,
			      __global const float *bias, uint bias_off, uint has_bias)
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
	const float v = beta != 0.0f ? alpha * s + beta * *cp : alpha * s;
	*cp = has_bias ? v + bias[bias_off + row] : v;
}

/* ---- packing A from a convolution's weights ---- */


/* A (c, k*r*s) of a stride-1 input gradient computed as a convolution of dy: the weights
 * (k, c, r, s) transposed and flipped, op(A)[ch][(ko, kr, ks)] = w[ko][ch][r-1-kr][s-1-ks].
 * global (k*r*s, mp). */
__kernel void conv_pack_a_wflip(__global float *ap, uint ap_off, __global const float *wt,
				uint w_off, uint c, uint k, uint r, uint s, uint mp)
{
	const uint kk = get_global_id(0), i = get_global_id(1);
	if (kk >= k * r * s)
		return;
	__global float *dst = ap + ap_off + ((size_t)i * (k * r * s) + kk) * PK_MR;
	const uint ko = kk / (r * s), kr = (kk / s) % r, ks = kk % s;
	__global const float *src =
	    wt + w_off + ((size_t)ko * c * r + (r - 1 - kr)) * s + (s - 1 - ks);
	for (uint rr = 0; rr < PK_MR; rr++) {
		const uint ch = i * PK_MR + rr;
		dst[rr] = ch < c ? src[(size_t)ch * r * s] : 0.0f;
	}
}
