/* ref.c: plain-C double-precision reference of every ampcl op, written for clarity not speed.
 * Loops follow the math of PyTorch's CPU path so the OpenCL kernels have one trusted baseline. */
#include "ref.h"
#include "rng.h"

#include <math.h>
#include <stdint.h>
#include <string.h>

/* Apply the input-gradient beta: 0 must overwrite (garbage or NaN on entry), 1 keeps. */
static void scale_by_beta(double *dx, size_t count, double beta)
{
	if (beta == 0.0) {
		for (size_t i = 0; i < count; i++)
			dx[i] = 0.0;
	} else if (beta != 1.0) {
		for (size_t i = 0; i < count; i++)
			dx[i] *= beta;
	}
}

/* ---- convolution ---- */

int ref_conv2d_out_size(int in, int kernel, int stride, int pad)
{
	return (in + 2 * pad - kernel) / stride + 1;
}

void ref_conv2d_forward(double *y, const double *x, const double *w, const double *bias, int n,
			int c, int h, int wd, int k, int r, int s, int stride, int pad)
{
	/* y: (n, k, p, q)  x: (n, c, h, wd)  w: (k, c, r, s)  bias: (k) */
	int p = ref_conv2d_out_size(h, r, stride, pad);
	int q = ref_conv2d_out_size(wd, s, stride, pad);
	for (int in = 0; in < n; in++)
		for (int ik = 0; ik < k; ik++)
			for (int ip = 0; ip < p; ip++)
				for (int iq = 0; iq < q; iq++) {
					double acc = bias ? bias[ik] : 0.0;
					for (int ic = 0; ic < c; ic++)
						for (int ir = 0; ir < r; ir++) {
							int ih = ip * stride - pad + ir;
							if (ih < 0 || ih >= h)
								continue; /* zero padding
									     contributes nothing */
							for (int is = 0; is < s; is++) {
								int iw = iq * stride - pad + is;
								if (iw < 0 || iw >= wd)
									continue;
								acc +=
								    x[(((size_t)in * c + ic) * h +
								       ih) *
									  wd +
								      iw] *
								    w[(((size_t)ik * c + ic) * r +
								       ir) *
									  s +
								      is];
							}
						}
					y[(((size_t)in * k + ik) * p + ip) * q + iq] = acc;
				}
}

void ref_conv2d_backward(double *dx, double *dw, double *db, const double *dy, const double *x,
			 const double *w, int n, int c, int h, int wd, int k, int r, int s,
			 int stride, int pad, double beta)
{
	/* dx: (n, c, h, wd)  dw: (k, c, r, s)  db: (k)  dy: (n, k, p, q) */
	int p = ref_conv2d_out_size(h, r, stride, pad);
	int q = ref_conv2d_out_size(wd, s, stride, pad);
	if (dx)
		scale_by_beta(dx, (size_t)n * c * h * wd, beta);
	/* Scatter form: every forward multiply-add x*w sends dy back to both of its operands. */
	for (int in = 0; in < n; in++)
		for (int ik = 0; ik < k; ik++)
			for (int ip = 0; ip < p; ip++)
				for (int iq = 0; iq < q; iq++) {
					double g = dy[(((size_t)in * k + ik) * p + ip) * q + iq];
					if (db)
						db[ik] += g;
					for (int ic = 0; ic < c; ic++)
						for (int ir = 0; ir < r; ir++) {
							int ih = ip * stride - pad + ir;
							if (ih < 0 || ih >= h)
								continue;
							for (int is = 0; is < s; is++) {
								int iw = iq * stride - pad + is;
								if (iw < 0 || iw >= wd)
									continue;
								size_t xi =
								    (((size_t)in * c + ic) * h +
								     ih) *
									wd +
								    iw;
								size_t wi =
								    (((size_t)ik * c + ic) * r +
								     ir) *
									s +
								    is;
								dw[wi] += g * x[xi];
								if (dx)
									dx[xi] += g * w[wi];
							}
						}
				}
}

/* ---- batch norm ---- */

void ref_bn_forward_train(double *y, double *save_mean, double *save_invstd, double *run_mean,
			  double *run_var, const double *x, const double *gamma,
			  const double *beta_p, int n, int c, int hw, double momentum, double eps)
{
	/* y, x: (n, c, hw)  save_mean, save_invstd, run_mean, run_var, gamma, beta_p: (c) */
	size_t cnt = (size_t)n * hw;
	for (int ic = 0; ic < c; ic++) {
		/* Two passes (mean, then squared deviations) so the variance does not cancel. */
		double sum = 0.0;
		for (int in = 0; in < n; in++)
			for (int i = 0; i < hw; i++)
				sum += x[((size_t)in * c + ic) * hw + i];
		double mean = sum / (double)cnt;
		double sq = 0.0;
		for (int in = 0; in < n; in++)
			for (int i = 0; i < hw; i++) {
				double d = x[((size_t)in * c + ic) * hw + i] - mean;
				sq += d * d;
			}
		double var = sq / (double)cnt;
		double invstd = 1.0 / sqrt(var + eps);
		for (int in = 0; in < n; in++)
			for (int i = 0; i < hw; i++) {
				size_t idx = ((size_t)in * c + ic) * hw + i;
				y[idx] = gamma[ic] * (x[idx] - mean) * invstd + beta_p[ic];
			}
		save_mean[ic] = mean;
		save_invstd[ic] = invstd;
		/* PyTorch tracks the unbiased variance; a single element has none, so keep biased
		 * (0). */
		double unbiased = cnt > 1 ? sq / (double)(cnt - 1) : var;
		run_mean[ic] = (1.0 - momentum) * run_mean[ic] + momentum * mean;
		run_var[ic] = (1.0 - momentum) * run_var[ic] + momentum * unbiased;
	}
}

void ref_bn_forward_eval(double *y, const double *x, const double *gamma, const double *beta_p,
			 const double *run_mean, const double *run_var, int n, int c, int hw,
			 double eps)
{
	/* y, x: (n, c, hw)  gamma, beta_p, run_mean, run_var: (c) */
	for (int in = 0; in < n; in++)
		for (int ic = 0; ic < c; ic++) {
			double invstd = 1.0 / sqrt(run_var[ic] + eps);
			for (int i = 0; i < hw; i++) {
				size_t idx = ((size_t)in * c + ic) * hw + i;
				y[idx] = gamma[ic] * (x[idx] - run_mean[ic]) * invstd + beta_p[ic];
			}
		}
}

void ref_bn_backward(double *dx, double *dgamma, double *dbeta, const double *dy, const double *x,
		     const double *save_mean, const double *save_invstd, const double *gamma, int n,
		     int c, int hw, double beta)
{
	/* dx, dy, x: (n, c, hw)  dgamma, dbeta, save_mean, save_invstd, gamma: (c) */
	size_t cnt = (size_t)n * hw;
	for (int ic = 0; ic < c; ic++) {
		double mean = save_mean[ic], invstd = save_invstd[ic];
		/* This call's own sums: dgamma/dbeta accumulate across calls, dx must not see that.
		 */
		double sum_dy = 0.0, sum_dy_xhat = 0.0;
		for (int in = 0; in < n; in++)
			for (int i = 0; i < hw; i++) {
				size_t idx = ((size_t)in * c + ic) * hw + i;
				sum_dy += dy[idx];
				sum_dy_xhat += dy[idx] * (x[idx] - mean) * invstd;
			}
		dbeta[ic] += sum_dy;
		dgamma[ic] += sum_dy_xhat;
		/* dx = gamma*invstd * (dy - mean(dy) - xhat*mean(dy*xhat)): the two subtracted
		 * terms come from the batch mean and variance depending on x. */
		double mean_dy = sum_dy / (double)cnt, mean_dy_xhat = sum_dy_xhat / (double)cnt;
		for (int in = 0; in < n; in++)
			for (int i = 0; i < hw; i++) {
				size_t idx = ((size_t)in * c + ic) * hw + i;
				double xhat = (x[idx] - mean) * invstd;
				double g =
				    gamma[ic] * invstd * (dy[idx] - mean_dy - xhat * mean_dy_xhat);
				dx[idx] = (beta == 0.0 ? 0.0 : beta * dx[idx]) + g;
			}
	}
}

/* ---- ReLU ---- */

void ref_relu_forward(double *y, const double *x, size_t count)
{
	/* NaN passes through, as torch.relu propagates it; a bare x > 0 test would turn it to 0. */
	for (size_t i = 0; i < count; i++)
		y[i] = isnan(x[i]) ? x[i] : (x[i] > 0.0 ? x[i] : 0.0);
}

void ref_relu_backward(double *dx, const double *dy, const double *y, size_t count, double beta)
{
	for (size_t i = 0; i < count; i++) {
		double g = y[i] > 0.0 ? dy[i] : 0.0;
		dx[i] = (beta == 0.0 ? 0.0 : beta * dx[i]) + g;
	}
}

void ref_gconv_out(const struct ref_gconv *s, int *p, int *q)
{
	*p = (s->h + s->pt + s->pb - s->dh * (s->kh - 1) - 1) / s->sh + 1;
	*q = (s->w + s->pl + s->pr - s->dw * (s->kw - 1) - 1) / s->sw + 1;
}

/* Calls f(n, k, p, q, c, r, t, hi, wi) for every product term inside the image. */
#define GCONV_TERMS(s, P, Q, BODY)                                                                 \
	for (int n = 0; n < (s)->n; n++)                                                           \
		for (int k = 0; k < (s)->k; k++)                                                   \
			for (int p = 0; p < (P); p++)                                              \
				for (int q = 0; q < (Q); q++)                                      \
					for (int cl = 0; cl < (s)->c / (s)->groups; cl++)          \
						for (int r = 0; r < (s)->kh; r++)                  \
							for (int t = 0; t < (s)->kw; t++) {        \
								int c = (k / ((s)->k / (s)->groups)) * \
									    ((s)->c / (s)->groups) + cl; \
								int hi = p * (s)->sh - (s)->pt + r * (s)->dh; \
								int wi = q * (s)->sw - (s)->pl + t * (s)->dw; \
								if (hi < 0 || hi >= (s)->h || wi < 0 ||   \
								    wi >= (s)->w)                         \
									continue;                         \
								size_t yi = (((size_t)n * (s)->k + k) * (P) + p) * (Q) + q; \
								size_t xi = (((size_t)n * (s)->c + c) * (s)->h + hi) * (s)->w + wi; \
								size_t wj = (((size_t)k * ((s)->c / (s)->groups) + cl) * (s)->kh + r) * (s)->kw + t; \
								BODY;                                     \
							}

void ref_gconv_forward(const struct ref_gconv *s, double *y, const double *x, const double *w,
		       const double *b)
{
	int P, Q;
	ref_gconv_out(s, &P, &Q);
	size_t ny = (size_t)s->n * s->k * P * Q;
	for (size_t i = 0; i < ny; i++)
		y[i] = b ? b[(i / ((size_t)P * Q)) % (size_t)s->k] : 0.0;
	GCONV_TERMS(s, P, Q, y[yi] += x[xi] * w[wj])
}

void ref_gconv_backward(const struct ref_gconv *s, double *dx, double *dw, double *db,
			const double *dy, const double *x, const double *w, double beta)
{
	int P, Q;
	ref_gconv_out(s, &P, &Q);
	size_t nx = (size_t)s->n * s->c * s->h * s->w,
	       nw = (size_t)s->k * (s->c / s->groups) * s->kh * s->kw;
	if (dx)
		for (size_t i = 0; i < nx; i++)
			dx[i] = beta == 0.0 ? 0.0 : beta * dx[i];
	for (size_t i = 0; i < nw; i++)
		dw[i] = 0.0;
	GCONV_TERMS(s, P, Q, {
		if (dx)
			dx[xi] += dy[yi] * w[wj];
		dw[wj] += dy[yi] * x[xi];
	})
	if (db)
		for (int k = 0; k < s->k; k++) {
			db[k] = 0.0;
			for (int n = 0; n < s->n; n++)
				for (int i = 0; i < P * Q; i++)
					db[k] += dy[((size_t)n * s->k + k) * P * Q + i];
		}
}

/* Output (p, q)'s window in the image [h0, h1) x [w0, w1) and its average's divisor. */
static void gpool_window(const struct ref_gpool *s, int p, int q, int *h0, int *h1, int *w0,
			 int *w1, int *divisor)
{
	int hs = p * s->sh - s->pt, ws = q * s->sw - s->pl;
	int he = hs + s->kh < s->h + s->pb ? hs + s->kh : s->h + s->pb;
	int we = ws + s->kw < s->w + s->pr ? ws + s->kw : s->w + s->pr;
	int padded = (he - hs) * (we - ws);
	*h0 = hs > 0 ? hs : 0, *w0 = ws > 0 ? ws : 0;
	*h1 = he < s->h ? he : s->h, *w1 = we < s->w ? we : s->w;
	*divisor = s->count_include_pad ? padded : (*h1 - *h0) * (*w1 - *w0);
}

static int gpool_argmax(const struct ref_gpool *s, const double *plane, int p, int q)
{
	int h0, h1, w0, w1, d, best = -1;
	gpool_window(s, p, q, &h0, &h1, &w0, &w1, &d);
	for (int h = h0; h < h1; h++)
		for (int w = w0; w < w1; w++) {
			double v = plane[h * s->w + w];
			if (best < 0 || v > plane[best] || isnan(v)) {
				best = h * s->w + w;
				if (isnan(v))
					return best;
			}
		}
	return best;
}

void ref_gpool_forward(const struct ref_gpool *s, int average, double *y, const double *x)
{
	for (int pl = 0; pl < s->n * s->c; pl++) {
		const double *xp = x + (size_t)pl * s->h * s->w;
		for (int p = 0; p < s->p; p++)
			for (int q = 0; q < s->q; q++) {
				double *out = &y[((size_t)pl * s->p + p) * s->q + q];
				if (!average) {
					int i = gpool_argmax(s, xp, p, q);
					*out = i < 0 ? -INFINITY : xp[i];
					continue;
				}
				int h0, h1, w0, w1, d;
				gpool_window(s, p, q, &h0, &h1, &w0, &w1, &d);
				double sum = 0;
				for (int h = h0; h < h1; h++)
					for (int w = w0; w < w1; w++)
						sum += xp[h * s->w + w];
				*out = d > 0 ? sum / d : 0.0;
			}
	}
}

void ref_gpool_backward(const struct ref_gpool *s, int average, double *dx, const double *dy,
			const double *x, double beta)
{
	size_t nx = (size_t)s->n * s->c * s->h * s->w;
	for (size_t i = 0; i < nx; i++)
		dx[i] = beta == 0.0 ? 0.0 : beta * dx[i];
	for (int pl = 0; pl < s->n * s->c; pl++) {
		double *dxp = dx + (size_t)pl * s->h * s->w;
		for (int p = 0; p < s->p; p++)
			for (int q = 0; q < s->q; q++) {
				double g = dy[((size_t)pl * s->p + p) * s->q + q];
				if (!average) {
					int i = gpool_argmax(s, x + (size_t)pl * s->h * s->w, p, q);
					if (i >= 0)
						dxp[i] += g;
					continue;
				}
				int h0, h1, w0, w1, d;
				gpool_window(s, p, q, &h0, &h1, &w0, &w1, &d);
				for (int h = h0; h < h1 && d > 0; h++)
					for (int w = w0; w < w1; w++)
						dxp[h * s->w + w] += g / d;
			}
	}
}

int ref_dropout_keep(unsigned long long seed, unsigned step, unsigned salt, unsigned i, double p)
{
	uint32_t h = (uint32_t)seed ^ 0x9e3779b9u;
	uint32_t v[4] = {(uint32_t)(seed >> 32), step, salt, i};
	for (int k = 0; k < 4; k++) {
		h ^= v[k] + 0x85ebca6bu + (h << 6) + (h >> 2);
		h ^= h >> 16;
		h *= 0x7feb352du;
		h ^= h >> 15;
		h *= 0x846ca68bu;
		h ^= h >> 16;
	}
	return h >= (uint32_t)(p * 4294967296.0);
}

void ref_dropout_forward(double *y, const double *x, size_t count, unsigned long long seed,
			 unsigned step, unsigned salt, double p)
{
	double scale = (double)(1.0f / (1.0f - (float)p)); /* the kernels' float scale */
	for (size_t i = 0; i < count; i++)
		y[i] = ref_dropout_keep(seed, step, salt, (unsigned)i, p) ? x[i] * scale : 0.0;
}

void ref_dropout_backward(double *dx, const double *dy, size_t count, unsigned long long seed,
			  unsigned step, unsigned salt, double p, double beta)
{
	double scale = (double)(1.0f / (1.0f - (float)p));
	for (size_t i = 0; i < count; i++) {
		double g = ref_dropout_keep(seed, step, salt, (unsigned)i, p) ? dy[i] * scale : 0.0;
		dx[i] = (beta == 0.0 ? 0.0 : beta * dx[i]) + g;
	}
}

void ref_concat_forward(double *y, const double *a, const double *b, int n, int ca, int cb,
			int hw)
{
	size_t pa = (size_t)ca * hw, pb = (size_t)cb * hw;
	for (int i = 0; i < n; i++) {
		memcpy(y + i * (pa + pb), a + i * pa, pa * sizeof(double));
		memcpy(y + i * (pa + pb) + pa, b + i * pb, pb * sizeof(double));
	}
}

void ref_concat_backward(double *dx, const double *dy, int n, int cs, int cd, int off, int hw,
			 double beta)
{
	size_t per = (size_t)cs * hw;
	for (int i = 0; i < n; i++)
		for (size_t r = 0; r < per; r++) {
			double v = dy[((size_t)i * cd + off) * hw + r];
			double *d = &dx[i * per + r];
			*d = (beta == 0.0 ? 0.0 : beta * *d) + v;
		}
}

void ref_slice_forward(double *y, const double *x, int n, int cs, int cd, int off, int hw)
{
	for (int i = 0; i < n; i++)
		for (int c = 0; c < cs; c++)
			for (int r = 0; r < hw; r++)
				y[((size_t)i * cs + c) * hw + r] =
				    x[((size_t)i * cd + off + c) * hw + r];
}

void ref_slice_backward(double *dx, const double *dy, int n, int cs, int cd, int off, int hw,
			double beta)
{
	for (int i = 0; i < n; i++)
		for (int c = 0; c < cd; c++)
			for (int r = 0; r < hw; r++) {
				double v = c >= off && c < off + cs
					       ? dy[((size_t)i * cs + c - off) * hw + r]
					       : 0.0;
				double *d = &dx[((size_t)i * cd + c) * hw + r];
				*d = (beta == 0.0 ? 0.0 : beta * *d) + v;
			}
}

void ref_clip_forward(double *y, const double *x, size_t count, double lo, double hi)
{
	for (size_t i = 0; i < count; i++)
		y[i] = isnan(x[i]) ? x[i] : x[i] < lo ? lo : x[i] > hi ? hi : x[i];
}

void ref_clip_backward(double *dx, const double *dy, const double *y, size_t count, double lo,
		       double hi, double beta)
{
	for (size_t i = 0; i < count; i++) {
		double g = y[i] > lo && y[i] < hi ? dy[i] : 0.0;
		dx[i] = (beta == 0.0 ? 0.0 : beta * dx[i]) + g;
	}
}

/* ---- max pool ---- */

/* Index (within one (h, wd) plane) of the window's maximum, by PyTorch's CPU scan: start at the
 * first element with -inf, replace when strictly greater or NaN. */
static size_t maxpool2_argmax(const double *plane, int wd, int ip, int iq)
{
	size_t best = (size_t)(2 * ip) * wd + 2 * iq;
	double best_val = -INFINITY;
	for (int dr = 0; dr < 2; dr++)
		for (int dc = 0; dc < 2; dc++) {
			size_t idx = (size_t)(2 * ip + dr) * wd + 2 * iq + dc;
			double v = plane[idx];
			if (v > best_val || isnan(v)) {
				best_val = v;
				best = idx;
			}
		}
	return best;
}

void ref_maxpool2_forward(double *y, const double *x, int n, int c, int h, int wd)
{
	/* y: (n, c, h/2, wd/2)  x: (n, c, h, wd) */
	int p = h / 2, q = wd / 2;
	for (size_t pl = 0; pl < (size_t)n * c; pl++) {
		const double *plane = x + pl * h * wd;
		for (int ip = 0; ip < p; ip++)
			for (int iq = 0; iq < q; iq++)
				y[(pl * p + ip) * q + iq] =
				    plane[maxpool2_argmax(plane, wd, ip, iq)];
	}
}

void ref_maxpool2_backward(double *dx, const double *dy, const double *x, int n, int c, int h,
			   int wd, double beta)
{
	/* dx, x: (n, c, h, wd)  dy: (n, c, h/2, wd/2) */
	int p = h / 2, q = wd / 2;
	scale_by_beta(dx, (size_t)n * c * h * wd, beta);
	for (size_t pl = 0; pl < (size_t)n * c; pl++) {
		const double *plane = x + pl * h * wd;
		for (int ip = 0; ip < p; ip++)
			for (int iq = 0; iq < q; iq++)
				dx[pl * h * wd + maxpool2_argmax(plane, wd, ip, iq)] +=
				    dy[(pl * p + ip) * q + iq];
	}
}

/* ---- global average pool ---- */

void ref_avgpool_forward(double *y, const double *x, int n, int c, int hw)
{
	/* y: (n, c)  x: (n, c, hw) */
	for (size_t pl = 0; pl < (size_t)n * c; pl++) {
		double sum = 0.0;
		for (int i = 0; i < hw; i++)
			sum += x[pl * hw + i];
		y[pl] = sum / hw;
	}
}

void ref_avgpool_backward(double *dx, const double *dy, int n, int c, int hw, double beta)
{
	/* dx: (n, c, hw)  dy: (n, c) */
	for (size_t pl = 0; pl < (size_t)n * c; pl++)
		for (int i = 0; i < hw; i++) {
			size_t idx = pl * hw + i;
			dx[idx] = (beta == 0.0 ? 0.0 : beta * dx[idx]) + dy[pl] / hw;
		}
}

/* ---- linear ---- */

void ref_linear_forward(double *y, const double *x, const double *w, const double *b, int n, int in,
			int out)
{
	/* y: (n, out)  x: (n, in)  w: (out, in)  b: (out) */
	for (int i = 0; i < n; i++)
		for (int o = 0; o < out; o++) {
			double acc = b ? b[o] : 0.0;
			for (int j = 0; j < in; j++)
				acc += x[(size_t)i * in + j] * w[(size_t)o * in + j];
			y[(size_t)i * out + o] = acc;
		}
}

void ref_linear_backward(double *dx, double *dw, double *db, const double *dy, const double *x,
			 const double *w, int n, int in, int out, double beta)
{
	/* dx: (n, in)  dw: (out, in)  db: (out)  dy: (n, out)  x: (n, in)  w: (out, in) */
	if (dx) /* dx = dy * w */
		for (int i = 0; i < n; i++)
			for (int j = 0; j < in; j++) {
				double acc = 0.0;
				for (int o = 0; o < out; o++)
					acc += dy[(size_t)i * out + o] * w[(size_t)o * in + j];
				size_t idx = (size_t)i * in + j;
				dx[idx] = (beta == 0.0 ? 0.0 : beta * dx[idx]) + acc;
			}
	for (int o = 0; o < out; o++) { /* dw += dy^T * x, db += column sums of dy */
		for (int j = 0; j < in; j++) {
			double acc = 0.0;
			for (int i = 0; i < n; i++)
				acc += dy[(size_t)i * out + o] * x[(size_t)i * in + j];
			dw[(size_t)o * in + j] += acc;
		}
		if (db) {
			double acc = 0.0;
			for (int i = 0; i < n; i++)
				acc += dy[(size_t)i * out + o];
			db[o] += acc;
		}
	}
}

/* ---- softmax cross-entropy ---- */

double ref_softmax_ce(double *dlogits, int *correct, const double *logits, const int *labels, int n,
		      int k)
{
	/* dlogits, logits: (n, k)  labels: (n) */
	double total = 0.0;
	int hits = 0;
	for (int i = 0; i < n; i++) {
		const double *row = logits + (size_t)i * k;
		int arg = 0;
		for (int j = 1; j < k; j++)
			if (row[j] > row[arg]) /* strict: ties keep the first maximum */
				arg = j;
		double mx = row[arg];
		/* Subtracting the row max keeps exp() in range; log-sum-exp is shift invariant. */
		double sum = 0.0;
		for (int j = 0; j < k; j++)
			sum += exp(row[j] - mx);
		double lse = mx + log(sum);
		total += lse - row[labels[i]];
		if (arg == labels[i])
			hits++;
		if (dlogits)
			for (int j = 0; j < k; j++)
				dlogits[(size_t)i * k + j] =
				    (exp(row[j] - mx) / sum - (j == labels[i] ? 1.0 : 0.0)) / n;
	}
	if (correct)
		*correct = hits;
	return total / n;
}

/* ---- elementwise ---- */

void ref_add_forward(double *y, const double *a, const double *b, size_t count)
{
	for (size_t i = 0; i < count; i++)
		y[i] = a[i] + b[i];
}

void ref_scale_inplace(double *x, size_t count, double factor)
{
	for (size_t i = 0; i < count; i++)
		x[i] *= factor;
}

/* ---- optimizer ---- */

void ref_sgd_step(double *param, double *momentum_buf, const double *grad, size_t count, double lr,
		  double momentum, double weight_decay, int nesterov)
{
	for (size_t i = 0; i < count; i++) {
		double g = grad[i] + weight_decay * param[i];
		if (momentum != 0.0) {
			momentum_buf[i] = momentum * momentum_buf[i] + g;
			g = nesterov ? g + momentum * momentum_buf[i] : momentum_buf[i];
		}
		param[i] -= lr * g;
	}
}

/* ---- GEMM ---- */

void ref_gemm(int trans_a, int trans_b, int m, int n, int k, double alpha, const double *a, int lda,
	      const double *b, int ldb, double beta, double *c, int ldc)
{
	/* a: (m, k) or (k, m) stored with row stride lda; b: (k, n) or (n, k) with ldb; c: (m, n)
	 */
	for (int i = 0; i < m; i++)
		for (int j = 0; j < n; j++) {
			double acc = 0.0;
			for (int p = 0; p < k; p++) {
				double av =
				    trans_a ? a[(size_t)p * lda + i] : a[(size_t)i * lda + p];
				double bv =
				    trans_b ? b[(size_t)j * ldb + p] : b[(size_t)p * ldb + j];
				acc += av * bv;
			}
			double *cij = &c[(size_t)i * ldc + j];
			*cij = alpha * acc + (beta == 0.0 ? 0.0 : beta * *cij);
		}
}

/* ---- test helpers ---- */

void ref_fill_uniform(double *x, size_t count, unsigned long long *state, double lo, double hi)
{
	uint64_t s = *state;
	for (size_t i = 0; i < count; i++)
		x[i] = lo + (hi - lo) * ampcl_uniform01(&s);
	*state = s;
}

double ref_max_abs_diff(const double *a, const double *b, size_t n)
{
	double m = 0.0;
	for (size_t i = 0; i < n; i++) {
		double d = fabs(a[i] - b[i]);
		if (isnan(d))
			return NAN;
		if (d > m)
			m = d;
	}
	return m;
}

double ref_max_rel_diff(const double *a, const double *b, size_t n, double floor)
{
	double m = 0.0;
	for (size_t i = 0; i < n; i++) {
		double diff = fabs(a[i] - b[i]);
		if (isnan(diff))
			return NAN;
		if (diff == 0.0)
			continue; /* equal (zeros included): no 0/0 when floor is 0 */
		double den = fabs(b[i]) > floor ? fabs(b[i]) : floor;
		double d = diff / den;
		if (d > m)
			m = d;
	}
	return m;
}
