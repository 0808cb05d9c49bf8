/* dataset.h: image classification data sets read into host memory as uint8 32x32 images:
 * CIFAR-10 binary, MNIST / Fashion-MNIST idx (plain or gzipped) and PNG image folders. */
#ifndef AMPCL_DATASET_H
#define AMPCL_DATASET_H

#include "ampcl.h"

#include <stddef.h>

/* Every image is stored as it will reach the network before augmentation: C x 32 x 32 bytes,
 * planar (all of R, then G, then B), already padded (MNIST's 28x28 gets 2 zero pixels on each
 * side, as torchvision's Pad(2)) or resized (image folders). */
enum { AMPCL_DATASET_SIDE = 32 };

struct ampcl_dataset {
	char kind[16];   /* "cifar10", "mnist", "fashion-mnist", "folder" */
	char path[4096]; /* the folder the files were read from (CIFAR: the batches folder) */
	int count, channels, height, width, classes; /* after padding: height = width = 32 */
	int *labels;                                 /* count, each in [0, classes) */
	float mean[3], std[3]; /* per channel, of x/255: (x/255 - mean) / std normalises */
	int train;             /* 1: the training split, 0: the test split */

	/* private to host/dataset*.c */
	unsigned char *pixels; /* count x channels x 32 x 32 */
	char **class_names;    /* classes strings (image folders: the sub-folder names) */
};

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
void ampcl_dataset_free(struct ampcl_dataset *ds);

/* Copies uint8 image `index` as channels x 32 x 32 into out. Only reads ds, so any number of
 * threads may call it at once. */
ampcl_status ampcl_dataset_image(const struct ampcl_dataset *ds, int index, unsigned char *out);

/* The name of class k ("airplane", "7", "Sneaker", a folder name); "?" when out of range. */
const char *ampcl_dataset_class_name(const struct ampcl_dataset *ds, int k);

/* Per-channel mean and (population) standard deviation of x/255 over every stored pixel,
 * padding included: what image folders normalise with, and what tests check real data by. */
void ampcl_dataset_pixel_stats(const struct ampcl_dataset *ds, double mean[3], double std[3]);

/* ---- shared by host/dataset*.c only ---- */

/* Each reader fills count, channels, classes, labels, pixels, class_names (may stay NULL for
 * built-in names) and path; dataset.c sets kind, train, height, width and the normalisation. */
ampcl_status ampcl_dataset_read_cifar(struct ampcl_dataset *ds, int train, int subset);
ampcl_status ampcl_dataset_read_mnist(struct ampcl_dataset *ds, int train, int subset);
ampcl_status ampcl_dataset_read_folder(struct ampcl_dataset *ds, int train, int subset);

/* Where the CIFAR-10 batches of path are: path itself or path/cifar-10-batches-bin.
 * Returns 1 and writes dir when data_batch_1.bin is there, else 0. */
int ampcl_dataset_cifar_dir(const char *path, char *dir, size_t size);
/* Writes into file the first of the usual names of an MNIST idx file that exists in dir
 * (which: "train-images", "train-labels", "t10k-images", "t10k-labels"), plain before .gz.
 * Returns 1 if one exists, else 0 (file then holds the canonical name, for messages). */
int ampcl_dataset_mnist_file(const char *dir, const char *which, char *file, size_t size);

int ampcl_dataset_is_dir(const char *path);
int ampcl_dataset_is_file(const char *path);
/* snprintf that fails with AMPCL_ERR_INVALID_ARG when the result does not fit. */
ampcl_status ampcl_dataset_join(char *dst, size_t size, const char *dir, const char *name);

/* Centres a w x h image of src_channels (1 or 3, interleaved) into channels x 32 x 32 planar
 * bytes: an axis shorter than 32 is zero-padded, the extra pixel of an odd gap going to the
 * right/bottom; an axis longer than 32 is shrunk to 32 by area averaging (each output pixel is the
 * mean of the source pixels its footprint covers, weighted by the covered fraction, rounded to
 * nearest, as PIL's BOX filter / OpenCV's INTER_AREA). Grey sources replicate into 3 channels. */
void ampcl_dataset_place(const unsigned char *src, int w, int h, int src_channels,
			 unsigned char *dst, int channels);

#endif
