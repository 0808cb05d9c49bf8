/* test_dataset.c: every data set format read from small files written here (CIFAR-10 binary,
 * MNIST idx plain and gzipped, PNG folders of every colour type), detection and bad files. */
#include "dataset.h"
#include "paths.h"
#include "testutil.h"
#include "clock.h"

#include <dirent.h>
#include <math.h>
#include <png.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#define S 32
static char root[] = "/tmp/ampcl_test_dataset_XXXXXX";

/* ---- file helpers ---- */

static void path_of(char *dst, size_t size, const char *rel)
{
	snprintf(dst, size, "%s/%s", root, rel);
}

static void mkdirs(const char *rel)
{
	char p[4096];
	path_of(p, sizeof(p), rel);
	for (char *s = p + strlen(root) + 1; *s; s++) {
		if (*s == '/') {
			*s = '\0';
			mkdir(p, 0755);
			*s = '/';
		}
	}
	mkdir(p, 0755);
}

static void write_bytes(const char *rel, const void *data, size_t size)
{
	char p[4096];
	path_of(p, sizeof(p), rel);
	tu_write_file(p, data, size);
}

static void write_gz(const char *rel, const void *data, size_t size)
{
	char p[4096];
	path_of(p, sizeof(p), rel);
	gzFile f = gzopen(p, "wb");
	if (!f || gzwrite(f, data, (unsigned)size) != (int)size || gzclose(f) != Z_OK) {
		fprintf(stderr, "cannot write %s\n", p);
		exit(1);
	}
}

static long file_size(const char *rel)
{
	char p[4096];
	path_of(p, sizeof(p), rel);
	return tu_file_size(p);
}

static void truncate_file(const char *rel, long size)
{
	char p[4096];
	path_of(p, sizeof(p), rel);
	if (truncate(p, size)) {
		perror(p);
		exit(1);
	}
}

static struct ampcl_dataset *load(const char *rel, const char *kind, int train, int subset)
{
	char p[4096];
	struct ampcl_dataset *ds = NULL;
	path_of(p, sizeof(p), rel);
	tu_ok(ampcl_dataset_load(p, kind, train, subset, &ds), rel);
	return ds;
}

/* A load that must fail with want, with needle in the message (the file's name). */
static void expect_fail(const char *name, const char *rel, const char *kind, int train, int want,
			const char *needle)
{
	char p[4096];
	struct ampcl_dataset *ds = (void *)1;
	path_of(p, sizeof(p), rel);
	int st = ampcl_dataset_load(p, kind, train, 0, &ds);
	const char *msg = ampcl_last_error();
	tu_check(st == want && ds == NULL && strstr(msg, needle) != NULL, name,
		 "status %d (want %d), message names '%s': %s", st, want, needle, msg);
	if (st == AMPCL_OK)
		ampcl_dataset_free(ds);
}

/* Compares every image of ds with want (count x C x 32 x 32) and the labels. */
static void check_images(const char *name, const struct ampcl_dataset *ds,
			 const unsigned char *want, const int *labels, int count, int channels)
{
	size_t n = (size_t)channels * S * S;
	unsigned char *got = tu_malloc(n);
	int bad = 0, first = -1, badlab = 0;
	size_t at = 0;
	for (int i = 0; i < count && i < ds->count; i++) {
		tu_ok(ampcl_dataset_image(ds, i, got), "image");
		for (size_t j = 0; j < n; j++)
			if (got[j] != want[i * n + j]) {
				if (!bad++) {
					first = i;
					at = j;
					printf("     image %d byte %zu (c %zu y %zu x %zu): got %d "
					       "want %d\n",
					       i, j, j / (S * S), j / S % S, j % S, got[j],
					       want[i * n + j]);
				}
			}
		badlab += ds->labels[i] != labels[i];
	}
	tu_check(ds->count == count && ds->channels == channels && ds->height == S &&
		     ds->width == S && bad == 0 && badlab == 0,
		 name,
		 "count %d/%d, channels %d/%d, %dx%d, %d wrong bytes (first image %d @%zu), "
		 "%d wrong labels",
		 ds->count, count, ds->channels, channels, ds->height, ds->width, bad, first, at,
		 badlab);
	free(got);
}

static void check_norm(const char *name, const struct ampcl_dataset *ds, const char *kind,
		       int channels, const double *mean, const double *sd)
{
	int ok = !strcmp(ds->kind, kind) && ds->channels == channels;
	double worst = 0;
	for (int c = 0; c < channels; c++) {
		worst = fmax(worst, fabs(ds->mean[c] - mean[c]));
		worst = fmax(worst, fabs(ds->std[c] - sd[c]));
	}
	/* the constants are stored as float: 1e-7 covers their rounding */
	tu_check(ok && worst <= 1e-7, name,
		 "kind '%s' (want '%s'), mean %.4f %.4f %.4f std %.4f %.4f %.4f, max miss %.2g",
		 ds->kind, kind, ds->mean[0], ds->mean[1], ds->mean[2], ds->std[0], ds->std[1],
		 ds->std[2], worst);
}

/* ---- CIFAR-10 ---- */

static int cifar_pixel(int i, int c, int y, int x)
{
	return (i * 37 + c * 101 + y * 7 + x * 3) & 255;
}

static int cifar_label(int i)
{
	return (i * 3) % 10;
}

/* ids first..first+n-1 as one batch file; bad_label: record that gets label 10 (-1: none) */
static void write_cifar_file(const char *rel, int first, int n, int bad_label)
{
	unsigned char *buf = tu_malloc((size_t)n * 3073);
	for (int r = 0; r < n; r++) {
		unsigned char *rec = buf + (size_t)r * 3073;
		rec[0] = (unsigned char)(r == bad_label ? 10 : cifar_label(first + r));
		for (int c = 0; c < 3; c++)
			for (int y = 0; y < S; y++)
				for (int x = 0; x < S; x++)
					rec[1 + c * 1024 + y * S + x] =
					    (unsigned char)cifar_pixel(first + r, c, y, x);
	}
	write_bytes(rel, buf, (size_t)n * 3073);
	free(buf);
}

static const int cifar_counts[5] = {3, 2, 2, 2, 1}; /* 10 training images, ids 0..9 */

static void write_cifar(const char *dir)
{
	char rel[512];
	mkdirs(dir);
	int id = 0;
	for (int k = 0; k < 5; k++) {
		snprintf(rel, sizeof(rel), "%s/data_batch_%d.bin", dir, k + 1);
		write_cifar_file(rel, id, cifar_counts[k], -1);
		id += cifar_counts[k];
	}
	snprintf(rel, sizeof(rel), "%s/test_batch.bin", dir);
	write_cifar_file(rel, 100, 4, -1); /* ids 100..103 */
}

static void cifar_expected(int first, int n, unsigned char *px, int *labels)
{
	for (int i = 0; i < n; i++) {
		labels[i] = cifar_label(first + i);
		for (int c = 0; c < 3; c++)
			for (int y = 0; y < S; y++)
				for (int x = 0; x < S; x++)
					px[((size_t)i * 3 + c) * 1024 + y * S + x] =
					    (unsigned char)cifar_pixel(first + i, c, y, x);
	}
}

static void test_cifar(void)
{
	static const double mean[3] = {0.4914, 0.4822, 0.4465}, sd[3] = {0.2470, 0.2435, 0.2616};
	unsigned char *want = tu_malloc(10 * 3072);
	int labels[10];
	write_cifar("cifar");

	cifar_expected(0, 10, want, labels);
	struct ampcl_dataset *ds = load("cifar", NULL, 1, 0);
	check_images("cifar10 train: 10 records over 5 files, pixels and labels", ds, want, labels,
		     10, 3);
	check_norm("cifar10 normalisation constants", ds, "cifar10", 3, mean, sd);
	tu_check(ds->classes == 10 && !strcmp(ampcl_dataset_class_name(ds, 0), "airplane") &&
		     !strcmp(ampcl_dataset_class_name(ds, 9), "truck") &&
		     !strcmp(ampcl_dataset_class_name(ds, 10), "?"),
		 "cifar10 classes", "%d classes, 0 '%s', 9 '%s'", ds->classes,
		 ampcl_dataset_class_name(ds, 0), ampcl_dataset_class_name(ds, 9));
	ampcl_dataset_free(ds);

	ds = load("cifar", "cifar10", 1, 4);
	check_images("cifar10 train subset 4: the first 4 (over 2 files)", ds, want, labels, 4, 3);
	ampcl_dataset_free(ds);

	cifar_expected(100, 4, want, labels);
	ds = load("cifar", NULL, 0, 2); /* subset applies to training only */
	check_images("cifar10 test: test_batch.bin, subset ignored", ds, want, labels, 4, 3);
	ampcl_dataset_free(ds);

	/* the parent folder of cifar-10-batches-bin, as the archive unpacks */
	write_cifar("cifar_parent/cifar-10-batches-bin");
	ds = load("cifar_parent", NULL, 0, 0);
	size_t len = strlen(ds->path);
	tu_check(!strcmp(ds->kind, "cifar10") && ds->count == 4 && len > 20 &&
		     !strcmp(ds->path + len - 20, "cifar-10-batches-bin"),
		 "cifar10 through the parent folder", "kind %s, %d images, path %s", ds->kind,
		 ds->count, ds->path);
	ampcl_dataset_free(ds);

	char p[4096];
	path_of(p, sizeof(p), "cifar");
	struct ampcl_dataset *none = NULL;
	int st = ampcl_dataset_load(p, NULL, 1, 11, &none);
	tu_check(st == AMPCL_ERR_INVALID_ARG && !none && strstr(ampcl_last_error(), "11"),
		 "cifar10 subset larger than the set is refused", "status %d: %s", st,
		 ampcl_last_error());
	st = ampcl_dataset_load(p, NULL, 1, -1, &none);
	tu_check(st == AMPCL_ERR_INVALID_ARG, "negative subset is refused", "status %d: %s", st,
		 ampcl_last_error());

	/* bad files, one broken copy each */
	write_cifar("cifar_trunc");
	truncate_file("cifar_trunc/data_batch_3.bin",
		      file_size("cifar_trunc/data_batch_3.bin") - 5);
	expect_fail("cifar10 truncated batch file", "cifar_trunc", NULL, 1, AMPCL_ERR_BAD_FILE,
		    "data_batch_3.bin");
	write_cifar("cifar_missing");
	path_of(p, sizeof(p), "cifar_missing/data_batch_4.bin");
	unlink(p);
	expect_fail("cifar10 missing batch file", "cifar_missing", NULL, 1, AMPCL_ERR_BAD_FILE,
		    "data_batch_4.bin");
	write_cifar("cifar_label");
	write_cifar_file("cifar_label/test_batch.bin", 100, 4, 2);
	expect_fail("cifar10 label 10", "cifar_label", NULL, 0, AMPCL_ERR_BAD_FILE,
		    "test_batch.bin");
	tu_check(strstr(ampcl_last_error(), "record 2") != NULL,
		 "cifar10 label message names the record", "%s", ampcl_last_error());
	write_cifar("cifar_empty");
	truncate_file("cifar_empty/test_batch.bin", 0);
	expect_fail("cifar10 empty test file", "cifar_empty", NULL, 0, AMPCL_ERR_BAD_FILE,
		    "test_batch.bin");
	free(want);
}

/* ---- MNIST idx ---- */

static int mnist_pixel(int i, int y, int x)
{
	return (i * 11 + y * 5 + x * 9 + 1) & 255;
}

static void put_be32(unsigned char *p, unsigned v)
{
	p[0] = (unsigned char)(v >> 24);
	p[1] = (unsigned char)(v >> 16);
	p[2] = (unsigned char)(v >> 8);
	p[3] = (unsigned char)v;
}

struct idx_faults {
	unsigned images_magic, labels_count;
	int bad_label; /* index that gets label 10, -1: none */
	int extra;     /* extra bytes after the images */
};

/* An idx pair of n images (ids first..) named prefix-{images,labels}; gz picks compression. */
static void write_idx(const char *dir, const char *prefix, int first, int n, int gz,
		      struct idx_faults f)
{
	char rel[512];
	size_t isize = 16 + (size_t)n * 784 + (size_t)f.extra;
	unsigned char *img = tu_malloc(isize), *lab = tu_malloc(8 + (size_t)n);
	put_be32(img, f.images_magic ? f.images_magic : 2051);
	put_be32(img + 4, (unsigned)n);
	put_be32(img + 8, 28);
	put_be32(img + 12, 28);
	for (int i = 0; i < n; i++)
		for (int y = 0; y < 28; y++)
			for (int x = 0; x < 28; x++)
				img[16 + (size_t)i * 784 + y * 28 + x] =
				    (unsigned char)mnist_pixel(first + i, y, x);
	put_be32(lab, 2049);
	put_be32(lab + 4, f.labels_count ? f.labels_count : (unsigned)n);
	for (int i = 0; i < n; i++)
		lab[8 + i] = (unsigned char)(i == f.bad_label ? 10 : (first + i) * 7 % 10);
	mkdirs(dir);
	snprintf(rel, sizeof(rel), "%s/%s-images-idx3-ubyte%s", dir, prefix, gz ? ".gz" : "");
	(gz ? write_gz : write_bytes)(rel, img, isize);
	snprintf(rel, sizeof(rel), "%s/%s-labels-idx1-ubyte%s", dir, prefix, gz ? ".gz" : "");
	(gz ? write_gz : write_bytes)(rel, lab, 8 + (size_t)n);
	free(img);
	free(lab);
}

static void write_mnist(const char *dir, int gz)
{
	struct idx_faults none = {0, 0, -1, 0};
	write_idx(dir, "train", 0, 5, gz, none);
	write_idx(dir, "t10k", 50, 3, gz, none);
}

static void mnist_expected(int first, int n, unsigned char *px, int *labels)
{
	memset(px, 0, (size_t)n * 1024);
	for (int i = 0; i < n; i++) {
		labels[i] = (first + i) * 7 % 10;
		for (int y = 0; y < 28; y++)
			for (int x = 0; x < 28; x++) /* Pad(2): 2 zero pixels on every side */
				px[(size_t)i * 1024 + (y + 2) * S + x + 2] =
				    (unsigned char)mnist_pixel(first + i, y, x);
	}
}

static void test_mnist(void)
{
	static const double m_mean[1] = {0.1307}, m_sd[1] = {0.3081};
	static const double f_mean[1] = {0.2860}, f_sd[1] = {0.3530};
	unsigned char want[5 * 1024];
	int labels[5];
	write_mnist("mnist_plain", 0);
	write_mnist("Fashion_gz", 1);

	mnist_expected(0, 5, want, labels);
	struct ampcl_dataset *ds = load("mnist_plain", NULL, 1, 0);
	check_images("mnist plain idx train: 28x28 padded to 32x32 with 2 zeros each side", ds,
		     want, labels, 5, 1);
	check_norm("mnist constants", ds, "mnist", 1, m_mean, m_sd);
	ampcl_dataset_free(ds);

	ds = load("Fashion_gz", NULL, 1, 3);
	check_images("fashion-mnist gzipped idx train, subset 3", ds, want, labels, 3, 1);
	check_norm("fashion-mnist constants (path contains 'Fashion')", ds, "fashion-mnist", 1,
		   f_mean, f_sd);
	tu_check(!strcmp(ampcl_dataset_class_name(ds, 9), "Ankle boot"),
		 "fashion-mnist class names", "9 is '%s'", ampcl_dataset_class_name(ds, 9));
	ampcl_dataset_free(ds);

	ds = load("mnist_plain", "fashion-mnist", 1, 0);
	check_norm("explicit kind fashion-mnist", ds, "fashion-mnist", 1, f_mean, f_sd);
	ampcl_dataset_free(ds);

	mnist_expected(50, 3, want, labels);
	ds = load("Fashion_gz", "mnist", 0, 0);
	check_images("fashion-mnist gzipped t10k (kind mnist, path says fashion)", ds, want, labels,
		     3, 1);
	check_norm("kind mnist + 'fashion' path gives fashion constants", ds, "fashion-mnist", 1,
		   f_mean, f_sd);
	ampcl_dataset_free(ds);

	/* bad files */
	struct idx_faults magic = {2049, 0, -1, 0}, count = {0, 4, -1, 0}, label = {0, 0, 3, 0},
			  extra = {0, 0, -1, 7};
	write_idx("mnist_magic", "train", 0, 5, 0, magic);
	expect_fail("mnist wrong magic", "mnist_magic", NULL, 1, AMPCL_ERR_BAD_FILE,
		    "train-images-idx3-ubyte");
	write_idx("mnist_count", "train", 0, 5, 1, count);
	expect_fail("mnist labels header says 4, 5 follow", "mnist_count", NULL, 1,
		    AMPCL_ERR_BAD_FILE, "train-labels-idx1-ubyte.gz");
	/* a well-formed labels file of 4 next to 5 images */
	write_idx("mnist_count2", "train", 0, 5, 0, count);
	truncate_file("mnist_count2/train-labels-idx1-ubyte", 8 + 4);
	expect_fail("mnist 5 images vs 4 labels", "mnist_count2", NULL, 1, AMPCL_ERR_BAD_FILE,
		    "train-labels-idx1-ubyte");
	tu_check(strstr(ampcl_last_error(), "train-images-idx3-ubyte") != NULL,
		 "mnist count mismatch names both files", "%s", ampcl_last_error());
	write_idx("mnist_label", "train", 0, 5, 0, label);
	expect_fail("mnist label 10", "mnist_label", NULL, 1, AMPCL_ERR_BAD_FILE,
		    "train-labels-idx1-ubyte");
	write_idx("mnist_extra", "train", 0, 5, 0, extra);
	expect_fail("mnist extra bytes after the images", "mnist_extra", NULL, 1,
		    AMPCL_ERR_BAD_FILE, "train-images-idx3-ubyte");
	write_mnist("mnist_trunc", 0);
	truncate_file("mnist_trunc/train-images-idx3-ubyte", 16 + 784 * 4 + 100);
	expect_fail("mnist truncated images", "mnist_trunc", NULL, 1, AMPCL_ERR_BAD_FILE,
		    "train-images-idx3-ubyte");
	write_mnist("mnist_truncgz", 1);
	truncate_file("mnist_truncgz/train-images-idx3-ubyte.gz",
		      file_size("mnist_truncgz/train-images-idx3-ubyte.gz") / 2);
	expect_fail("mnist truncated gzip", "mnist_truncgz", NULL, 1, AMPCL_ERR_BAD_FILE,
		    "train-images-idx3-ubyte.gz");
	/* hostile headers: 10^9 images and labels announced by small gzip files (and by a plain
	 * labels file) are refused from the headers and sizes, before a byte of the body is read or
	 * a buffer is grown for it */
	{
		unsigned char ih[16 + 784], lh[8 + 64];
		memset(ih, 0, sizeof(ih));
		memset(lh, 0, sizeof(lh));
		put_be32(ih, 2051), put_be32(ih + 4, 1000000000u), put_be32(ih + 8, 28);
		put_be32(ih + 12, 28);
		put_be32(lh, 2049), put_be32(lh + 4, 1000000000u);
		mkdirs("mnist_huge");
		write_gz("mnist_huge/train-images-idx3-ubyte.gz", ih, sizeof(ih));
		write_gz("mnist_huge/train-labels-idx1-ubyte.gz", lh, sizeof(lh));
		expect_fail("mnist gzip announcing 10^9 images", "mnist_huge", NULL, 1,
			    AMPCL_ERR_BAD_FILE, "more than gzip can hold");
		/* images that fit their file, labels that do not */
		put_be32(ih + 4, 1), put_be32(lh + 4, 1);
		write_gz("mnist_huge/train-images-idx3-ubyte.gz", ih, sizeof(ih));
		put_be32(lh + 4, 1000000000u);
		write_gz("mnist_huge/train-labels-idx1-ubyte.gz", lh, sizeof(lh));
		expect_fail("mnist labels announcing 10^9 next to 1 image", "mnist_huge", NULL, 1,
			    AMPCL_ERR_BAD_FILE, "announces 1000000000 labels but");
	}
	write_mnist("mnist_notest", 0);
	char p[4096];
	path_of(p, sizeof(p), "mnist_notest/t10k-labels-idx1-ubyte");
	unlink(p);
	expect_fail("mnist missing t10k labels", "mnist_notest", NULL, 0, AMPCL_ERR_BAD_FILE,
		    "t10k-labels-idx1-ubyte");
}

/* ---- PNG folders ---- */

static void write_png(const char *rel, int w, int h, int type, int depth, const unsigned char *rows,
		      const png_color *pal, int npal)
{
	char p[4096];
	path_of(p, sizeof(p), rel);
	tu_write_png(p, w, h, type, depth, rows, pal, npal);
}

static void set_px(unsigned char *img, int c, int y, int x, int v)
{
	img[(size_t)c * 1024 + y * S + x] = (unsigned char)v;
}

/* The 7 images of "imgs" and their expected 32x32 RGB forms (want: 7 x 3 x 32 x 32). */
static void write_image_folder(const char *dir, unsigned char *want)
{
	char rel[512];
	unsigned char *buf = tu_malloc(64 * 64 * 8);
	memset(want, 0, 7 * 3072);
	for (const char *const *s =
		 (const char *const[]){"train/cat", "train/dog", "test/cat", "test/dog", NULL};
	     *s; s++) {
		snprintf(rel, sizeof(rel), "%s/%s", dir, *s);
		mkdirs(rel);
	}
	/* a: grey 8-bit 28x28, smaller: centred with 2 zero pixels each side, grey replicated */
	for (int y = 0; y < 28; y++)
		for (int x = 0; x < 28; x++) {
			int v = (y * 9 + x * 4 + 3) & 255;
			buf[y * 28 + x] = (unsigned char)v;
			for (int c = 0; c < 3; c++)
				set_px(want, c, y + 2, x + 2, v);
		}
	snprintf(rel, sizeof(rel), "%s/train/cat/a_grey8_28.png", dir);
	write_png(rel, 28, 28, PNG_COLOR_TYPE_GRAY, 8, buf, NULL, 0);
	want += 3072;
	/* b: RGB 8-bit 32x32, equal: copied */
	for (int y = 0; y < S; y++)
		for (int x = 0; x < S; x++)
			for (int c = 0; c < 3; c++) {
				int v = (x * 8 + c * 80 + y) & 255;
				buf[(y * S + x) * 3 + c] = (unsigned char)v;
				set_px(want, c, y, x, v);
			}
	snprintf(rel, sizeof(rel), "%s/train/cat/b_rgb8_32.png", dir);
	write_png(rel, S, S, PNG_COLOR_TYPE_RGB, 8, buf, NULL, 0);
	want += 3072;
	/* c: palette 64x64 in constant 2x2 blocks: area averaging to 32x32 gives each block */
	png_color pal[16];
	for (int k = 0; k < 16; k++)
		pal[k] = (png_color){(png_byte)(k * 16), (png_byte)(255 - k * 16),
				     (png_byte)((k * 37) & 255)};
	for (int y = 0; y < 64; y++)
		for (int x = 0; x < 64; x++)
			buf[y * 64 + x] = (unsigned char)((y / 2 + x / 2) % 16);
	for (int y = 0; y < S; y++)
		for (int x = 0; x < S; x++) {
			png_color k = pal[(y + x) % 16];
			set_px(want, 0, y, x, k.red);
			set_px(want, 1, y, x, k.green);
			set_px(want, 2, y, x, k.blue);
		}
	snprintf(rel, sizeof(rel), "%s/train/dog/c_palette_64.png", dir);
	write_png(rel, 64, 64, PNG_COLOR_TYPE_PALETTE, 8, buf, pal, 16);
	want += 3072;
	/* d: grey 16-bit 48x48, value 5x (as v * 257) constant down each column. Shrinking by 1.5,
	 * output 2k covers source [3k, 3k+1.5): (5*3k + 0.5*5*(3k+1)) / 1.5 = 15k + 1.67 -> 15k+2;
	 * output 2k+1 covers [3k+1.5, 3k+3): (0.5*5*(3k+1) + 5*(3k+2)) / 1.5 = 15k + 8.33 -> 15k+8
	 */
	for (int y = 0; y < 48; y++)
		for (int x = 0; x < 48; x++) {
			int v = 5 * x * 257;
			buf[(y * 48 + x) * 2] = (unsigned char)(v >> 8);
			buf[(y * 48 + x) * 2 + 1] = (unsigned char)v;
		}
	for (int y = 0; y < S; y++)
		for (int x = 0; x < S; x++)
			for (int c = 0; c < 3; c++)
				set_px(want, c, y, x, 15 * (x / 2) + (x % 2 ? 8 : 2));
	snprintf(rel, sizeof(rel), "%s/train/dog/d_grey16_48.png", dir);
	write_png(rel, 48, 48, PNG_COLOR_TYPE_GRAY, 16, buf, NULL, 0);
	want += 3072;
	/* e (test): grey+alpha, 20 wide and 36 tall, constant down each column: 12 short of 32, more
	 * than an eighth, so enlarged bilinearly across (a linear ramp stays linear: output column
	 * o samples source position (o + 0.5) * 20/32 - 0.5, clamped to [0, 19]; never a tie),
	 * shrunk 36 -> 32 rows (which leaves constant columns as they are); alpha dropped */
	for (int y = 0; y < 36; y++)
		for (int x = 0; x < 20; x++) {
			buf[(y * 20 + x) * 2] = (unsigned char)(10 + 11 * x);
			buf[(y * 20 + x) * 2 + 1] = (unsigned char)(y * 7);
		}
	for (int y = 0; y < S; y++)
		for (int x = 0; x < S; x++) {
			double sx = fmin(fmax((x + 0.5) * 20.0 / 32.0 - 0.5, 0.0), 19.0);
			for (int c = 0; c < 3; c++)
				set_px(want, c, y, x, (int)floor(10 + 11 * sx + 0.5));
		}
	snprintf(rel, sizeof(rel), "%s/test/cat/e_greyalpha_20x36.png", dir);
	write_png(rel, 20, 36, PNG_COLOR_TYPE_GRAY_ALPHA, 8, buf, NULL, 0);
	want += 3072;
	/* f (test): RGBA 32x32: the alpha channel is dropped */
	for (int y = 0; y < S; y++)
		for (int x = 0; x < S; x++) {
			int rgb[3] = {(x * 7 + y) & 255, (y * 5) & 255, 200};
			for (int c = 0; c < 3; c++) {
				buf[(y * S + x) * 4 + c] = (unsigned char)rgb[c];
				set_px(want, c, y, x, rgb[c]);
			}
			buf[(y * S + x) * 4 + 3] = (unsigned char)(x * 8);
		}
	snprintf(rel, sizeof(rel), "%s/test/dog/f_rgba_32.png", dir);
	write_png(rel, S, S, PNG_COLOR_TYPE_RGBA, 8, buf, NULL, 0);
	want += 3072;
	/* g (test): 1-bit grey 16x16 checkerboard: 1 -> 255, enlarged bilinearly to 32x32: each
	 * output pixel is sum over source pixels of p * tent(sy - y') * tent(sx - x'), with
	 * tent(d) = max(0, 1 - |d|) and the clamped source positions of e */
	memset(buf, 0, 32);
	for (int y = 0; y < 16; y++)
		for (int x = 0; x < 16; x++)
			if ((x + y) & 1)
				buf[y * 2 + x / 8] |= (unsigned char)(0x80 >> (x % 8));
	for (int y = 0; y < S; y++)
		for (int x = 0; x < S; x++) {
			double sy = fmin(fmax((y + 0.5) / 2 - 0.5, 0.0), 15.0);
			double sx = fmin(fmax((x + 0.5) / 2 - 0.5, 0.0), 15.0), v = 0;
			for (int yy = 0; yy < 16; yy++)
				for (int xx = 0; xx < 16; xx++)
					v += ((xx + yy) & 1 ? 255.0 : 0.0) *
					     fmax(0.0, 1 - fabs(sy - yy)) *
					     fmax(0.0, 1 - fabs(sx - xx));
			for (int c = 0; c < 3; c++)
				set_px(want, c, y, x, (int)floor(v + 0.5));
		}
	snprintf(rel, sizeof(rel), "%s/test/dog/g_grey1_16.png", dir);
	write_png(rel, 16, 16, PNG_COLOR_TYPE_GRAY, 1, buf, NULL, 0);
	free(buf);
}

static void stats_of(const unsigned char *px, int n, int channels, double *mean, double *sd)
{
	for (int c = 0; c < channels; c++) {
		double s = 0, s2 = 0;
		for (int i = 0; i < n; i++)
			for (int j = 0; j < 1024; j++) {
				double v = px[((size_t)i * channels + c) * 1024 + j] / 255.0;
				s += v;
				s2 += v * v;
			}
		double m = s / (n * 1024.0);
		mean[c] = m;
		sd[c] = sqrt(s2 / (n * 1024.0) - m * m);
	}
}

static void test_folder(void)
{
	unsigned char *want = tu_malloc(7 * 3072);
	int train_labels[4] = {0, 0, 1, 1}, test_labels[3] = {0, 1, 1};
	write_image_folder("imgs", want);

	struct ampcl_dataset *ds = load("imgs", NULL, 1, 0);
	check_images("folder train: grey 28 (pad), RGB 32, palette 64 and grey16 48 (area resize)",
		     ds, want, train_labels, 4, 3);
	unsigned char d_img[3072], *d_row = d_img + 5 * S;
	tu_ok(ampcl_dataset_image(ds, 3, d_img), "image 3");
	tu_check(
	    d_row[0] == 2 && d_row[1] == 8 && d_row[2] == 17 && d_row[3] == 23 && d_row[31] == 233,
	    "area resize 48 -> 32 by hand", "row 5: %d %d %d %d ... %d (want 2 8 17 23 ... 233)",
	    d_row[0], d_row[1], d_row[2], d_row[3], d_row[31]);
	double mean[3], sd[3];
	stats_of(want, 4, 3, mean, sd);
	/* float storage of the statistics: 1e-6 */
	double miss = 0;
	for (int c = 0; c < 3; c++)
		miss = fmax(miss, fmax(fabs(ds->mean[c] - mean[c]), fabs(ds->std[c] - sd[c])));
	tu_check(!strcmp(ds->kind, "folder") && miss < 1e-6, "folder normalisation: train stats",
		 "kind %s, mean %.5f %.5f %.5f (want %.5f %.5f %.5f) std %.5f %.5f %.5f, miss %.2g",
		 ds->kind, ds->mean[0], ds->mean[1], ds->mean[2], mean[0], mean[1], mean[2],
		 ds->std[0], ds->std[1], ds->std[2], miss);
	tu_check(ds->classes == 2 && !strcmp(ampcl_dataset_class_name(ds, 0), "cat") &&
		     !strcmp(ampcl_dataset_class_name(ds, 1), "dog"),
		 "folder classes are the sorted sub-folders", "%d classes: %s %s", ds->classes,
		 ampcl_dataset_class_name(ds, 0), ampcl_dataset_class_name(ds, 1));
	ampcl_dataset_free(ds);

	/* a subset of an image folder is class-balanced (the files come class by class, so the
	 * first two would both be cats) and the same every time */
	ds = load("imgs", "folder", 1, 2);
	int balanced = ds->count == 2 && ds->labels[0] == 0 && ds->labels[1] == 1;
	for (int i = 0; balanced && i < 2; i++) {
		unsigned char img[3072];
		tu_ok(ampcl_dataset_image(ds, i, img), "subset image");
		int match = 0; /* one of its class's two images, unchanged */
		for (int j = 0; j < 4; j++)
			match |=
			    train_labels[j] == ds->labels[i] && !memcmp(img, want + j * 3072, 3072);
		balanced &= match;
	}
	tu_check(balanced, "folder subset 2: one image of each class", "%d images, labels %d %d",
		 ds->count, ds->labels[0], ds->count > 1 ? ds->labels[1] : -1);
	ampcl_dataset_free(ds);
	ds = load("imgs", "folder", 1, 3);
	struct ampcl_dataset *again = load("imgs", "folder", 1, 3);
	int cats = 0;
	for (int i = 0; i < ds->count; i++)
		cats += ds->labels[i] == 0;
	tu_check(ds->count == 3 && (cats == 1 || cats == 2) &&
		     !memcmp(ds->labels, again->labels, 3 * sizeof(int)),
		 "folder subset 3: 2 + 1 images, the same each time", "%d cats of %d", cats,
		 ds->count);
	ampcl_dataset_free(again);
	miss = 0;
	for (int c = 0; c < 3; c++)
		miss = fmax(miss, fabs(ds->mean[c] - mean[c]));
	tu_check(miss < 1e-6, "folder subset keeps the full training split's stats", "miss %.2g",
		 miss);
	ampcl_dataset_free(ds);

	ds = load("imgs", NULL, 0, 0);
	check_images("folder test: grey+alpha 20x36 (bilinear x, area y), RGBA 32, 1-bit grey 16 (bilinear)", ds,
		     want + 4 * 3072, test_labels, 3, 3);
	miss = 0;
	for (int c = 0; c < 3; c++)
		miss = fmax(miss, fmax(fabs(ds->mean[c] - mean[c]), fabs(ds->std[c] - sd[c])));
	tu_check(miss < 1e-6, "folder test split normalises with the training stats", "miss %.2g",
		 miss);
	ampcl_dataset_free(ds);

	/* all grey: one channel */
	unsigned char g[40 * 30];
	for (int i = 0; i < 40 * 30; i++)
		g[i] = (unsigned char)(i % 200 + 20);
	mkdirs("grey/train/a");
	mkdirs("grey/train/b");
	mkdirs("grey/test/a");
	mkdirs("grey/test/b");
	write_png("grey/train/a/1.png", 30, 30, PNG_COLOR_TYPE_GRAY, 8, g, NULL, 0);
	write_png("grey/train/b/1.png", 30, 40, PNG_COLOR_TYPE_GRAY, 8, g, NULL, 0);
	write_png("grey/test/a/1.png", 30, 30, PNG_COLOR_TYPE_GRAY, 8, g, NULL, 0);
	ds = load("grey", NULL, 1, 0);
	tu_check(ds->channels == 1 && ds->count == 2 && ds->labels[1] == 1 && ds->std[0] > 0,
		 "folder of grey images has 1 channel", "channels %d count %d mean %.4f std %.4f",
		 ds->channels, ds->count, ds->mean[0], ds->std[0]);
	ampcl_dataset_free(ds);

	/* bad folders */
	write_image_folder("bad_notpng", want);
	write_bytes("bad_notpng/train/dog/zz_text.png", "this is not a PNG\n", 18);
	expect_fail("folder: a .png that is not a PNG", "bad_notpng", NULL, 1, AMPCL_ERR_BAD_FILE,
		    "zz_text.png");
	write_image_folder("bad_trunc", want);
	truncate_file("bad_trunc/train/dog/c_palette_64.png",
		      file_size("bad_trunc/train/dog/c_palette_64.png") - 40);
	expect_fail("folder: truncated PNG", "bad_trunc", NULL, 1, AMPCL_ERR_BAD_FILE,
		    "c_palette_64.png");
	/* a header announcing 100000 x 100000 pixels: refused before the image is allocated */
	{
		unsigned char big[8 + 25] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n', 0, 0, 0, 13,
					     'I',  'H', 'D', 'R'};
		put_be32(big + 16, 100000);
		put_be32(big + 20, 100000);
		big[24] = 8, big[25] = 0; /* 8-bit grey, deflate, no filter, no interlace */
		put_be32(big + 29, (unsigned)crc32(0, big + 12, 17));
		write_image_folder("bad_huge", want);
		write_bytes("bad_huge/train/dog/zz_huge.png", big, sizeof(big));
		expect_fail("folder: a PNG announcing 100000 x 100000 pixels", "bad_huge", NULL, 1,
			    AMPCL_ERR_BAD_FILE, "zz_huge.png");
	}
	write_image_folder("bad_classes", want);
	mkdirs("bad_classes/test/bird");
	expect_fail("folder: test has a class train lacks", "bad_classes", NULL, 0,
		    AMPCL_ERR_BAD_FILE, "bird");
	mkdirs("bad_noclass/train");
	mkdirs("bad_noclass/test");
	expect_fail("folder: train/ without class folders", "bad_noclass", NULL, 1,
		    AMPCL_ERR_BAD_FILE, "bad_noclass/train");
	{ /* one class: nothing to classify */
		unsigned char g1[30 * 30] = {0};
		mkdirs("bad_oneclass/train/a");
		mkdirs("bad_oneclass/test/a");
		write_png("bad_oneclass/train/a/1.png", 30, 30, PNG_COLOR_TYPE_GRAY, 8, g1, NULL,
			  0);
		write_png("bad_oneclass/test/a/1.png", 30, 30, PNG_COLOR_TYPE_GRAY, 8, g1, NULL, 0);
		expect_fail("folder: one class", "bad_oneclass", NULL, 1, AMPCL_ERR_BAD_FILE,
			    "has one class sub-folder ('a')");
	}
	write_image_folder("bad_emptyclass", want);
	mkdirs("bad_emptyclass/train/emu");
	mkdirs("bad_emptyclass/test/emu");
	expect_fail("folder: a training class without images", "bad_emptyclass", NULL, 1,
		    AMPCL_ERR_BAD_FILE, "train/emu");
	free(want);
}

static void test_detection(void)
{
	static const char *const cases[][2] = {{"cifar", "cifar10"},
					       {"mnist_plain", "mnist"},
					       {"Fashion_gz", "fashion-mnist"},
					       {"imgs", "folder"}};
	for (int i = 0; i < 4; i++) {
		struct ampcl_dataset *ds = load(cases[i][0], NULL, 0, 0);
		char name[128];
		snprintf(name, sizeof(name), "detect %s", cases[i][0]);
		tu_check(!strcmp(ds->kind, cases[i][1]), name, "kind '%s' (want '%s')", ds->kind,
			 cases[i][1]);
		ampcl_dataset_free(ds);
	}
	mkdirs("empty");
	expect_fail("detect: empty folder lists what it looked for", "empty", NULL, 1,
		    AMPCL_ERR_BAD_FILE, "data_batch_1.bin");
	tu_check(strstr(ampcl_last_error(), "train-images-idx3-ubyte") &&
		     strstr(ampcl_last_error(), "test/"),
		 "detect message lists every layout", "%s", ampcl_last_error());
	expect_fail("missing folder is an I/O error naming it", "does_not_exist", NULL, 1,
		    AMPCL_ERR_IO, "does_not_exist");
	expect_fail("unknown kind", "cifar", "imagenet", 1, AMPCL_ERR_INVALID_ARG, "imagenet");
	expect_fail("explicit kind that does not fit the files", "cifar", "mnist", 1,
		    AMPCL_ERR_BAD_FILE, "train-labels-idx1-ubyte");
	expect_fail("a file is not a data folder", "cifar/test_batch.bin", NULL, 1,
		    AMPCL_ERR_BAD_FILE, "test_batch.bin");
}

/* Real data when this machine has it: counts, label ranges and the published means. */
static void test_real(void)
{
	const char *home = getenv("HOME");
	char dir[4096], probe[4200];
	snprintf(dir, sizeof(dir), "%s/.cache/cifar10/cifar-10-batches-bin", home ? home : "");
	snprintf(probe, sizeof(probe), "%s/test_batch.bin", dir);
	if (!ampcl_path_is_file(probe)) {
		printf("SKIP real CIFAR-10: %s absent (make it with tools/cifar10-prepare.py SOURCE "
		       "%s)\n",
		       dir, dir);
	} else {
		static const double pub[3] = {0.4914, 0.4822, 0.4465},
				    pub_sd[3] = {0.2470, 0.2435, 0.2616};
		for (int train = 1; train >= 0; train--) {
			struct ampcl_dataset *ds = NULL;
			double t0 = ampcl_now();
			tu_ok(ampcl_dataset_load(dir, NULL, train, 0, &ds), "real cifar10");
			double t = ampcl_now() - t0;
			int hist[10] = {0}, bad = 0;
			for (int i = 0; i < ds->count; i++) {
				if (ds->labels[i] < 0 || ds->labels[i] > 9)
					bad++;
				else
					hist[ds->labels[i]]++;
			}
			int per = (train ? 50000 : 10000) / 10, balanced = 1;
			for (int k = 0; k < 10; k++)
				balanced &= hist[k] == per;
			tu_check(ds->count == (train ? 50000 : 10000) && !bad && balanced,
				 train ? "real cifar10 train" : "real cifar10 test",
				 "%d images, %d bad labels, %d per class, loaded in %.2f s",
				 ds->count, bad, hist[0], t);
			if (train) {
				double mean[3], sd[3], miss = 0, miss_sd = 0;
				ampcl_dataset_pixel_stats(ds, mean, sd);
				for (int c = 0; c < 3; c++) {
					miss = fmax(miss, fabs(mean[c] - pub[c]));
					miss_sd = fmax(miss_sd, fabs(sd[c] - pub_sd[c]));
				}
				/* the JPEG-75 copy matches the published means to ~1e-4 */
				tu_check(miss < 2e-3 && miss_sd < 5e-3,
					 "real cifar10 train pixel mean/std vs published",
					 "mean %.4f %.4f %.4f std %.4f %.4f %.4f (miss %.2g, %.2g)",
					 mean[0], mean[1], mean[2], sd[0], sd[1], sd[2], miss,
					 miss_sd);
			}
			ampcl_dataset_free(ds);
		}
	}
	const char *fm = "/usr/share/datasets/fashion-mnist";
	if (!ampcl_path_is_dir(fm)) {
		printf(
		    "SKIP real Fashion-MNIST: %s absent (apt-get install dataset-fashion-mnist)\n",
		    fm);
		return;
	}
	for (int train = 1; train >= 0; train--) {
		struct ampcl_dataset *ds = NULL;
		double t0 = ampcl_now();
		tu_ok(ampcl_dataset_load(fm, NULL, train, 0, &ds), "real fashion-mnist");
		double t = ampcl_now() - t0;
		int bad = 0;
		for (int i = 0; i < ds->count; i++)
			bad += ds->labels[i] < 0 || ds->labels[i] > 9;
		double mean[3], sd[3];
		ampcl_dataset_pixel_stats(ds, mean, sd);
		/* the published constants are over the 28x28 pixels; the padding adds zeros */
		double r = 1024.0 / 784.0, m = mean[0] * r;
		double s = sqrt((sd[0] * sd[0] + mean[0] * mean[0]) * r - m * m);
		tu_check(ds->count == (train ? 60000 : 10000) && !bad &&
			     !strcmp(ds->kind, "fashion-mnist") && ds->channels == 1 &&
			     (!train || (fabs(m - 0.2860) < 1e-3 && fabs(s - 0.3530) < 1e-3)),
			 train ? "real fashion-mnist train" : "real fashion-mnist test",
			 "kind %s, %d images, %d bad labels, 28x28 mean %.4f std %.4f, loaded in "
			 "%.2f s",
			 ds->kind, ds->count, bad, m, s, t);
		ampcl_dataset_free(ds);
	}
}

/* The first line `ampcl train` prints: the constants and where they come from, and a hint when
 * MNIST-format data under a name without "fashion" has Fashion-MNIST's brightness. */
static void test_describe(void)
{
	unsigned char *px = tu_malloc(4 * 1024);
	int labels[4] = {0, 1, 2, 3};
	struct ampcl_dataset d = {.kind = "mnist",
				  .count = 4,
				  .channels = 1,
				  .height = 32,
				  .width = 32,
				  .classes = 10,
				  .labels = labels,
				  .pixels = px,
				  .mean = {0.1307f},
				  .std = {0.3081f}};
	char line[1024];
	memset(px, 28, 4 * 1024); /* mean 0.11: MNIST-like */
	ampcl_dataset_describe(&d, &d, line, sizeof(line));
	tu_check(strstr(line, "MNIST, 4 training / 4 test images, 10 classes, normalised with mean "
			      "0.1307 std 0.3081 (MNIST's constants)") &&
		     !strstr(line, "fashion"),
		 "data summary", "%s", line);
	memset(px, 60, 4 * 1024); /* mean 0.235: Fashion-MNIST-like */
	ampcl_dataset_describe(&d, &d, line, sizeof(line));
	tu_check(strstr(line, "pass --dataset fashion-mnist") != NULL,
		 "Fashion-MNIST-like pixels under MNIST's name are pointed out", "%s", line);
	free(px);
}

int main(void)
{
	test_describe();
	if (!mkdtemp(root)) {
		perror("mkdtemp");
		return 1;
	}
	test_cifar();
	test_mnist();
	test_folder();
	test_detection();
	test_real();
	tu_remove_tree(root);
	return tu_finish();
}
