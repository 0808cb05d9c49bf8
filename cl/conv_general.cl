/* conv_general.cl: the convolution in its general form (groups, depthwise included; dilation;
 * strides and padding per side; rectangular kernels): one work-item an output or input row, one
 * work-group a weight, sums in a fixed order. The forms the fast paths of conv.cl do not take,
 * from ONNX models. */

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

/* y = conv(x, w) + b (has_bias), one item per output row (n, k, p): the index arithmetic once a
 * row, each output's sum over (c, r, t) in that order */
__kernel void gconv_forward(__global float *y, uint y_off, __global const float *x, uint x_off,
			    __global const float *w, uint w_off, __global const float *b, uint b_off,
			    int has_bias, int16 s)
{
	int idx = get_global_id(0), rows = S_N * S_K * S_P;
	if (idx >= rows)
		return;
	int p = idx % S_P, k = (idx / S_P) % S_K, n = idx / (S_P * S_K);
	int cg = S_C / S_G, kg = S_K / S_G, g = k / kg;
	float bias = has_bias ? b[b_off + k] : 0.0f;
	__global float *yr = y + y_off + (size_t)idx * S_Q;
	for (int q = 0; q < S_Q; q++) {
		float acc = 0.0f;
		for (int c = 0; c < cg; c++) {
			__global const float *xc =
			    x + x_off + ((size_t)n * S_C + g * cg + c) * S_H * S_W;
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
		yr[q] = has_bias ? acc + bias : acc;
	}
}

/* dx = beta*dx + conv_transpose(dy, w), one item per input row (n, c, hi), each element's sum
 * over (kk, r, t) in that order */
__kernel void gconv_backward_data(__global float *dx, uint dx_off, __global const float *dy,
				  uint dy_off, __global const float *w, uint w_off, float beta,
				  int16 s)
{
	int idx = get_global_id(0), rows = S_N * S_C * S_H;
	if (idx >= rows)
		return;
	int hi = idx % S_H, c = (idx / S_H) % S_C, n = idx / (S_H * S_C);
	int cg = S_C / S_G, kg = S_K / S_G, g = c / cg, cl = c - g * cg;
	__global float *dxr = dx + dx_off + (size_t)idx * S_W;
	for (int wi = 0; wi < S_W; wi++) {
		float acc = 0.0f;
		for (int kk = 0; kk < kg; kk++) {
			int k = g * kg + kk;
			__global const float *dyk = dy + dy_off + ((size_t)n * S_K + k) * S_P * S_Q;
			__global const float *wk = w + w_off + ((size_t)k * cg + cl) * S_KH * S_KW;
			for (int r = 0; r < S_KH; r++) {
				int ph = hi + S_PT - r * S_DH;
				if (ph < 0 || (S_SH > 1 && ph % S_SH))
					continue;
				int p = S_SH > 1 ? ph / S_SH : ph;
				if (p >= S_P)
					continue;
				for (int t = 0; t < S_KW; t++) {
					int qw = wi + S_PL - t * S_DW;
					if (qw < 0 || (S_SW > 1 && qw % S_SW))
						continue;
					int q = S_SW > 1 ? qw / S_SW : qw;
					if (q < S_Q)
						acc += dyk[p * S_Q + q] * wk[r * S_KW + t];
				}
			}
		}
		dxr[wi] = beta != 0.0f ? beta * dxr[wi] + acc : acc;
	}
}

/* dw = sum over images and positions of dy * x, one work-group per weight element; db = sum of
 * dy, groups past the weights (has_bias), one per output channel. The sums run over the
 * positions j = (n * P + p) * Q + q in [j0, j1): lane l of a group of G takes the rows
 * j0 / Q + l, + G, ..., each row's columns in order, and the lanes' sums are added in a fixed
 * tree, so every run adds in the same order; the total is added to what the launch before left
 * (accumulate), so a device that ends long loops early gets them in launches short enough.
 * G: a power of two up to GCONV_GROUP. */
#define GCONV_GROUP 64
__kernel void gconv_backward_weight(__global float *dw, uint dw_off, __global float *db,
				    uint db_off, __global const float *dy, uint dy_off,
				    __global const float *x, uint x_off, int has_bias, int j0,
				    int j1, int accumulate, int16 s)
{
	__local float part[GCONV_GROUP];
	int lane = get_local_id(0), G = get_local_size(0), idx = get_group_id(0);
	int cg = S_C / S_G, kg = S_K / S_G, pq = S_P * S_Q;
	int weights = S_K * cg * S_KH * S_KW;
	int row0 = j0 / S_Q, row1 = (j1 + S_Q - 1) / S_Q;
	float acc = 0.0f;
	if (idx >= weights) { /* a bias: the groups past the weights exist only with one */
		int k = idx - weights;
		for (int row = row0 + lane; row < row1; row += G) {
			int n = row / S_P, p = row - n * S_P;
			int qa = max(j0 - row * S_Q, 0), qb = min(j1 - row * S_Q, S_Q);
			__global const float *dyr =
			    dy + dy_off + ((size_t)n * S_K + k) * pq + p * S_Q;
			for (int q = qa; q < qb; q++)
				acc += dyr[q];
		}
	} else {
		int t = idx % S_KW, r = (idx / S_KW) % S_KH, cl = (idx / (S_KW * S_KH)) % cg,
		    k = idx / (S_KW * S_KH * cg);
		int c = (k / kg) * cg + cl;
		/* input column wi = q * SW - off: the columns q in [qlo, qhi] fall in the image */
		int off = S_PL - t * S_DW;
		int qlo = off > 0 ? (off + S_SW - 1) / S_SW : 0;
		int qhi = S_W - 1 + off < 0 ? -1 : (S_W - 1 + off) / S_SW;
		for (int row = row0 + lane; row < row1; row += G) {
			int n = row / S_P, p = row - n * S_P;
			int hi = p * S_SH - S_PT + r * S_DH;
			if (hi < 0 || hi >= S_H)
				continue;
			int qa = max(max(j0 - row * S_Q, 0), qlo);
			int qb = min(min(j1 - row * S_Q, S_Q), qhi + 1);
			__global const float *dyr =
			    dy + dy_off + ((size_t)n * S_K + k) * pq + p * S_Q;
			__global const float *xr =
			    x + x_off + ((size_t)n * S_C + c) * S_H * S_W + hi * S_W;
			for (int q = qa; q < qb; q++)
				acc += dyr[q] * xr[q * S_SW - off];
		}
	}
	part[lane] = acc;
	barrier(CLK_LOCAL_MEM_FENCE);
	for (int h = G / 2; h > 0; h /= 2) {
		if (lane < h)
			part[lane] += part[lane + h];
		barrier(CLK_LOCAL_MEM_FENCE);
	}
	if (lane == 0) {
		__global float *out = idx >= weights ? db + db_off + (idx - weights) : dw + dw_off + idx;
		*out = accumulate ? *out + part[0] : part[0];
	}
}
