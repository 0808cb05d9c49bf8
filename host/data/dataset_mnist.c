/* dataset_mnist.c: MNIST and Fashion-MNIST idx files, plain or gzipped (zlib reads both): the
 * header is checked against the data, and the 28x28 images are zero-padded to 32x32. */
#include "dataset_reader.h"
#include "dataset_pixels.h"
#include "alloc.h"
#include "error.h"
#include "paths.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#define SIDE_MAX AMPCL_DATASET_SIDE_MAX
#define MAGIC_LABELS 2049u /* 0x00000801: unsigned bytes, 1 dimension */
#define MAGIC_IMAGES 2051u /* 0x00000803: unsigned bytes, 3 dimensions */

static unsigned be32(const unsigned char *p)
{
	return (unsigned)p[0] << 24 | (unsigned)p[1] << 16 | (unsigned)p[2] << 8 | p[3];
}

/* Reads exactly size bytes; on a short read or a zlib error sets the message and fails. */
static ampcl_status read_exact(gzFile f, const char *file, void *buf, size_t size, const char *what)
{
	unsigned char *p = buf;
	size_t done = 0;
	while (done < size) {
		size_t want = size - done < (1u << 30) ? size - done : (1u << 30);
		int n = gzread(f, p + done, (unsigned)want);
		if (n < 0) {
			int err;
			const char *msg = gzerror(f, &err);
			return ampcl_error_set(AMPCL_ERR_BAD_FILE,
					       "idx file '%s' is corrupt while reading %s: %s; "
					       "download it again",
					       file, what, msg);
		}
		if (n == 0)
			return ampcl_error_set(AMPCL_ERR_BAD_FILE,
					       "idx file '%s' is truncated: it ends inside %s; "
					       "download it again",
					       file, what);
		done += (size_t)n;
	}
	return AMPCL_OK;
}

/* After the data the header announced, a well-formed file ends. */
static ampcl_status expect_end(gzFile f, const char *file, const char *what)
{
	unsigned char extra[256];
	int n = gzread(f, extra, sizeof(extra));
	if (n < 0) {
		int err;
		return ampcl_error_set(AMPCL_ERR_BAD_FILE, "idx file '%s' is corrupt after %s: %s",
				       file, what, gzerror(f, &err));
	}
	if (n > 0)
		return ampcl_error_set(AMPCL_ERR_BAD_FILE,
				       "idx file '%s' has more bytes than its header announces "
				       "(%s): it is not a well-formed idx file",
				       file, what);
	return AMPCL_OK;
}

/* Writes into file the first of the usual names of an MNIST idx file that exists in dir
 * (which: "train-images", "train-labels", "t10k-images", "t10k-labels"), plain before .gz.
 * Returns 1 if one exists, else 0 (file then holds the canonical name, for messages). */
static int idx_file(const char *dir, const char *which, char *file, size_t size)
{
	/* the names LeCun's page and Debian use, and the dotted ones some mirrors use */
	static const char *const patterns[] = {"%s/%s-idx%d-ubyte", "%s/%s-idx%d-ubyte.gz",
					       "%s/%s.idx%d-ubyte", "%s/%s.idx%d-ubyte.gz"};
	int dims = strstr(which, "images") ? 3 : 1;
	/* "train-images" -> "train-images-idx3-ubyte"; the dotted form splits at the same dash */
	for (size_t i = 0; i < sizeof(patterns) / sizeof(patterns[0]); i++) {
		snprintf(file, size, patterns[i], dir, which, dims);
		if (ampcl_path_is_file(file))
			return 1;
	}
	snprintf(file, size, patterns[0], dir, which, dims);
	return 0;
}

static ampcl_status open_idx(const char *dir, const char *which, char *file, size_t size,
			     gzFile *out)
{
	if (!idx_file(dir, which, file, size))
		return ampcl_error_set(AMPCL_ERR_BAD_FILE,
				       "MNIST file '%s' (or '%s.gz') is missing: an idx data set "
				       "has train-images-idx3-ubyte, train-labels-idx1-ubyte, "
				       "t10k-images-idx3-ubyte and t10k-labels-idx1-ubyte, gzipped "
				       "or not, in one folder",
				       file, file);
	FILE *f;
	ampcl_status st = ampcl_input_open(file, "MNIST file", &f);
	if (st)
		return st;
	/* zlib reads plain and gzipped files alike from the descriptor the opener checked */
	int fd = dup(fileno(f));
	fclose(f);
	*out = fd >= 0 ? gzdopen(fd, "rb") : NULL;
	if (!*out) {
		if (fd >= 0)
			close(fd);
		return ampcl_error_set(AMPCL_ERR_IO, "cannot read MNIST file '%s': %s", file,
				       errno ? strerror(errno) : "out of memory");
	}
	gzbuffer(*out, 1u << 17);
	return AMPCL_OK;
}

/* What a header announces against the file's size, before anything is read or allocated: a
 * plain file holds exactly header + body bytes (expect_end checks that at its end), a gzip one
 * at most about 1032 times its size (deflate's limit), so a corrupt count fails at once. */
static ampcl_status plausible(const char *file, unsigned long long header, unsigned long long body,
			      const char *what)
{
	struct stat sb;
	if (stat(file, &sb) != 0)
		return AMPCL_OK;
	size_t len = strlen(file);
	int gz = len > 3 && !strcmp(file + len - 3, ".gz");
	unsigned long long most = (unsigned long long)sb.st_size * (gz ? 1100ull : 1ull);
	if (header + body <= most)
		return AMPCL_OK;
	return ampcl_error_set(AMPCL_ERR_BAD_FILE,
			       "idx file '%s' announces %s (%llu bytes) but is %lld bytes%s: its "
			       "header is corrupt",
			       file, what, body, (long long)sb.st_size,
			       gz ? " compressed, more than gzip can hold" : "");
}

static ampcl_status read_labels(const char *dir, const char *which, unsigned char **labels,
				unsigned expected, const char *images, char *file, size_t size)
{
	gzFile f;
	int st = open_idx(dir, which, file, size, &f);
	if (st)
		return st;
	unsigned char hdr[8];
	unsigned char *buf = NULL;
	st = read_exact(f, file, hdr, sizeof(hdr), "the 8-byte header");
	if (st)
		goto out;
	if (be32(hdr) != MAGIC_LABELS) {
		st = ampcl_error_set(AMPCL_ERR_BAD_FILE,
				     "'%s' is not an idx labels file: magic number %u, expected "
				     "%u (0x00000801)",
				     file, be32(hdr), MAGIC_LABELS);
		goto out;
	}
	unsigned n = be32(hdr + 4);
	if (n != expected) {
		st = ampcl_error_set(AMPCL_ERR_BAD_FILE,
				     "idx files disagree: '%s' announces %u labels but '%s' %u "
				     "images; they must come from the same download",
				     file, n, images, expected);
		goto out;
	}
	char what[64];
	snprintf(what, sizeof(what), "%u labels", n);
	if ((st = plausible(file, 8, n, what)))
		goto out;
	/* grow as data arrives: a corrupt count must not allocate gigabytes before failing */
	size_t cap = 0, done = 0;
	while (done < n) {
		size_t chunk = n - done < (1u << 16) ? n - done : (1u << 16);
		if (done + chunk > cap) {
			cap = cap ? cap * 2 : (1u << 16);
			buf = ampcl_xrealloc(buf, cap);
		}
		st = read_exact(f, file, buf + done, chunk, "the labels");
		if (st)
			goto out;
		done += chunk;
	}
	st = expect_end(f, file, "the labels");
	if (st)
		goto out;
	for (unsigned i = 0; i < n; i++) {
		if (buf[i] > 9) {
			st = ampcl_error_set(AMPCL_ERR_BAD_FILE,
					     "idx labels file '%s' is corrupt: label %u is %d, "
					     "labels are 0..9",
					     file, i, buf[i]);
			goto out;
		}
	}
	*labels = buf;
	buf = NULL;
out:
	free(buf);
	gzclose(f);
	return st;
}

int ampcl_dataset_mnist_detect(const char *path)
{
	char file[4200];
	return idx_file(path, "train-images", file, sizeof(file));
}

ampcl_status ampcl_dataset_mnist_read(struct ampcl_dataset *ds, int train, int subset)
{
	char lfile[4200], ifile[4200];
	unsigned char *labels = NULL, *rows = NULL;
	gzFile f = NULL;
	/* both headers, checked against each other and the files' sizes, before any body */
	int st =
	    open_idx(ds->path, train ? "train-images" : "t10k-images", ifile, sizeof(ifile), &f);
	if (st)
		goto out;
	unsigned char hdr[16];
	st = read_exact(f, ifile, hdr, sizeof(hdr), "the 16-byte header");
	if (st)
		goto out;
	if (be32(hdr) != MAGIC_IMAGES) {
		st = ampcl_error_set(AMPCL_ERR_BAD_FILE,
				     "'%s' is not an idx images file: magic number %u, expected "
				     "%u (0x00000803)",
				     ifile, be32(hdr), MAGIC_IMAGES);
		goto out;
	}
	unsigned n = be32(hdr + 4), h = be32(hdr + 8), w = be32(hdr + 12);
	if (n == 0 || n > INT_MAX) {
		st = ampcl_error_set(AMPCL_ERR_BAD_FILE, "idx images file '%s' announces %u images",
				     ifile, n);
		goto out;
	}
	if (h == 0 || w == 0 || h > SIDE_MAX || w > SIDE_MAX) {
		st = ampcl_error_set(AMPCL_ERR_BAD_FILE,
				     "idx images file '%s' has %ux%u images; ampcl takes 1x1 up to "
				     "%dx%d (MNIST's are 28x28)",
				     ifile, h, w, SIDE_MAX, SIDE_MAX);
		goto out;
	}
	char what[64];
	snprintf(what, sizeof(what), "%u images of %ux%u", n, h, w);
	if ((st = plausible(ifile, 16, (unsigned long long)n * h * w, what)) ||
	    (st = read_labels(ds->path, train ? "train-labels" : "t10k-labels", &labels, n, ifile,
			      lfile, sizeof(lfile))))
		goto out;
	unsigned keep = subset > 0 && (unsigned)subset < n ? (unsigned)subset : n;
	size_t image = (size_t)h * w;
	ds->labels = ampcl_xmalloc((size_t)keep * sizeof(int));
	size_t out_image = (size_t)ds->height * ds->width;
	ds->pixels = ampcl_xmalloc((size_t)keep * out_image);
	/* read a block of images at a time; the ones past a subset are read to check the size */
	enum { BLOCK = 1024 };
	rows = ampcl_xmalloc(BLOCK * image);
	for (unsigned i = 0; i < n; i += BLOCK) {
		unsigned m = n - i < BLOCK ? n - i : BLOCK;
		char what[96];
		snprintf(what, sizeof(what), "images %u..%u of the %u the header announces", i,
			 i + m - 1, n);
		st = read_exact(f, ifile, rows, m * image, what);
		if (st)
			goto out;
		for (unsigned j = 0; j < m && i + j < keep; j++) {
			struct ampcl_image_view v = {rows + j * image, (int)w, (int)h, 1, 1, w, 0};
			ampcl_dataset_fit(&v, ds->pixels + (size_t)(i + j) * out_image, 1,
					  ds->width, ds->height);
		}
	}
	st = expect_end(f, ifile, "the images");
	if (st)
		goto out;
	for (unsigned i = 0; i < keep; i++)
		ds->labels[i] = labels[i];
	ds->count = (int)keep;
	ds->channels = 1;
	ds->classes = 10;
out:
	if (f)
		gzclose(f);
	free(rows);
	free(labels);
	return st;
}
