/* dataset_pixels.h: what the readers do to pixels: fitting an image into the image size
 * (padding, area averaging or bilinear enlargement) and the per-channel statistics image folders
 * normalise with. */
#ifndef AMPCL_DATASET_PIXELS_H
#define AMPCL_DATASET_PIXELS_H

#include "dataset_reader.h"

#include <stddef.h>

/* Per-channel mean and (population) standard deviation of x/255 over every stored pixel,
 * padding included: what image folders normalise with, and what tests check real data by. */
void ampcl_dataset_pixel_stats(const struct ampcl_dataset *ds, double mean[3], double std[3]);

/* A source image: pixel (c, y, x) is px[c * cstride + y * ystride + x * xstride]; interleaved
 * (PNG rows: xstride = channels, cstride = 1) or planar (CIFAR: cstride = w * h, xstride = 1). */
struct ampcl_image_view {
	const unsigned char *px;
	int w, h, channels; /* channels: 1 or 3 */
	size_t xstride, ystride, cstride;
};

/* Fits src into out_channels x out_h x out_w planar bytes, each axis on its own:
 * - longer than the output: shrunk by area averaging (each output pixel the mean of the source
 *   pixels its footprint covers, weighted by the covered fraction, as PIL's BOX filter and
 *   OpenCV's INTER_AREA);
 * - shorter by at most an eighth of the output: centred with zero padding, the extra pixel of an
 *   odd gap going right/bottom (MNIST's 28 into 32: torchvision's Pad(2));
 * - shorter by more: enlarged bilinearly (PyTorch's align_corners=False, source positions
 *   clamped at the edges; PIL's BILINEAR when enlarging);
 * - the same length: copied.
 * Values are rounded to nearest once, after both axes. A grey source fills every output channel.
 * The aspect ratio is kept only when both axes scale alike: crop the images beforehand to keep
 * it. */
void ampcl_dataset_fit(const struct ampcl_image_view *src, unsigned char *dst, int out_channels,
		       int out_w, int out_h);

#endif
