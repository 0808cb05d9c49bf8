/* dataset_pixels.h: what the readers do to pixels: centring an image into 32x32 (padding or area
 * resize) and the per-channel statistics image folders normalise with. */
#ifndef AMPCL_DATASET_PIXELS_H
#define AMPCL_DATASET_PIXELS_H

#include "dataset_reader.h"

/* Per-channel mean and (population) standard deviation of x/255 over every stored pixel,
 * padding included: what image folders normalise with, and what tests check real data by. */
void ampcl_dataset_pixel_stats(const struct ampcl_dataset *ds, double mean[3], double std[3]);

/* Centres a w x h image of src_channels (1 or 3, interleaved) into channels x 32 x 32 planar
 * bytes: an axis shorter than 32 is zero-padded, the extra pixel of an odd gap going to the
 * right/bottom; an axis longer than 32 is shrunk to 32 by area averaging (each output pixel is the
 * mean of the source pixels its footprint covers, weighted by the covered fraction, rounded to
 * nearest, as PIL's BOX filter / OpenCV's INTER_AREA). Grey sources replicate into 3 channels. */
void ampcl_dataset_place(const unsigned char *src, int w, int h, int src_channels,
			 unsigned char *dst, int channels);

#endif
