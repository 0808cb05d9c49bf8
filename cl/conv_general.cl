/* conv_general.cl: the convolution in its general form (groups, depthwise included; dilation;
 * strides and padding per side; rectangular kernels), one work-item an output element, sums in a
 * fixed order. The forms the fast paths of conv.cl do not take, from ONNX models. */

#pragma OPENCL FP_CONTRACT OFF

/* The shape, packed into one int16 by the host (conv_general.c):
 * 0 n, 1 c, 2 h, 3 w, 4 k, 5 p, 6 q, 7 kh, 8 kw, 9 sh, 10 sw, 11 pt, 12 pl, 13 dh, 14 dw,
 * 15 groups. Images are (n, c, h, w), outputs (n, k, p, q), weights (k, c / groups, kh, kw). */
#define S_N s.s0
#define S_C s.s1
#define S_H s.s2
#define S_W s.s3
#define S_K s.s4
#define S_P s.s5
#define S_Q s.s6
#define S_KH s.s7
#define S_KW s.s8
#define S_SH s.s9
#define S_SW s.sa
#define S_PT s.sb
#define S_PL s.sc
#define S_DH s.sd
#define S_DW s.se
#define S_G s.sf

/* y = conv(x, w) + b (has_bias), one item per output element */
__kernel void gconv_forward(__global float *y, uint y_off, __global const float *x, uint x_off,
			    __global const float *w, uint w_off, __global const float *b, uint b_off,
			    int has_bias, int16 s)
{
	int idx = get_global_id(0), total = S_N * S_K * S_P * S_Q;
	if (idx >= total)
		return;
	int q = idx % S_Q, p = (idx / S_Q) % S_P, k = (idx / (S_Q * S_P)) % S_K,
	    n = idx / (S_Q * S_P * S_K);
	int cg = S_C / S_G, kg = S_K / S_G, g = k / kg;
	float acc = 0.0f;
	for (int c = 0; c < cg; c++) {
		__global const float *xc = x + x_off + ((size_t)n * S_C + g * cg + c) * S_H * S_W;
		__global const float *wc = w + w_off + ((size_t)k * cg + c) * S_KH * S_KW;
		for (int r = 0; r < S_KH; r++) {
			int hi = p * S_SH - S_PT + r * S_DH;
			if (hi < 0 || hi >= S_H)
				continue;
			for (int t = 0; t < S_KW; t++) {
				int wi = q * S_SW - S_PL + t * S_DW;
				if (wi >= 0 && wi < S_W)
					acc += xc[hi * S_W + wi] * wc[r * S_KW + t];
			}
		}
	}
	y[y_off + idx] = has_bias ? acc + b[b_off + k] : acc;
}

/* dx = beta*dx + conv_transpose(dy, w), one item per input element */
__kernel void gconv_backward_data(__global float *dx, uint dx_off, __global const float *dy,
				  uint dy_off, __global const float *w, uint w_off, float beta,
				  int16 s)
{
	int idx = get_global_id(0), total = S_N * S_C * S_H * S_W;
	if (idx >= total)
		return;
	int wi = idx % S_W, hi = (idx / S_W) % S_H, c = (idx / (S_W * S_H)) % S_C,
	    n = idx / (S_W * S_H * S_C);
	int cg = S_C / S_G, kg = S_K / S_G, g = c / cg, cl = c - g * cg;
	float acc = 0.0f;
	for (int kk = 0; kk < kg; kk++) {
		int k = g * kg + kk;
		__global const float *dyk = dy + dy_off + ((size_t)n * S_K + k) * S_P * S_Q;
		__global const float *wk = w + w_off + ((size_t)k * cg + cl) * S_KH * S_KW;
		for (int r = 0; r < S_KH; r++) {
			int ph = hi + S_PT - r * S_DH;
			if (ph < 0 || ph % S_SH)
				continue;
			int p = ph / S_SH;
			if (p >= S_P)
				continue;
			for (int t = 0; t < S_KW; t++) {
				int qw = wi + S_PL - t * S_DW;
				if (qw < 0 || qw % S_SW)
					continue;
				int q = qw / S_SW;
				if (q < S_Q)
					acc += dyk[p * S_Q + q] * wk[r * S_KW + t];
			}
		}
	}
	dx[dx_off + idx] = beta != 0.0f ? beta * dx[dx_off + idx] + acc : acc;
}

/* dw = sum over images and positions of dy * x, one item per weight element; db = sum of dy,
 * items past the weights (has_bias), one per output channel. The sums run over the positions
 * [j0, j1) of the flattened (image, row, column) space, added to what the launch before left
 * (accumulate), so a device that ends long loops early gets them in launches short enough. */
__kernel void gconv_backward_weight(__global float *dw, uint dw_off, __global float *db,
				    uint db_off, __global const float *dy, uint dy_off,
				    __global const float *x, uint x_off, int has_bias, int j0,
				    int j1, int accumulate, int16 s)
{
	int idx = get_global_id(0), cg = S_C / S_G, kg = S_K / S_G, pq = S_P * S_Q;
	int weights = S_K * cg * S_KH * S_KW;
	if (idx >= weights) {
		int k = idx - weights;
		if (!has_bias || k >= S_K)
			return;
		float acc = accumulate ? db[db_off + k] : 0.0f;
		for (int j = j0; j < j1; j++) {
			int n = j / pq, i = j - n * pq;
			acc += dy[dy_off + ((size_t)n * S_K + k) * pq + i];
		}
		db[db_off + k] = acc;
		return;
	}
	int t = idx % S_KW, r = (idx / S_KW) % S_KH, cl = (idx / (S_KW * S_KH)) % cg,
	    k = idx / (S_KW * S_KH * cg);
	int c = (k / kg) * cg + cl;
	float acc = accumulate ? dw[dw_off + idx] : 0.0f;
	for (int j = j0; j < j1; j++) {
		int n = j / pq, i = j - n * pq, p = i / S_Q, q = i - p * S_Q;
		int hi = p * S_SH - S_PT + r * S_DH, wi = q * S_SW - S_PL + t * S_DW;
		if (hi >= 0 && hi < S_H && wi >= 0 && wi < S_W)
			acc += dy[dy_off + ((size_t)n * S_K + k) * pq + i] *
			       x[x_off + ((size_t)n * S_C + c) * S_H * S_W + hi * S_W + wi];
	}
	dw[dw_off + idx] = acc;
}
