/* conv_winograd.cl: the three transforms of a Winograd F(2x2, 3x3) convolution (3x3, stride 1):
 * weights U = G g G^T, input tiles V = B^T d B, outputs y = A^T m A; the 16 products between
 * them are GEMMs on the host's GEMM (host/ops/conv_winograd.c). */

/*
 * U (16, ko, ci): the transformed 3x3 filters, element e = 4*a + b of G g G^T at
 * U[e*ko*ci + o*ci + i], G = [1 0 0; 1/2 1/2 1/2; 1/2 -1/2 1/2; 0 0 1]. flip = 0: g = w[o][i]
 * (w: (ko, ci, 3, 3), the forward pass); flip = 1: g = w[i][o] rotated by 180 degrees (w: (ci,
 * ko, 3, 3), the input gradient's transposed, flipped filters). global (ko*ci).
 */
__kernel void winograd_weight_forward(__global float *u, uint u_off, __global const float *w,
				      uint w_off, uint ko, uint ci, uint flip)
{
	const uint idx = get_global_id(0);
	if (idx >= ko * ci)
		return;
	const uint o = idx / ci, i = idx % ci;
	float g[3][3];
	__global const float *src = w + w_off + (size_t)(flip ? i * ko + o : o * ci + i) * 9;
	for (int r = 0; r < 3; r++)
		for (int s = 0; s < 3; s++)
			g[r][s] = flip ? src[(2 - r) * 3 + (2 - s)] : src[r * 3 + s];
	/* t = G g (4x3), then t G^T (4x4) */
	float t[4][3];
	for (int s = 0; s < 3; s++) {
		t[0][s] = g[0][s];
		t[1][s] = 0.5f * (g[0][s] + g[1][s] + g[2][s]);
		t[2][s] = 0.5f * (g[0][s] - g[1][s] + g[2][s]);
		t[3][s] = g[2][s];
	}
	const size_t plane = (size_t)ko * ci;
	__global float *dst = u + u_off + idx;
	for (int a = 0; a < 4; a++) {
		dst[(4 * a + 0) * plane] = t[a][0];
		dst[(4 * a + 1) * plane] = 0.5f * (t[a][0] + t[a][1] + t[a][2]);
		dst[(4 * a + 2) * plane] = 0.5f * (t[a][0] - t[a][1] + t[a][2]);
		dst[(4 * a + 3) * plane] = t[a][2];
	}
}

/*
 * xp (planes, hp, wp) = x (planes, h, w) shifted by pad and zero-padded, hp = 2*th + 2 and
 * wp = 8*ceil(tw/4) + 2 (h + pad <= hp, w + pad <= wp): every 4x4 tile, and the 4-tile blocks
 * winograd_input_forward loads as vectors, lie inside it, so that kernel tests no bounds. A
 * padded row per work-item, its middle copied as vectors (an element per work-item ran 4x
 * slower on PoCL). global (hp, planes).
 */
__kernel void winograd_pad_forward(__global float *xp, uint xp_off, __global const float *x,
				   uint x_off, uint h, uint w, uint pad, uint hp, uint wp,
				   uint planes)
{
	const uint iy = get_global_id(0), pl = get_global_id(1);
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
		dst[t] = 0.0f;
	for (uint t = pad + w; t < wp; t++)
		dst[t] = 0.0f;
	dst += pad;
	uint t = 0;
	for (; t + 16 <= w; t += 16)
		vstore16(vload16(0, src + t), 0, dst + t);
	for (; t + 4 <= w; t += 4)
		vstore4(vload4(0, src + t), 0, dst + t);
	for (; t < w; t++)
		dst[t] = src[t];
}

/* Stores the 4 lanes of v at dst[0..3], or only the first n (the last block of a row). */
#define WINO_STORE4(v, dst, n)                                                                     \
	do {                                                                                       \
		if ((n) >= 4) {                                                                    \
			vstore4((v), 0, (dst));                                                    \
		} else {                                                                           \
			const float4 v_ = (v);                                                     \
			(dst)[0] = v_.s0;                                                          \
			if ((n) > 1)                                                               \
				(dst)[1] = v_.s1;                                                  \
			if ((n) > 2)                                                               \
				(dst)[2] = v_.s2;                                                  \
		}                                                                                  \
	} while (0)

/*
 * V (16, c, cols), cols = nb * th * tw: column b*th*tw + ty*tw + tx is the 4x4 tile of image b
 * whose top-left pixel is (2*ty - pad, 2*tx - pad) of x, i.e. (2*ty, 2*tx) of xp
 * (winograd_pad_forward); element e = 4*a + b of B^T d B at V[e*c*cols + ch*cols + col],
 * B^T = [1 0 -1 0; 0 1 1 0; 0 -1 1 0; 0 1 0 -1]. A work-item takes 4 neighbouring tiles of a
 * row as float4 lanes: its 4x10 pixels as two float8 loads per row (columns 0-7 and 2-9), the
 * even and odd lanes of which are the tiles' 4 columns, and walks the row's blocks (PoCL runs
 * a work-item's loop as straight vector code; a work-item per block cost ~3x more there).
 * global (th, nb*c).
 */
__kernel void winograd_input_forward(__global float *v, uint v_off, __global const float *xp,
				     uint xp_off, uint c, uint hp, uint wp, uint th, uint tw,
				     uint nb)
{
	const uint ty = get_global_id(0), bc = get_global_id(1);
	if (ty >= th || bc >= nb * c)
		return;
	const uint b = bc / c, ch = bc % c;
	for (uint tx = 0; tx < tw; tx += 4) {
		__global const float *src = xp + xp_off + ((size_t)bc * hp + 2 * ty) * wp + 2 * tx;
		float4 d[4][4];
		for (int i = 0; i < 4; i++) {
			const float8 lo = vload8(0, src + (size_t)i * wp);
			const float8 hi = vload8(0, src + (size_t)i * wp + 2);
			d[i][0] = lo.even;
			d[i][1] = lo.odd;
			d[i][2] = hi.even;
			d[i][3] = hi.odd;
		}
		/* t = B^T d, then t B */
		float4 t[4][4];
		for (int j = 0; j < 4; j++) {
			t[0][j] = d[0][j] - d[2][j];
			t[1][j] = d[1][j] + d[2][j];
			t[2][j] = d[2][j] - d[1][j];
			t[3][j] = d[1][j] - d[3][j];
		}
		const size_t cols = (size_t)nb * th * tw, plane_v = (size_t)c * cols;
		const uint n = min(4u, tw - tx);
		__global float *dst =
		    v + v_off + (size_t)ch * cols + ((size_t)b * th + ty) * tw + tx;
		for (int a = 0; a < 4; a++) {
			WINO_STORE4(t[a][0] - t[a][2], dst + (4 * a + 0) * plane_v, n);
			WINO_STORE4(t[a][1] + t[a][2], dst + (4 * a + 1) * plane_v, n);
			WINO_STORE4(t[a][2] - t[a][1], dst + (4 * a + 2) * plane_v, n);
			WINO_STORE4(t[a][1] - t[a][3], dst + (4 * a + 3) * plane_v, n);
		}
	}
}

/*
 * y (nb, k, p, q) = beta*y + A^T m A (+ bias[o] when has_bias), m the 4x4 of M (16, k, cols)
 * at a tile's column (V's order), A^T = [1 1 1 0; 0 1 -1 -1]; the tile's 2x2 outputs past p or q
 * are not written. beta == 0 does not read y. A work-item takes 4 neighbouring tiles of a row
 * as float4 lanes (8 outputs of each of 2 rows) and walks the row's blocks. global (th, nb*k).
 */
__kernel void winograd_output_forward(__global float *y, uint y_off, __global const float *m,
				      uint m_off, __global const float *bias, uint bias_off,
				      uint has_bias, float beta, uint k, uint p, uint q, uint th,
				      uint tw, uint nb)
{
	const uint ty = get_global_id(0), bo = get_global_id(1);
	if (ty >= th || bo >= nb * k)
		return;
	const uint b = bo / k, o = bo % k;
	const size_t cols = (size_t)nb * th * tw, plane_m = (size_t)k * cols;
	const float add = has_bias ? bias[bias_off + o] : 0.0f;
	for (uint tx = 0; tx < tw; tx += 4) {
		const uint n = min(4u, tw - tx);
		__global const float *src =
		    m + m_off + (size_t)o * cols + ((size_t)b * th + ty) * tw + tx;
		float4 mm[4][4];
		for (int e = 0; e < 16; e++) {
			__global const float *at = src + e * plane_m;
			mm[e / 4][e % 4] = n >= 4 ? vload4(0, at)
						  : (float4)(at[0], n > 1 ? at[1] : 0.0f,
							     n > 2 ? at[2] : 0.0f, 0.0f);
		}
		/* t = A^T m (2x4), then t A (2x2) */
		float4 t[2][4];
		for (int j = 0; j < 4; j++) {
			t[0][j] = mm[0][j] + mm[1][j] + mm[2][j];
			t[1][j] = mm[1][j] - mm[2][j] - mm[3][j];
		}
		__global float *dst = y + y_off + (size_t)bo * p * q;
		for (int i = 0; i < 2; i++) {
			const uint yy = 2 * ty + i;
			if (yy >= p)
				break;
			const float4 c0 = t[i][0] + t[i][1] + t[i][2];
			const float4 c1 = t[i][1] - t[i][2] - t[i][3];
			/* the 4 tiles' two columns interleaved: outputs 2*tx .. 2*tx + 7 of row yy
			 */
			float8 r =
			    (float8)(c0.s0, c1.s0, c0.s1, c1.s1, c0.s2, c1.s2, c0.s3, c1.s3) + add;
			__global float *row = dst + (size_t)yy * q + 2 * tx;
			if (2 * tx + 8 <= q) {
				if (beta != 0.0f)
					r = beta * vload8(0, row) + r;
				vstore8(r, 0, row);
			} else {
				const float rr[8] = {r.s0, r.s1, r.s2, r.s3,
						     r.s4, r.s5, r.s6, r.s7};
				for (uint j = 0; j < 8 && 2 * tx + j < q; j++)
					row[j] = beta != 0.0f ? beta * row[j] + rr[j] : rr[j];
			}
		}
	}
}
