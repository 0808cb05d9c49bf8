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
 * V (16, c, cols), cols = nb * th * tw: column b*th*tw + ty*tw + tx is the 4x4 tile of image b
 * whose top-left pixel is (2*ty - pad, 2*tx - pad), zeros outside x; element e = 4*a + b of
 * B^T d B at V[e*c*cols + ch*cols + col], B^T = [1 0 -1 0; 0 1 1 0; 0 -1 1 0; 0 1 0 -1].
 * x: (nb, c, h, w). global (tw, th, nb*c): consecutive work-items take neighbouring tiles.
 */
__kernel void winograd_input_forward(__global float *v, uint v_off, __global const float *x,
				     uint x_off, uint c, uint h, uint w, uint pad, uint th, uint tw,
				     uint nb)
{
	const uint tx = get_global_id(0), ty = get_global_id(1), bc = get_global_id(2);
	if (tx >= tw || ty >= th || bc >= nb * c)
		return;
	const uint b = bc / c, ch = bc % c;
	__global const float *plane = x + x_off + (size_t)bc * h * w;
	const int y0 = (int)(2 * ty) - (int)pad, x0 = (int)(2 * tx) - (int)pad;
	float d[4][4];
	for (int i = 0; i < 4; i++)
		for (int j = 0; j < 4; j++) {
			const int yy = y0 + i, xx = x0 + j;
			d[i][j] = (yy >= 0 && yy < (int)h && xx >= 0 && xx < (int)w)
				      ? plane[(size_t)yy * w + xx]
				      : 0.0f;
		}
	/* t = B^T d, then t B */
	float t[4][4];
	for (int j = 0; j < 4; j++) {
		t[0][j] = d[0][j] - d[2][j];
		t[1][j] = d[1][j] + d[2][j];
		t[2][j] = d[2][j] - d[1][j];
		t[3][j] = d[1][j] - d[3][j];
	}
	const size_t cols = (size_t)nb * th * tw, plane_v = (size_t)c * cols;
	__global float *dst = v + v_off + (size_t)ch * cols + ((size_t)b * th + ty) * tw + tx;
	for (int a = 0; a < 4; a++) {
		dst[(4 * a + 0) * plane_v] = t[a][0] - t[a][2];
		dst[(4 * a + 1) * plane_v] = t[a][1] + t[a][2];
		dst[(4 * a + 2) * plane_v] = t[a][2] - t[a][1];
		dst[(4 * a + 3) * plane_v] = t[a][1] - t[a][3];
	}
}

/*
 * y (nb, k, p, q) = beta*y + A^T m A (+ bias[o] when has_bias), m the 4x4 of M (16, k, cols)
 * at a tile's column (V's order), A^T = [1 1 1 0; 0 1 -1 -1]; the tile's 2x2 outputs past p or q
 * are not written. beta == 0 does not read y. global (tw, th, nb*k).
 */
__kernel void winograd_output_forward(__global float *y, uint y_off, __global const float *m,
				      uint m_off, __global const float *bias, uint bias_off,
				      uint has_bias, float beta, uint k, uint p, uint q, uint th,
				      uint tw, uint nb)
{
	const uint tx = get_global_id(0), ty = get_global_id(1), bo = get_global_id(2);
	if (tx >= tw || ty >= th || bo >= nb * k)
		return;
	const uint b = bo / k, o = bo % k;
	const size_t cols = (size_t)nb * th * tw, plane_m = (size_t)k * cols;
	__global const float *src = m + m_off + (size_t)o * cols + ((size_t)b * th + ty) * tw + tx;
	float mm[4][4];
	for (int e = 0; e < 16; e++)
		mm[e / 4][e % 4] = src[e * plane_m];
	/* t = A^T m (2x4), then t A (2x2) */
	float t[2][4];
	for (int j = 0; j < 4; j++) {
		t[0][j] = mm[0][j] + mm[1][j] + mm[2][j];
		t[1][j] = mm[1][j] - mm[2][j] - mm[3][j];
	}
	float out[2][2];
	for (int i = 0; i < 2; i++) {
		out[i][0] = t[i][0] + t[i][1] + t[i][2];
		out[i][1] = t[i][1] - t[i][2] - t[i][3];
	}
	const float add = has_bias ? bias[bias_off + o] : 0.0f;
	__global float *dst = y + y_off + (size_t)bo * p * q;
	for (int i = 0; i < 2; i++)
		for (int j = 0; j < 2; j++) {
			const uint yy = 2 * ty + i, xx = 2 * tx + j;
			if (yy < p && xx < q) {
				const size_t at = (size_t)yy * q + xx;
				float r = out[i][j] + add;
				dst[at] = beta != 0.0f ? beta * dst[at] + r : r;
			}
		}
}
