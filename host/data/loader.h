/* loader.h: batches of normalised, optionally augmented images from a data set, prepared by one
 * host thread ahead of the caller; order and augmentation are a function of (seed, epoch). */
#ifndef AMPCL_LOADER_H
#define AMPCL_LOADER_H

#include "dataset.h"

#include <stdint.h>

struct ampcl_loader_config {
	int batch;     /* images per batch, >= 1 */
	int shuffle;   /* 1: a seeded Fisher-Yates permutation per epoch; 0: data set order */
	int augment;   /* 1: random crop (pad a side/8: 4 at 32) + horizontal flip; training only */
	int drop_last; /* 1: skip the last incomplete batch (training); 0: yield it (evaluation) */
	unsigned long long seed;
};

struct ampcl_loader;

/* ds is borrowed and must outlive the loader. Starts the worker thread; no work happens until
 * ampcl_loader_start_epoch. */
ampcl_status ampcl_loader_create(const struct ampcl_dataset *ds,
				 const struct ampcl_loader_config *cfg, struct ampcl_loader **out);
void ampcl_loader_free(struct ampcl_loader *l); /* stops and joins the thread */

/* Starts epoch `epoch` (>= 0), abandoning what is left of the current one. The order and the
 * augmentation come from (seed, epoch) alone, so a resumed run that starts at epoch e
 * reproduces exactly the batches an uninterrupted run saw. */
ampcl_status ampcl_loader_start_epoch(struct ampcl_loader *l, int epoch);
/* The same, from batch `first` of the epoch (a run resumed mid-epoch): the batches are those an
 * uninterrupted epoch would give from there. */
ampcl_status ampcl_loader_start_epoch_at(struct ampcl_loader *l, int epoch, int first);

/* Blocks until the next batch is ready; returns 1 with a batch, 0 at the end of the epoch,
 * a negative status on error. x: (count, C, H, W) floats, normalised; labels: count ints.
 * Both stay valid until the next call to ampcl_loader_next or ampcl_loader_start_epoch. */
int ampcl_loader_next(struct ampcl_loader *l, const float **x, const int **labels, int *count);

int ampcl_loader_batches(const struct ampcl_loader *l); /* per epoch */

/* Seconds the caller spent blocked in ampcl_loader_next since the epoch started: near zero
 * means the data keeps up with the device. */
double ampcl_loader_wait_seconds(const struct ampcl_loader *l);

/* ---- the per-epoch randomness, exposed so tests can recompute it by hand ---- */

/* The random crop's zero padding on an axis of `side` pixels: side / 8 (4 at 32, 8 at 64, 28 at
 * 224), so the crop moves the image by the same fraction at every size. */
int ampcl_loader_pad(int side);

/* The crop offsets (dx in 0..2*pad(width), dy in 0..2*pad(height); 0..8 at 32x32) and flip
 * (0/1) the loader draws for data set image `index` in `epoch`. They depend on (seed, epoch,
 * index) and the image size only, not on the shuffle, the batch size or thread timing. */
void ampcl_loader_augment_draw(unsigned long long seed, int epoch, int index, int height,
			       int width, int *dx, int *dy, int *flip);

/* out(c, y, x) = padded(c, y + dy, x' + dx) with x' = flip ? width - 1 - x : x, where padded is
 * src with pad(height) zero rows above and below and pad(width) zero columns left and right:
 * torchvision's RandomCrop(size, padding) followed by RandomHorizontalFlip (at 32x32,
 * RandomCrop(32, padding=4)). src and out: (channels, height, width) bytes, distinct. */
void ampcl_loader_crop_flip(const unsigned char *src, int channels, int height, int width, int dx,
			    int dy, int flip, unsigned char *out);

/* The epoch's permutation of 0..count-1 into order (count ints), as the loader uses it. */
void ampcl_loader_permutation(unsigned long long seed, int epoch, int count, int *order);

#endif
