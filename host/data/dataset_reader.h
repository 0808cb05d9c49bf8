/* dataset_reader.h: what a data set reader fills (struct ampcl_dataset) and the calls each reader
 * exports; dataset.c dispatches to them through its table of formats, the readers need nothing
 * of dataset.c. */
#ifndef AMPCL_DATASET_READER_H
#define AMPCL_DATASET_READER_H

#include "ampcl.h"

/* Every image is stored as it will reach the network before augmentation: C x height x width
 * bytes, planar (all of R, then G, then B), already fitted to the image size by
 * ampcl_dataset_fit (at the default 32x32, MNIST's 28x28 gets 2 zero pixels on each side, as
 * torchvision's Pad(2), and CIFAR-10's are as they come). AMPCL_DATASET_SIDE is the default
 * size; AMPCL_DATASET_SIDE_MAX the largest side ampcl_dataset_load takes. */
enum { AMPCL_DATASET_SIDE = 32, AMPCL_DATASET_SIDE_MAX = 1024 };

struct ampcl_dataset {
	char kind[16];   /* "cifar10", "mnist", "fashion-mnist", "folder" */
	char path[4096]; /* the folder the files were read from (CIFAR: the batches folder) */
	int count, channels, height, width, classes; /* height x width: the image size */
	int *labels;                                 /* count, each in [0, classes) */
	float mean[3], std[3]; /* per channel, of x/255: (x/255 - mean) / std normalises */
	int train;             /* 1: the training split, 0: the test split */

	/* private to the data layer: the readers fill them */
	unsigned char *pixels; /* count x channels x height x width */
	char **class_names;    /* classes strings (image folders: the sub-folder names) */
};

/* A reader's pair: detect(path) is 1 when the folder at path holds its format (the rules are
 * ampcl_dataset_load's); read fills count, channels, classes, labels, pixels, class_names (may
 * stay NULL for built-in names) and path, and mean and std where the format has none of its
 * own; dataset.c sets kind, train, height and width (the image size the reader fits its images
 * to) before calling read, and the format's normalisation after. */
int ampcl_dataset_cifar_detect(const char *path);
ampcl_status ampcl_dataset_cifar_read(struct ampcl_dataset *ds, int train, int subset);
int ampcl_dataset_mnist_detect(const char *path);
ampcl_status ampcl_dataset_mnist_read(struct ampcl_dataset *ds, int train, int subset);
int ampcl_dataset_folder_detect(const char *path);
ampcl_status ampcl_dataset_folder_read(struct ampcl_dataset *ds, int train, int subset);

#endif
