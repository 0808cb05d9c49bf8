/* dataset_pixels.c: an image centred into 32x32 planar bytes (zero padding, or area averaging
 * for a larger side) and per-channel pixel statistics (dataset_pixels.h). */
#include "dataset_pixels.h"
#include "alloc.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define SIDE AMPCL_DATASET_SIDE

void ampcl_dataset_pixel_stats(const struct ampcl_dataset *ds, double mean[3], double std[3])
{
	for (int c = 0; c < 3; c++) {
		mean[c] = 0.0;
		std[c] = 0.0;
	}
	if (!ds || ds->count <= 0)
		return;
	/* integer sums are exact: 255^2 * 1024 * 2^31 images still fits in 64 bits */
	size_t plane = SIDE * SIDE;
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

/* Shrinks n source positions to m < n outputs along one axis: output o covers source interval
 * [o*n/m, (o+1)*n/m); w[o][k] is the covered length of source pixel first[o] + k. */
struct area_axis {
	int first[SIDE], taps[SIDE];
	double *w; /* SIDE rows of up to max_taps weights */
	int max_taps;
};

static void area_axis_init(struct area_axis *a, int n, int m)
{
	a->max_taps = n / m + 2;
	a->w = ampcl_xcalloc((size_t)m * a->max_taps, sizeof(double));
	double scale = (double)n / m;
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
}

void ampcl_dataset_place(const unsigned char *src, int w, int h, int src_channels,
			 unsigned char *dst, int channels)
{
	int mw = w < SIDE ? w : SIDE, mh = h < SIDE ? h : SIDE;
	int ox = (SIDE - mw) / 2, oy = (SIDE - mh) / 2;
	memset(dst, 0, (size_t)channels * SIDE * SIDE);
	if (w <= SIDE && h <= SIDE) {
		for (int c = 0; c < channels; c++) {
			int sc = src_channels == 1 ? 0 : c;
			unsigned char *d = dst + (size_t)c * SIDE * SIDE;
			for (int y = 0; y < h; y++)
				for (int x = 0; x < w; x++)
					d[(y + oy) * SIDE + x + ox] =
					    src[((size_t)y * w + x) * src_channels + sc];
		}
		return;
	}
	/* area averaging is separable: rows first into doubles (h x mw), then columns */
	struct area_axis ax = {0}, ay = {0};
	int rx = w > SIDE, ry = h > SIDE;
	if (rx)
		area_axis_init(&ax, w, SIDE);
	if (ry)
		area_axis_init(&ay, h, SIDE);
	double *tmp = ampcl_xmalloc((size_t)h * mw * sizeof(double));
	double sx = rx ? (double)w / SIDE : 1.0, sy = ry ? (double)h / SIDE : 1.0;
	for (int c = 0; c < src_channels; c++) {
		for (int y = 0; y < h; y++) {
			const unsigned char *row = src + (size_t)y * w * src_channels + c;
			for (int x = 0; x < mw; x++) {
				if (!rx) {
					tmp[(size_t)y * mw + x] = row[(size_t)x * src_channels];
					continue;
				}
				double acc = 0;
				for (int k = 0; k < ax.taps[x]; k++)
					acc += ax.w[x * ax.max_taps + k] *
					       row[(size_t)(ax.first[x] + k) * src_channels];
				tmp[(size_t)y * mw + x] = acc;
			}
		}
		for (int y = 0; y < mh; y++) {
			for (int x = 0; x < mw; x++) {
				double acc;
				if (!ry) {
					acc = tmp[(size_t)y * mw + x];
				} else {
					acc = 0;
					for (int k = 0; k < ay.taps[y]; k++)
						acc += ay.w[y * ay.max_taps + k] *
						       tmp[(size_t)(ay.first[y] + k) * mw + x];
				}
				double v = floor(acc / (sx * sy) + 0.5);
				unsigned char b = v < 0 ? 0 : v > 255 ? 255 : (unsigned char)v;
				/* a grey source fills every output channel */
				for (int dc = src_channels == 1 ? 0 : c;
				     dc < (src_channels == 1 ? channels : c + 1); dc++)
					dst[((size_t)dc * SIDE + y + oy) * SIDE + x + ox] = b;
			}
		}
	}
	free(tmp);
	free(ax.w);
	free(ay.w);
}
