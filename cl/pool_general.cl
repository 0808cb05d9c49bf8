/* pool_general.cl: max and average pooling in their general form (any window, strides, padding
 * per side, ceil_mode's extra window, count_include_pad), one work-item an element; the
 * backward recomputes each window's choice instead of storing it. pool.cl keeps the fast 2x2. */

#pragma OPENCL FP_CONTRACT OFF

/* The shape, packed into one int16 by the host (pool_general.c): 0 n, 1 c, 2 h, 3 w, 4 p, 5 q,
 * 6 kh, 7 kw, 8 sh, 9 sw, 10 pt, 11 pl, 12 pb, 13 pr, 14 count_include_pad. */
#define S_N s.s0
#define S_C s.s1
#define S_H s.s2
#define S_W s.s3
#define S_P s.s4
#define S_Q s.s5
#define S_KH s.s6
#define S_KW s.s7
#define S_SH s.s8
#define S_SW s.s9
#define S_PT s.sa
#define S_PL s.sb
#define S_PB s.sc
#define S_PR s.sd
#define S_INCLUDE s.se

/* Output (p, q)'s window inside the image, [h0, h1) x [w0, w1), and its average's divisor:
 * with count_include_pad the window within the padded image, else the cells inside. */
static void window(int16 s, int p, int q, int *h0, int *h1, int *w0, int *w1, int *divisor)
{
	int hs = p * S_SH - S_PT, ws = q * S_SW - S_PL;
	int he = min(hs + S_KH, S_H + S_PB), we = min(ws + S_KW, S_W + S_PR);
	int padded = (he - hs) * (we - ws);
	*h0 = max(hs, 0), *w0 = max(ws, 0), *h1 = min(he, S_H), *w1 = min(we, S_W);
	*divisor = S_INCLUDE ? padded : (*h1 - *h0) * (*w1 - *w0);
}

/* The outputs whose windows can hold cell (h, w), [p0, p1] x [q0, q1]: those with
 * p*sh - pt <= h < p*sh - pt + kh (and so for q); a window cut by the image's end is checked by
 * its caller. */
static void windows_over(int16 s, int h, int w, int *p0, int *p1, int *q0, int *q1)
{
	*p0 = max(0, (h + S_PT - S_KH + S_SH) / S_SH), *p1 = min(S_P - 1, (h + S_PT) / S_SH);
	*q0 = max(0, (w + S_PL - S_KW + S_SW) / S_SW), *q1 = min(S_Q - 1, (w + S_PL) / S_SW);
}

/* The window's maximum by PyTorch's scan: the first cell, then any greater or NaN; -1 when the
 * window holds no cell of the image. */
static int argmax(__global const float *plane, int16 s, int p, int q)
{
	int h0, h1, w0, w1, d;
	window(s, p, q, &h0, &h1, &w0, &w1, &d);
	int best = -1;
	float v = 0.0f;
	for (int h = h0; h < h1; h++)
		for (int w = w0; w < w1; w++) {
			float x = plane[h * S_W + w];
			if (best < 0 || x > v || isnan(x)) {
				best = h * S_W + w, v = x;
				if (isnan(x))
					return best;
			}
		}
	return best;
}

__kernel void gpool_max_forward(__global float *y, uint y_off, __global const float *x,
				uint x_off, int16 s)
{
	int idx = get_global_id(0);
	if (idx >= S_N * S_C * S_P * S_Q)
		return;
	int q = idx % S_Q, p = (idx / S_Q) % S_P, plane = idx / (S_Q * S_P);
	__global const float *xp = x + x_off + (size_t)plane * S_H * S_W;
	int i = argmax(xp, s, p, q);
	y[y_off + idx] = i < 0 ? -INFINITY : xp[i];
}

/* dx = beta*dx + the sum of dy over the windows whose maximum this cell is */
__kernel void gpool_max_backward(__global float *dx, uint dx_off, __global const float *dy,
				 uint dy_off, __global const float *x, uint x_off, float beta,
				 int16 s)
{
	int idx = get_global_id(0);
	if (idx >= S_N * S_C * S_H * S_W)
		return;
	int cell = idx % (S_H * S_W), plane = idx / (S_H * S_W);
	int h = cell / S_W, w = cell % S_W;
	__global const float *xp = x + x_off + (size_t)plane * S_H * S_W;
	__global const float *dyp = dy + dy_off + (size_t)plane * S_P * S_Q;
	int p0, p1, q0, q1;
	windows_over(s, h, w, &p0, &p1, &q0, &q1);
	float acc = 0.0f;
	for (int p = p0; p <= p1; p++)
		for (int q = q0; q <= q1; q++)
			if (argmax(xp, s, p, q) == cell)
				acc += dyp[p * S_Q + q];
	dx[dx_off + idx] = beta != 0.0f ? beta * dx[dx_off + idx] + acc : acc;
}

__kernel void gpool_avg_forward(__global float *y, uint y_off, __global const float *x,
				uint x_off, int16 s)
{
	int idx = get_global_id(0);
	if (idx >= S_N * S_C * S_P * S_Q)
		return;
	int q = idx % S_Q, p = (idx / S_Q) % S_P, plane = idx / (S_Q * S_P);
	__global const float *xp = x + x_off + (size_t)plane * S_H * S_W;
	int h0, h1, w0, w1, d;
	window(s, p, q, &h0, &h1, &w0, &w1, &d);
	float sum = 0.0f;
	for (int h = h0; h < h1; h++)
		for (int w = w0; w < w1; w++)
			sum += xp[h * S_W + w];
	y[y_off + idx] = d > 0 ? sum / (float)d : 0.0f;
}

/* dx = beta*dx + the sum of dy / divisor over the windows holding this cell */
__kernel void gpool_avg_backward(__global float *dx, uint dx_off, __global const float *dy,
				 uint dy_off, float beta, int16 s)
{
	int idx = get_global_id(0);
	if (idx >= S_N * S_C * S_H * S_W)
		return;
	int cell = idx % (S_H * S_W), plane = idx / (S_H * S_W);
	int h = cell / S_W, w = cell % S_W;
	__global const float *dyp = dy + dy_off + (size_t)plane * S_P * S_Q;
	int p0, p1, q0, q1;
	windows_over(s, h, w, &p0, &p1, &q0, &q1);
	float acc = 0.0f;
	for (int p = p0; p <= p1; p++)
		for (int q = q0; q <= q1; q++) {
			int h0, h1, w0, w1, d;
			window(s, p, q, &h0, &h1, &w0, &w1, &d);
			if (h >= h0 && h < h1 && w >= w0 && w < w1 && d > 0)
				acc += dyp[p * S_Q + q] / (float)d;
		}
	dx[dx_off + idx] = beta != 0.0f ? beta * dx[dx_off + idx] + acc : acc;
}
