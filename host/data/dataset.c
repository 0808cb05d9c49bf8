/* dataset.c: what every data set shares: format detection, the normalisation constants, the
 * 32x32 placement (padding and area resize), image access and statistics. */
#include "dataset.h"
#include "alloc.h"
#include "error.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
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

int ampcl_dataset_is_dir(const char *path)
{
	struct stat st;
	return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

int ampcl_dataset_is_file(const char *path)
{
	struct stat st;
	return stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

ampcl_status ampcl_dataset_join(char *dst, size_t size, const char *dir, const char *name)
{
	int n = snprintf(dst, size, "%s/%s", dir, name);
	if (n < 0 || (size_t)n >= size)
		return ampcl_error_set(AMPCL_ERR_INVALID_ARG,
				       "data path '%s/%s' is longer than %zu bytes: move the data "
				       "to a shorter path",
				       dir, name, size - 1);
	return AMPCL_OK;
}

int ampcl_dataset_cifar_dir(const char *path, char *dir, size_t size)
{
	char probe[4200];
	snprintf(probe, sizeof(probe), "%s/data_batch_1.bin", path);
	if (ampcl_dataset_is_file(probe)) {
		snprintf(dir, size, "%s", path);
		return 1;
	}
	snprintf(probe, sizeof(probe), "%s/cifar-10-batches-bin", path);
	if (ampcl_dataset_is_dir(probe)) {
		snprintf(dir, size, "%s", probe);
		return 1;
	}
	return 0;
}

int ampcl_dataset_mnist_file(const char *dir, const char *which, char *file, size_t size)
{
	/* the names LeCun's page and Debian use, and the dotted ones some mirrors use */
	static const char *const patterns[] = {"%s/%s-idx%d-ubyte", "%s/%s-idx%d-ubyte.gz",
					       "%s/%s.idx%d-ubyte", "%s/%s.idx%d-ubyte.gz"};
	int dims = strstr(which, "images") ? 3 : 1;
	/* "train-images" -> "train-images-idx3-ubyte"; the dotted form splits at the same dash */
	for (size_t i = 0; i < sizeof(patterns) / sizeof(patterns[0]); i++) {
		snprintf(file, size, patterns[i], dir, which, dims);
		if (ampcl_dataset_is_file(file))
			return 1;
	}
	snprintf(file, size, patterns[0], dir, which, dims);
	return 0;
}

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
	char probe[4200];
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
	if (ampcl_dataset_cifar_dir(path, probe, sizeof(probe))) {
		snprintf(kind, size, "cifar10");
		return AMPCL_OK;
	}
	if (ampcl_dataset_mnist_file(path, "train-images", probe, sizeof(probe))) {
		snprintf(kind, size, "mnist");
		return AMPCL_OK;
	}
	char train[4200], test[4200];
	snprintf(train, sizeof(train), "%s/train", path);
	snprintf(test, sizeof(test), "%s/test", path);
	if (ampcl_dataset_is_dir(train) && ampcl_dataset_is_dir(test)) {
		snprintf(kind, size, "folder");
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
	if (!out)
		return ampcl_error_set(AMPCL_ERR_INVALID_ARG, "ampcl_dataset_load: out is NULL");
	*out = NULL;
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
	ds->height = ds->width = SIDE;
	if (!train)
		subset = 0;

	if (!strcmp(k, "cifar10")) {
		st = ampcl_dataset_read_cifar(ds, ds->train, subset);
		static const float m[3] = {0.4914f, 0.4822f, 0.4465f},
				   s[3] = {0.2470f, 0.2435f, 0.2616f};
		memcpy(ds->mean, m, sizeof(m));
		memcpy(ds->std, s, sizeof(s));
	} else if (!strcmp(k, "mnist") || !strcmp(k, "fashion-mnist")) {
		st = ampcl_dataset_read_mnist(ds, ds->train, subset);
		int fashion = !strcmp(k, "fashion-mnist");
		ds->mean[0] = fashion ? 0.2860f : 0.1307f;
		ds->std[0] = fashion ? 0.3530f : 0.3081f;
	} else {
		st = ampcl_dataset_read_folder(ds, ds->train, subset); /* sets mean and std */
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
	size_t n = (size_t)ds->channels * SIDE * SIDE;
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
	size_t n = (size_t)snprintf(buf, size,
				    "%s, %d training / %d test images, %d classes, normalised "
				    "with mean",
				    name, train->count, test ? test->count : 0, train->classes);
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
