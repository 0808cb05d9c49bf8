/* dataset.h: image classification data sets read into host memory as uint8 images of one size:
 * CIFAR-10 binary, MNIST / Fashion-MNIST idx (plain or gzipped) and PNG image folders. */
#ifndef AMPCL_DATASET_H
#define AMPCL_DATASET_H

#include "ampcl.h"
#include "dataset_pixels.h"
#include "dataset_reader.h"

#include <stddef.h>

/* struct ampcl_dataset, what a reader fills: dataset_reader.h */

/* One line for people: the kind, the image and class counts, and the normalisation used with
 * where its constants come from; a hint when MNIST-format data looks like Fashion-MNIST. */
void ampcl_dataset_describe(const struct ampcl_dataset *train, const struct ampcl_dataset *test,
			    char *buf, size_t size);

/* Reads the train (train = 1) or test (train = 0) split of the data set at path. kind is
 * "cifar10", "mnist", "fashion-mnist" or "folder", or NULL to detect it from the files: a folder
 * with data_batch_1.bin (or a cifar-10-batches-bin/ sub-folder) is CIFAR-10, one with
 * train-images-idx3-ubyte[.gz] is MNIST (Fashion-MNIST when the path contains "fashion"), one
 * with train/ and test/ sub-folders is an image folder. subset > 0 keeps subset images of the
 * training split (ignored for the test split): the first ones of CIFAR-10 and MNIST files, whose
 * order is already random; a class-balanced sample drawn with a fixed seed of an image folder,
 * whose files come class by class. Missing, truncated or inconsistent files
 * fail with AMPCL_ERR_BAD_FILE and a message naming the file. */
ampcl_status ampcl_dataset_load(const char *path, const char *kind, int train, int subset,
				struct ampcl_dataset **out);
/* The same with the images fitted to height x width (each 1 to AMPCL_DATASET_SIDE_MAX) by
 * ampcl_dataset_fit (dataset_pixels.h); ampcl_dataset_load is this at 32x32. The images are
 * kept at that size: count x channels x height x width bytes of host memory. */
ampcl_status ampcl_dataset_load_sized(const char *path, const char *kind, int train, int subset,
				      int height, int width, struct ampcl_dataset **out);
void ampcl_dataset_free(struct ampcl_dataset *ds);

/* Copies uint8 image `index` as channels x height x width into out. Only reads ds, so any number of
 * threads may call it at once. */
ampcl_status ampcl_dataset_image(const struct ampcl_dataset *ds, int index, unsigned char *out);

/* The name of class k ("airplane", "7", "Sneaker", a folder name); "?" when out of range. */
const char *ampcl_dataset_class_name(const struct ampcl_dataset *ds, int k);

/* ampcl_dataset_pixel_stats: dataset_pixels.h */

#endif
