/* dataset_pixels.c: an image fitted into the image size (zero padding, area averaging or bilinear
 * enlargement, each axis on its own) and per-channel pixel statistics (dataset_pixels.h). */
#include "dataset_pixels.h"
#include "alloc.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

void ampcl_dataset_pixel_stats(const struct ampcl_dataset *ds, double mean[3], double std[3])
{
	for (int c = 0; c < 3; c++) {
		mean[c] = 0.0;
		std[c] = 0.0;
	}
	if (!ds || ds->count <= 0)
		return;
	/* integer sums are exact: 255^2 per pixel, 2^64 / 65025 pixels in all */
	size_t plane = (size_t)ds->height * ds->width;
	for (int c = 0; c < ds->channels; c++) {
		unsigned long long s = 0, s2 = 0;
		for (int i = 0; i < ds->count; i++) {
			const unsigned char *p =
			    ds->pixels + ((size_t)i * ds->channels + c) * plane;
			unsigned long long a = 0, a2 = 0;
			for (size_t j = 0; j < plane; j++) {
				a += p[j];
				a2 += (unsigned)p[j] * p[j];
			}
			s += a;
			s2 += a2;
		}
		double n = (double)ds->count * (double)plane;
		double m = (double)s / n, var = (double)s2 / n - m * m;
		mean[c] = m / 255.0;
		std[c] = sqrt(var > 0 ? var : 0) / 255.0;
	}
}

/* How one axis of n source positions maps to m outputs: output o is
 * sum_k w[o][k] * src[first[o] + k] / norm, taps[o] terms (0: padding). */
struct axis_map {
	int *first, *taps;
	double *w; /* m rows of max_taps weights */
	int max_taps;
	double norm;
};

static void axis_map_init(struct axis_map *a, int n, int m)
{
	a->first = ampcl_xcalloc((size_t)m, sizeof(int));
	a->taps = ampcl_xcalloc((size_t)m, sizeof(int));
	a->norm = 1.0;
	if (n > m) { /* area: output o covers source [o*n/m, (o+1)*n/m) */
		a->max_taps = n / m + 2;
		a->w = ampcl_xcalloc((size_t)m * a->max_taps, sizeof(double));
		double scale = (double)n / m;
		a->norm = scale;
		for (int o = 0; o < m; o++) {
			double lo = o * scale, hi = (o + 1) * scale;
			int first = (int)floor(lo), last = (int)ceil(hi) - 1;
			if (last > n - 1)
				last = n - 1;
			a->first[o] = first;
			a->taps[o] = last - first + 1;
			for (int s = first; s <= last; s++) {
				double l = s > lo ? s : lo, h = s + 1 < hi ? s + 1 : hi;
				a->w[o * a->max_taps + (s - first)] = h > l ? h - l : 0;
			}
		}
		return;
	}
	a->max_taps = 2;
	a->w = ampcl_xcalloc((size_t)m * 2, sizeof(double));
	if (m - n <= m / 8) { /* copy (n == m) or centred padding */
		int off = (m - n) / 2;
		for (int o = 0; o < m; o++)
			if (o >= off && o < off + n) {
				a->first[o] = o - off;
				a->taps[o] = 1;
				a->w[o * 2] = 1.0;
			}
		return;
	}
	double scale = (double)n / m; /* bilinear: source position (o + 0.5) * n / m - 0.5 */
	for (int o = 0; o < m; o++) {
		double s = (o + 0.5) * scale - 0.5;
		if (s < 0)
			s = 0;
		int i = (int)floor(s);
		if (i > n - 1)
			i = n - 1;
		double f = s - i;
		a->first[o] = i;
		a->taps[o] = i + 1 < n ? 2 : 1;
		a->w[o * 2] = a->taps[o] == 2 ? 1.0 - f : 1.0;
		if (a->taps[o] == 2)
			a->w[o * 2 + 1] = f;
	}
}

static void axis_map_free(struct axis_map *a)
{
	free(a->first);
	free(a->taps);
	free(a->w);
}

void ampcl_dataset_fit(const struct ampcl_image_view *src, unsigned char *dst, int out_channels,
		       int out_w, int out_h)
{
	struct axis_map ax, ay;
	axis_map_init(&ax, src->w, out_w);
	axis_map_init(&ay, src->h, out_h);
	size_t plane = (size_t)out_w * out_h;
	memset(dst, 0, (size_t)out_channels * plane);
	/* separable: rows first into doubles (src h x out_w), then columns */
	double *tmp = ampcl_xmalloc((size_t)src->h * out_w * sizeof(double));
	double norm = ax.norm * ay.norm;
	for (int c = 0; c < src->channels; c++) {
		const unsigned char *p = src->px + (size_t)c * src->cstride;
		for (int y = 0; y < src->h; y++) {
			const unsigned char *row = p + (size_t)y * src->ystride;
			for (int x = 0; x < out_w; x++) {
				double acc = 0;
				for (int k = 0; k < ax.taps[x]; k++)
					acc += ax.w[x * ax.max_taps + k] *
					       row[(size_t)(ax.first[x] + k) * src->xstride];
				tmp[(size_t)y * out_w + x] = acc;
			}
		}
		for (int y = 0; y < out_h; y++) {
			if (!ay.taps[y])
				continue; /* padding rows stay 0 */
			for (int x = 0; x < out_w; x++) {
				double acc = 0;
				for (int k = 0; k < ay.taps[y]; k++)
					acc += ay.w[y * ay.max_taps + k] *
					       tmp[(size_t)(ay.first[y] + k) * out_w + x];
				double v = floor(acc / norm + 0.5);
				unsigned char b = v < 0 ? 0 : v > 255 ? 255 : (unsigned char)v;
				/* a grey source fills every output channel */
				int c0 = src->channels == 1 ? 0 : c;
				int c1 = src->channels == 1 ? out_channels : c + 1;
				for (int dc = c0; dc < c1; dc++)
					dst[(size_t)dc * plane + (size_t)y * out_w + x] = b;
			}
		}
	}
	free(tmp);
	axis_map_free(&ax);
	axis_map_free(&ay);
}
