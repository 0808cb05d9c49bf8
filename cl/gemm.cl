/* gemm.cl: ampcl's own GEMM, C = alpha*op(A)*op(B) + beta*C, row-major, strided-batched: the
 * tiled kernel (GPUs; CPUs take cl/gemm_packed.cl), and the C clear CLBlast needs. */

/* Tile of C one work-group computes (GEMM_TM x GEMM_TN), the depth of the A and B tiles staged
 * in local memory (GEMM_TK), and the block of C one work-item keeps in registers
 * (GEMM_WM x GEMM_WN). The work-group is (GEMM_TN/GEMM_WN, GEMM_TM/GEMM_WM). */
#ifndef GEMM_TM
#define GEMM_TM 64
#endif
#ifndef GEMM_TN
#define GEMM_TN 64
#endif
#ifndef GEMM_TK
#define GEMM_TK 16
#endif
#ifndef GEMM_WM
#define GEMM_WM 4
#endif
#ifndef GEMM_WN
#define GEMM_WN 4
#endif
/* GEMM_VW > 1: each work-item's GEMM_WN columns are adjacent and held as float vectors of
 * that width (GEMM_WN a multiple of it), which CPU compilers map onto SIMD registers; 1: its
 * columns are GEMM_RTN apart, so neighbouring work-items touch neighbouring words (GPUs). */
#ifndef GEMM_VW
#define GEMM_VW 1
#endif
/* extra column per local row: the transposing tile stores then hit distinct banks */
#ifndef GEMM_PAD
#define GEMM_PAD 1
#endif

#define GEMM_RTM (GEMM_TM / GEMM_WM) /* work-items along m */
#define GEMM_RTN (GEMM_TN / GEMM_WN) /* work-items along n */
#define GEMM_WG (GEMM_RTM * GEMM_RTN)
#define GEMM_NV (GEMM_WN / GEMM_VW) /* vectors per work-item row */

#define GEMM_CAT_(a, b) a##b
#define GEMM_CAT(a, b) GEMM_CAT_(a, b)
#if GEMM_VW > 1
#define gemm_vec GEMM_CAT(float, GEMM_VW)
#define gemm_vload GEMM_CAT(vload, GEMM_VW)
#define gemm_vstore GEMM_CAT(vstore, GEMM_VW)
#endif

#if GEMM_TM % GEMM_WM || GEMM_TN % GEMM_WN
#error "GEMM_TM and GEMM_TN must be multiples of GEMM_WM and GEMM_WN"
#endif
#if GEMM_WN % GEMM_VW
#error "GEMM_WN must be a multiple of GEMM_VW"
#endif
#if (GEMM_TM * GEMM_TK) % GEMM_WG || (GEMM_TN * GEMM_TK) % GEMM_WG
#error "each tile must split evenly over the work-group's items"
#endif

#if GEMM_VW == 1
/* One staged k-tile of the scalar path: rows ty + wm*RTM and columns tx + wn*RTN, so that
 * neighbouring work-items read neighbouring local words (no bank conflicts) and later store
 * neighbouring C. Shared by gemm_forward and the implicit-GEMM convolutions. */
static inline void gemm_tile_mac(__local float (*as)[GEMM_TM + GEMM_PAD],
				 __local float (*bs)[GEMM_TN + GEMM_PAD],
				 float acc[GEMM_WM][GEMM_WN], uint tx, uint ty)
{
	for (uint kk = 0; kk < GEMM_TK; kk++) {
		float ar[GEMM_WM], br[GEMM_WN];
		for (uint wm = 0; wm < GEMM_WM; wm++)
			ar[wm] = as[kk][ty + wm * GEMM_RTM];
		for (uint wn = 0; wn < GEMM_WN; wn++)
			br[wn] = bs[kk][tx + wn * GEMM_RTN];
		for (uint wm = 0; wm < GEMM_WM; wm++)
			for (uint wn = 0; wn < GEMM_WN; wn++)
				acc[wm][wn] += ar[wm] * br[wn];
	}
}
#endif

#if GEMM_VW == 1
static inline void gemm_acc_clear(float acc[GEMM_WM][GEMM_WN])
{
	for (uint wm = 0; wm < GEMM_WM; wm++)
		for (uint wn = 0; wn < GEMM_WN; wn++)
			acc[wm][wn] = 0.0f;
}
#endif

/*
 * c: (batch, m, n) at c[c_off + z*stride_c + i*ldc + j]
 * a: op(A) (m, k), stored (m, k) or, when trans_a, (k, m), row stride lda, batch stride stride_a
 * b: op(B) (k, n), stored (k, n) or, when trans_b, (n, k), row stride ldb, batch stride stride_b
 * Launch: global (ceil(n/TN)*RTN, ceil(m/TM)*RTM, batch), local (RTN, RTM, 1).
 * Each element of C is one work-item's sum over k in ascending order, so results are
 * bit-identical from run to run. beta == 0 never reads C (it may hold NaN).
 */
__kernel __attribute__((reqd_work_group_size(GEMM_RTN, GEMM_RTM, 1))) void
gemm_forward(__global float *c, uint c_off, uint ldc, uint stride_c, __global const float *a,
	     uint a_off, uint lda, uint stride_a, __global const float *b, uint b_off, uint ldb,
	     uint stride_b, uint m, uint n, uint k, float alpha, float beta, uint trans_a,
	     uint trans_b, uint batch)
{
	/* k-major tiles: the inner loop reads a row of each, one per work-item's m or n */
	__local float as[GEMM_TK][GEMM_TM + GEMM_PAD];
	__local float bs[GEMM_TK][GEMM_TN + GEMM_PAD];

	const uint tx = get_local_id(0), ty = get_local_id(1);
	const uint lid = ty * GEMM_RTN + tx;
	const uint n0 = get_group_id(0) * GEMM_TN, m0 = get_group_id(1) * GEMM_TM;
	/* the host launches exactly batch groups in dimension 2 (gemm_own.c), so every work-item
	 * has a product: none returns ahead of the barriers below (PoCL 3.1's rule) */
	const uint z = get_global_id(2);
	(void)batch;

	a += a_off + z * stride_a;
	b += b_off + z * stride_b;
	c += c_off + z * stride_c;

#if GEMM_VW > 1
	gemm_vec acc[GEMM_WM][GEMM_NV];
	for (uint wm = 0; wm < GEMM_WM; wm++)
		for (uint v = 0; v < GEMM_NV; v++)
			acc[wm][v] = (gemm_vec)(0.0f);
#else
	float acc[GEMM_WM][GEMM_WN];
	gemm_acc_clear(acc);
#endif

	for (uint k0 = 0; k0 < k; k0 += GEMM_TK) {
		/* Stage the tiles. Consecutive work-items take consecutive addresses of the layout
		 * as stored, so the global loads coalesce for either transpose; out-of-range
		 * elements load as zero and add nothing. */
		for (uint l = 0; l < GEMM_TM * GEMM_TK / GEMM_WG; l++) {
			uint e = lid + l * GEMM_WG, i, kk;
			float v;
			if (trans_a) {
				i = e % GEMM_TM;
				kk = e / GEMM_TM;
				v = (m0 + i < m && k0 + kk < k) ? a[(k0 + kk) * lda + m0 + i] : 0.0f;
			} else {
				kk = e % GEMM_TK;
				i = e / GEMM_TK;
				v = (m0 + i < m && k0 + kk < k) ? a[(m0 + i) * lda + k0 + kk] : 0.0f;
			}
			as[kk][i] = v;
		}
		for (uint l = 0; l < GEMM_TN * GEMM_TK / GEMM_WG; l++) {
			uint e = lid + l * GEMM_WG, j, kk;
			float v;
			if (trans_b) {
				kk = e % GEMM_TK;
				j = e / GEMM_TK;
				v = (n0 + j < n && k0 + kk < k) ? b[(n0 + j) * ldb + k0 + kk] : 0.0f;
			} else {
				j = e % GEMM_TN;
				kk = e / GEMM_TN;
				v = (n0 + j < n && k0 + kk < k) ? b[(k0 + kk) * ldb + n0 + j] : 0.0f;
			}
			bs[kk][j] = v;
		}
		barrier(CLK_LOCAL_MEM_FENCE);

#if GEMM_VW > 1
		/* rows ty + wm*RTM, columns tx*WN ... tx*WN + WN-1 as vectors */
		for (uint kk = 0; kk < GEMM_TK; kk++) {
			gemm_vec br[GEMM_NV];
			for (uint v = 0; v < GEMM_NV; v++)
				br[v] = gemm_vload(0, &bs[kk][tx * GEMM_WN + v * GEMM_VW]);
			for (uint wm = 0; wm < GEMM_WM; wm++) {
				float ar = as[kk][ty + wm * GEMM_RTM];
				for (uint v = 0; v < GEMM_NV; v++)
					acc[wm][v] += ar * br[v];
			}
		}
#else
		gemm_tile_mac(as, bs, acc, tx, ty);
#endif
		barrier(CLK_LOCAL_MEM_FENCE);
	}

#if GEMM_VW > 1
	for (uint wm = 0; wm < GEMM_WM; wm++) {
		uint i = m0 + ty + wm * GEMM_RTM;
		if (i >= m)
			continue;
		for (uint v = 0; v < GEMM_NV; v++) {
			uint j0 = n0 + tx * GEMM_WN + v * GEMM_VW;
			float out[GEMM_VW];
			gemm_vstore(alpha * acc[wm][v], 0, out);
			for (uint e = 0; e < GEMM_VW; e++) {
				if (j0 + e >= n)
					break;
				float r = out[e];
				if (beta != 0.0f)
					r += beta * c[i * ldc + j0 + e];
				c[i * ldc + j0 + e] = r;
			}
		}
	}
#else
	for (uint wm = 0; wm < GEMM_WM; wm++) {
		uint i = m0 + ty + wm * GEMM_RTM;
		if (i >= m)
			continue;
		for (uint wn = 0; wn < GEMM_WN; wn++) {
			uint j = n0 + tx + wn * GEMM_RTN;
			if (j >= n)
				continue;
			float v = alpha * acc[wm][wn];
			if (beta != 0.0f)
				v += beta * c[i * ldc + j];
			c[i * ldc + j] = v;
		}
	}
#endif
}

/* c[z][i][j] = 0 over a strided (batch, m, n) region: CLBlast computes beta*C even for
 * beta == 0, and 0*NaN is NaN, so its path clears C first. Launch: global (n, m, batch). */
__kernel void gemm_clear(__global float *c, uint c_off, uint ldc, uint stride_c, uint m, uint n,
			 uint batch)
{
	uint j = get_global_id(0), i = get_global_id(1), z = get_global_id(2);
	if (j < n && i < m && z < batch)
		c[c_off + z * stride_c + i * ldc + j] = 0.0f;
}

/* C = beta*C + (W_0 + W_1 + ... + W_{S-1}), the slices summed in that order: the k slices of a
 * split product (host/ops/gemm_splitk.c), each a dense (m, n) matrix at w_off + s*m*n. beta == 0
 * never reads C. Launch: global (n, m). */
__kernel void gemm_splitk_sum(__global float *c, uint c_off, uint ldc, __global const float *w,
			      uint w_off, uint m, uint n, uint slices, float beta)
{
	uint j = get_global_id(0), i = get_global_id(1);
	if (j >= n || i >= m)
		return;
	uint mn = m * n;
	__global const float *p = w + w_off + i * n + j;
	float acc = p[0];
	for (uint s = 1; s < slices; s++)
		acc += p[s * mn];
	__global float *q = c + c_off + i * ldc + j;
	*q = beta == 0.0f ? acc : beta * *q + acc;
}

#if GEMM_VW == 1
/* x's im2col value at row kk = (c, r, s) and column j = (b, p, q); 0 in the padding. x: (images,
 * cc, h, w); the output is p x q, the kernel r x s. */
static inline float conv_im2col(__global const float *x, uint kk, uint j, uint cc, uint h, uint w,
				uint r, uint s, uint stride, uint pad, uint p, uint q)
{
	const uint ss = kk % s, rr = (kk / s) % r, c = kk / (s * r);
	const uint qq = j % q, pp = (j / q) % p, b = j / (q * p);
	const int hi = (int)(pp * stride + rr) - (int)pad, wi = (int)(qq * stride + ss) - (int)pad;
	if (hi < 0 || wi < 0 || hi >= (int)h || wi >= (int)w)
		return 0.0f;
	return x[((b * cc + c) * h + (uint)hi) * w + (uint)wi];
}

#define CONV_GEOMETRY uint cc, uint h, uint w, uint kout, uint r, uint s, uint stride, uint pad, \
		      uint p, uint q, uint images
#define CONV_IM2COL(x, kk, j) conv_im2col(x, kk, j, cc, h, w, r, s, stride, pad, p, q)

/* Implicit-GEMM convolution forward on the tiled kernel (GPU devices): y (images, kout, p, q) =
 * beta*y + W (kout, cc*r*s) x im2col(x) (cc*r*s, images*p*q), im2col's values gathered from x
 * as the tile is staged (consecutive work-items: consecutive pixels) and C written straight to
 * NCHW: no im2col matrix, no chunks, no reshuffle. Each y is one work-item's sum over c*r*s in
 * order. Launch: global (ceil(images*p*q/TN)*RTN, ceil(kout/TM)*RTM, 1), local (RTN, RTM, 1). */
__kernel __attribute__((reqd_work_group_size(GEMM_RTN, GEMM_RTM, 1))) void
conv_implicit_forward(__global float *y, uint y_off, __global const float *wt, uint w_off,
		      __global const float *x, uint x_off, CONV_GEOMETRY, float beta)
{
	__local float as[GEMM_TK][GEMM_TM + GEMM_PAD];
	__local float bs[GEMM_TK][GEMM_TN + GEMM_PAD];
	const uint tx = get_local_id(0), ty = get_local_id(1), lid = ty * GEMM_RTN + tx;
	const uint n0 = get_group_id(0) * GEMM_TN, m0 = get_group_id(1) * GEMM_TM;
	const uint m = kout, k = cc * r * s, pq = p * q, n = images * pq;
	wt += w_off;
	x += x_off;
	y += y_off;
	float acc[GEMM_WM][GEMM_WN];
	gemm_acc_clear(acc);
	for (uint k0 = 0; k0 < k; k0 += GEMM_TK) {
		for (uint l = 0; l < GEMM_TM * GEMM_TK / GEMM_WG; l++) {
			const uint e = lid + l * GEMM_WG, kk = e % GEMM_TK, i = e / GEMM_TK;
			as[kk][i] = (m0 + i < m && k0 + kk < k) ? wt[(m0 + i) * k + k0 + kk] : 0.0f;
		}
		for (uint l = 0; l < GEMM_TN * GEMM_TK / GEMM_WG; l++) {
			const uint e = lid + l * GEMM_WG, j = e % GEMM_TN, kk = e / GEMM_TN;
			bs[kk][j] = (n0 + j < n && k0 + kk < k) ? CONV_IM2COL(x, k0 + kk, n0 + j) : 0.0f;
		}
		barrier(CLK_LOCAL_MEM_FENCE);
		gemm_tile_mac(as, bs, acc, tx, ty);
		barrier(CLK_LOCAL_MEM_FENCE);
	}
	for (uint wm = 0; wm < GEMM_WM; wm++) {
		const uint i = m0 + ty + wm * GEMM_RTM;
		for (uint wn = 0; wn < GEMM_WN; wn++) {
			const uint j = n0 + tx + wn * GEMM_RTN;
			if (i >= m || j >= n)
				continue;
			const uint at = (j / pq * kout + i) * pq + j % pq;
			float v = acc[wm][wn];
			if (beta != 0.0f)
				v += beta * y[at];
			y[at] = v;
		}
	}
}

/* Implicit-GEMM weight gradient (GPU devices): slice z of dW (kout, cc*r*s) = dy (kout,
 * images*p*q) x im2col(x)^T over the pixels z*kc .. z*kc + kc - 1, dy read in place from NCHW and
 * im2col's values gathered from x, into c + c_off + z*stride_c (row stride cc*r*s) as beta*C +
 * the slice. With several slices the host sums them in order (gemm_splitk_sum). Launch: global
 * (ceil(cc*r*s/TN)*RTN, ceil(kout/TM)*RTM, slices), local (RTN, RTM, 1). */
__kernel __attribute__((reqd_work_group_size(GEMM_RTN, GEMM_RTM, 1))) void
conv_implicit_dw(__global float *c, uint c_off, uint stride_c, __global const float *dy,
		 uint dy_off, __global const float *x, uint x_off, CONV_GEOMETRY, uint kc,
		 float beta)
{
	__local float as[GEMM_TK][GEMM_TM + GEMM_PAD];
	__local float bs[GEMM_TK][GEMM_TN + GEMM_PAD];
	const uint tx = get_local_id(0), ty = get_local_id(1), lid = ty * GEMM_RTN + tx;
	const uint n0 = get_group_id(0) * GEMM_TN, m0 = get_group_id(1) * GEMM_TM;
	const uint z = get_global_id(2); /* every work-item has a slice: the host launches them */
	const uint m = kout, n = cc * r * s, pq = p * q, total = images * pq;
	const uint kbeg = z * kc, kend = kbeg + kc < total ? kbeg + kc : total;
	dy += dy_off;
	x += x_off;
	c += c_off + z * stride_c;
	float acc[GEMM_WM][GEMM_WN];
	gemm_acc_clear(acc);
	for (uint k0 = kbeg; k0 < kend; k0 += GEMM_TK) {
		/* consecutive work-items take consecutive pixels of one row of each operand */
		for (uint l = 0; l < GEMM_TM * GEMM_TK / GEMM_WG; l++) {
			const uint e = lid + l * GEMM_WG, kk = e % GEMM_TK, i = e / GEMM_TK;
			const uint kg = k0 + kk;
			as[kk][i] = (m0 + i < m && kg < kend) ? dy[(kg / pq * kout + m0 + i) * pq + kg % pq]
							    : 0.0f;
		}
		for (uint l = 0; l < GEMM_TN * GEMM_TK / GEMM_WG; l++) {
			const uint e = lid + l * GEMM_WG, kk = e % GEMM_TK, j = e / GEMM_TK;
			const uint kg = k0 + kk;
			bs[kk][j] = (n0 + j < n && kg < kend) ? CONV_IM2COL(x, n0 + j, kg) : 0.0f;
		}
		barrier(CLK_LOCAL_MEM_FENCE);
		gemm_tile_mac(as, bs, acc, tx, ty);
		barrier(CLK_LOCAL_MEM_FENCE);
	}
	for (uint wm = 0; wm < GEMM_WM; wm++) {
		const uint i = m0 + ty + wm * GEMM_RTM;
		for (uint wn = 0; wn < GEMM_WN; wn++) {
			const uint j = n0 + tx + wn * GEMM_RTN;
			if (i >= m || j >= n)
				continue;
			float v = acc[wm][wn];
			if (beta != 0.0f)
				v += beta * c[i * n + j];
			c[i * n + j] = v;
		}
	}
}
#endif
