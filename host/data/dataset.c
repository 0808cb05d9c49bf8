/* dataset.c: a data set from its folder: the table of formats (detection, reader, normalisation
 * constants) that loading dispatches through, class names, image access and the description. */
#include "dataset.h"
#include "alloc.h"
#include "error.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#define SIDE AMPCL_DATASET_SIDE

static const char *const cifar_names[10] = {"airplane", "automobile", "bird",  "cat",  "deer",
					    "dog",      "frog",       "horse", "ship", "truck"};
static const char *const mnist_names[10] = {"0", "1", "2", "3", "4", "5", "6", "7", "8", "9"};
static const char *const fashion_names[10] = {"T-shirt/top", "Trouser",   "Pullover", "Dress",
					      "Coat",        "Sandal",    "Shirt",    "Sneaker",
					      "Bag",         "Ankle boot"};

/* The formats, in the order detection tries them (one without detect is named, never found). */
static const struct dataset_format {
	const char *kind;
	int (*detect)(const char *path);
	ampcl_status (*read)(struct ampcl_dataset *ds, int train, int subset);
	int own_stats;         /* 1: the reader sets mean and std from the images */
	float mean[3], std[3]; /* otherwise the data set's usual constants, per channel */
} formats[] = {
    {"cifar10",
     ampcl_dataset_cifar_detect,
     ampcl_dataset_cifar_read,
     0,
     {0.4914f, 0.4822f, 0.4465f},
     {0.2470f, 0.2435f, 0.2616f}},
    {"mnist", ampcl_dataset_mnist_detect, ampcl_dataset_mnist_read, 0, {0.1307f}, {0.3081f}},
    {"fashion-mnist", NULL, ampcl_dataset_mnist_read, 0, {0.2860f}, {0.3530f}},
    {"folder", ampcl_dataset_folder_detect, ampcl_dataset_folder_read, 1, {0}, {0}},
};
enum { FORMATS = sizeof(formats) / sizeof(formats[0]) };

static int contains_nocase(const char *s, const char *word)
{
	size_t n = strlen(word);
	for (; *s; s++)
		if (!strncasecmp(s, word, n))
			return 1;
	return 0;
}

/* Detects the format of path into kind (see ampcl_dataset_load). */
static ampcl_status detect_kind(const char *path, char *kind, size_t size)
{
	struct stat st;
	if (stat(path, &st) != 0)
		return ampcl_error_set(AMPCL_ERR_IO, "cannot open data folder '%s': %s", path,
				       strerror(errno));
	if (!S_ISDIR(st.st_mode))
		return ampcl_error_set(
		    AMPCL_ERR_BAD_FILE,
		    "data path '%s' is a file, not a folder: pass the folder that "
		    "holds the data set's files",
		    path);
	for (int i = 0; i < FORMATS; i++)
		if (formats[i].detect && formats[i].detect(path)) {
			snprintf(kind, size, "%s", formats[i].kind);
			return AMPCL_OK;
		}
	return ampcl_error_set(
	    AMPCL_ERR_BAD_FILE,
	    "'%s' holds no data set ampcl recognises: looked for data_batch_1.bin or "
	    "cifar-10-batches-bin/ (CIFAR-10 binary), train-images-idx3-ubyte[.gz] (MNIST / "
	    "Fashion-MNIST idx) and train/ + test/ sub-folders of <class>/*.png (image "
	    "folder); or name the format with --dataset",
	    path);
}

/* Maps a user's kind to the canonical one; "mnist" becomes "fashion-mnist" when the path says
 * so, as the two share the file format and differ only in their constants. */
static ampcl_status canonical_kind(const char *kind, const char *path, char *out, size_t size)
{
	if (!strcasecmp(kind, "cifar10") || !strcasecmp(kind, "cifar-10") ||
	    !strcasecmp(kind, "cifar"))
		snprintf(out, size, "cifar10");
	else if (!strcasecmp(kind, "fashion-mnist") || !strcasecmp(kind, "fashion_mnist") ||
		 !strcasecmp(kind, "fashionmnist"))
		snprintf(out, size, "fashion-mnist");
	else if (!strcasecmp(kind, "mnist"))
		snprintf(out, size, "%s",
			 contains_nocase(path, "fashion") ? "fashion-mnist" : "mnist");
	else if (!strcasecmp(kind, "folder"))
		snprintf(out, size, "folder");
	else
		return ampcl_error_set(AMPCL_ERR_INVALID_ARG,
				       "unknown data set kind '%s': use cifar10, mnist, "
				       "fashion-mnist or folder (or none, to detect it)",
				       kind);
	return AMPCL_OK;
}

ampcl_status ampcl_dataset_load(const char *path, const char *kind, int train, int subset,
				struct ampcl_dataset **out)
{
	return ampcl_dataset_load_sized(path, kind, train, subset, SIDE, SIDE, out);
}

ampcl_status ampcl_dataset_load_sized(const char *path, const char *kind, int train, int subset,
				      int height, int width, struct ampcl_dataset **out)
{
	if (!out)
		return ampcl_error_set(AMPCL_ERR_INVALID_ARG, "ampcl_dataset_load: out is NULL");
	*out = NULL;
	if (height < 1 || width < 1 || height > AMPCL_DATASET_SIDE_MAX ||
	    width > AMPCL_DATASET_SIDE_MAX)
		return ampcl_error_set(AMPCL_ERR_INVALID_ARG,
				       "--image-size %dx%d: give each side from 1 to %d pixels",
				       height, width, AMPCL_DATASET_SIDE_MAX);
	if (!path || !*path)
		return ampcl_error_set(AMPCL_ERR_INVALID_ARG,
				       "no data path given: pass the data set's folder (--data)");
	if (subset < 0)
		return ampcl_error_set(AMPCL_ERR_INVALID_ARG,
				       "subset %d is negative: pass 0 for the whole set or a count",
				       subset);
	struct ampcl_dataset *ds = ampcl_xcalloc(1, sizeof(*ds));
	int st;
	size_t len = strlen(path);
	while (len > 1 && path[len - 1] == '/')
		len--; /* "data/" and "data" name one folder; keep messages tidy */
	if (len >= sizeof(ds->path) - 64) {
		st = ampcl_error_set(
		    AMPCL_ERR_INVALID_ARG,
		    "data path '%.80s...' is too long (%zu bytes): use a shorter one", path, len);
		goto fail;
	}
	memcpy(ds->path, path, len);
	ds->path[len] = '\0';

	char k[16];
	if (kind && *kind)
		st = canonical_kind(kind, ds->path, k, sizeof(k));
	else {
		st = detect_kind(ds->path, k, sizeof(k));
		if (!st)
			st = canonical_kind(k, ds->path, k, sizeof(k));
	}
	if (st)
		goto fail;
	snprintf(ds->kind, sizeof(ds->kind), "%s", k);
	ds->train = train ? 1 : 0;
	ds->height = height;
	ds->width = width;
	if (!train)
		subset = 0;

	const struct dataset_format *format = &formats[FORMATS - 1];
	for (int i = 0; i < FORMATS; i++)
		if (!strcmp(k, formats[i].kind))
			format = &formats[i];
	st = format->read(ds, ds->train, subset);
	if (!format->own_stats) {
		memcpy(ds->mean, format->mean, sizeof(ds->mean));
		memcpy(ds->std, format->std, sizeof(ds->std));
	}
	if (st)
		goto fail;
	for (int c = ds->channels; c < 3; c++) {
		ds->mean[c] = 0.0f; /* unused channels: harmless values, never read */
		ds->std[c] = 1.0f;
	}
	if (subset > ds->count) {
		st =
		    ampcl_error_set(AMPCL_ERR_INVALID_ARG,
				    "subset %d is larger than the %d training images of '%s': pass "
				    "at most %d (or 0 for all)",
				    subset, ds->count, ds->path, ds->count);
		goto fail;
	}
	*out = ds;
	return AMPCL_OK;
fail:
	ampcl_dataset_free(ds);
	return st;
}

void ampcl_dataset_free(struct ampcl_dataset *ds)
{
	if (!ds)
		return;
	if (ds->class_names) {
		for (int k = 0; k < ds->classes; k++)
			free(ds->class_names[k]);
		free(ds->class_names);
	}
	free(ds->labels);
	free(ds->pixels);
	free(ds);
}

ampcl_status ampcl_dataset_image(const struct ampcl_dataset *ds, int index, unsigned char *out)
{
	if (!ds || !out)
		return ampcl_error_set(AMPCL_ERR_INVALID_ARG, "ampcl_dataset_image: NULL argument");
	if (index < 0 || index >= ds->count)
		return ampcl_error_set(AMPCL_ERR_INVALID_ARG,
				       "image index %d is outside the %d images of '%s'", index,
				       ds->count, ds->path);
	size_t n = (size_t)ds->channels * ds->height * ds->width;
	memcpy(out, ds->pixels + (size_t)index * n, n);
	return AMPCL_OK;
}

const char *ampcl_dataset_class_name(const struct ampcl_dataset *ds, int k)
{
	if (!ds || k < 0 || k >= ds->classes)
		return "?";
	if (ds->class_names)
		return ds->class_names[k];
	if (!strcmp(ds->kind, "cifar10"))
		return cifar_names[k];
	if (!strcmp(ds->kind, "fashion-mnist"))
		return fashion_names[k];
	return mnist_names[k];
}

void ampcl_dataset_describe(const struct ampcl_dataset *train, const struct ampcl_dataset *test,
			    char *buf, size_t size)
{
	static const struct {
		const char *kind, *name, *source;
	} kinds[] = {{"cifar10", "CIFAR-10", "CIFAR-10's constants"},
		     {"mnist", "MNIST", "MNIST's constants"},
		     {"fashion-mnist", "Fashion-MNIST", "Fashion-MNIST's constants"},
		     {"folder", "image folder", "its training images' own statistics"}};
	const char *name = train->kind, *source = "";
	for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++)
		if (!strcmp(train->kind, kinds[i].kind))
			name = kinds[i].name, source = kinds[i].source;
	size_t n = (size_t)snprintf(buf, size, "%s, %d training / %d test images, %d classes, ",
				    name, train->count, test ? test->count : 0, train->classes);
	if (n < size && (train->height != SIDE || train->width != SIDE))
		n += (size_t)snprintf(buf + n, size - n, "fitted to %dx%d, ", train->height,
				      train->width);
	n += n < size ? (size_t)snprintf(buf + n, size - n, "normalised with mean") : 0;
	for (int c = 0; c < train->channels && n < size; c++)
		n += (size_t)snprintf(buf + n, size - n, " %.4f", (double)train->mean[c]);
	n += n < size ? (size_t)snprintf(buf + n, size - n, " std") : 0;
	for (int c = 0; c < train->channels && n < size; c++)
		n += (size_t)snprintf(buf + n, size - n, " %.4f", (double)train->std[c]);
	n += n < size ? (size_t)snprintf(buf + n, size - n, " (%s)", source) : 0;
	/* padded to 32x32, MNIST's mean pixel is 0.100 and Fashion-MNIST's 0.219: when only
	 * the folder's name decided, say which the pixels look like */
	if (!strcmp(train->kind, "mnist") && n < size) {
		double mean[3], sd[3];
		ampcl_dataset_pixel_stats(train, mean, sd);
		if (mean[0] > 0.16)
			snprintf(
			    buf + n, size - n,
			    "; but its mean pixel is %.3f, near Fashion-MNIST's 0.219 and far "
			    "from MNIST's 0.100 (32x32): if it is Fashion-MNIST, pass --dataset "
			    "fashion-mnist",
			    mean[0]);
	}
}
