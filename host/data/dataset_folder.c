/* dataset_folder.c: image folders ROOT/{train,test}/<class>/<name>.png decoded with libpng to
 * 8-bit grey or RGB, fitted to the image size, and normalised with the training images' own statistics. */
#include "dataset_reader.h"
#include "dataset_pixels.h"
#include "size.h"
#include "rng.h"
#include "alloc.h"
#include "error.h"
#include "paths.h"

#include <dirent.h>
#include <errno.h>
#include <png.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* the widest and tallest image read, in pixels */
#define MAX_IMAGE_SIDE 16384

/* Larger images would be shrunk to 32x32 anyway; the cap bounds the memory one decode takes. */
#define MAX_PNG_SIDE 8192

/* The files of one split, class by class, each class's files in byte order of their names. */
struct split {
	int count, cap;
	char **files;
	int *labels;
};

static void split_free(struct split *s)
{
	for (int i = 0; i < s->count; i++)
		free(s->files[i]);
	free(s->files);
	free(s->labels);
	memset(s, 0, sizeof(*s));
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static void free_names(char **names, int n)
{
	for (int i = 0; names && i < n; i++)
		free(names[i]);
	free(names);
}

static int has_png_ext(const char *name)
{
	size_t n = strlen(name);
	return n > 4 && !strcasecmp(name + n - 4, ".png");
}

/* Sorted names in dir: sub-folders (want_dirs) or regular *.png files; hidden ones skipped. */
static ampcl_status list_dir(const char *dir, int want_dirs, char ***out, int *count)
{
	DIR *d = opendir(dir);
	if (!d)
		return ampcl_error_set(AMPCL_ERR_IO, "cannot read folder '%s': %s", dir,
				       strerror(errno));
	char **names = NULL, path[4400];
	int n = 0, cap = 0;
	struct dirent *e;
	while ((e = readdir(d))) {
		if (e->d_name[0] == '.')
			continue;
		if (!want_dirs && !has_png_ext(e->d_name))
			continue;
		/* a path too long to open is no entry the data set can use */
		if (snprintf(path, sizeof(path), "%s/%s", dir, e->d_name) >= (int)sizeof(path))
			continue;
		if (want_dirs ? !ampcl_path_is_dir(path) : !ampcl_path_is_file(path))
			continue;
		if (n == cap) {
			cap = cap ? cap * 2 : 64;
			names = ampcl_xrealloc(names, (size_t)cap * sizeof(*names));
		}
		names[n] = ampcl_xstrdup(e->d_name);
		n++;
	}
	closedir(d);
	if (n > 1)
		qsort(names, (size_t)n, sizeof(*names), cmp_str);
	*out = names;
	*count = n;
	return AMPCL_OK;
}

static ampcl_status list_split(const char *root, const char *name, char **classes, int nclasses,
			       struct split *s)
{
	char dir[4200], cdir[4400];
	int st = ampcl_path_join(dir, sizeof(dir), root, name);
	if (st)
		return st;
	for (int k = 0; k < nclasses; k++) {
		char **files = NULL;
		int nf = 0;
		snprintf(cdir, sizeof(cdir), "%s/%s", dir, classes[k]);
		st = list_dir(cdir, 0, &files, &nf);
		if (st)
			return st;
		if (nf == 0 && !strcmp(name, "train")) {
			free(files);
			return ampcl_error_set(
			    AMPCL_ERR_BAD_FILE,
			    "class folder '%s' holds no .png images: every "
			    "training class needs some (only PNG files are read)",
			    cdir);
		}
		for (int i = 0; i < nf; i++) {
			if (s->count == s->cap) {
				s->cap = s->cap ? s->cap * 2 : 1024;
				s->files =
				    ampcl_xrealloc(s->files, (size_t)s->cap * sizeof(char *));
				s->labels = ampcl_xrealloc(s->labels, (size_t)s->cap * sizeof(int));
			}
			size_t len = strlen(cdir) + strlen(files[i]) + 2;
			s->files[s->count] = ampcl_xmalloc(len);
			snprintf(s->files[s->count], len, "%s/%s", cdir, files[i]);
			s->labels[s->count] = k;
			s->count++;
		}
		free_names(files, nf);
	}
	if (s->count == 0)
		return ampcl_error_set(AMPCL_ERR_BAD_FILE,
				       "folder '%s' holds no .png images in its class folders",
				       dir);
	return AMPCL_OK;
}

/* Reads only the signature and the IHDR chunk (always first) to learn whether file is colour:
 * cheap enough to run over every file before decoding any. */
static ampcl_status png_peek_colour(const char *file, int *colour)
{
	unsigned char b[33];
	FILE *f;
	ampcl_status opened = ampcl_input_open(file, "image", &f);
	if (opened)
		return opened;
	size_t n = fread(b, 1, sizeof(b), f);
	fclose(f);
	if (n < 8 || png_sig_cmp(b, 0, 8))
		return ampcl_error_set(
		    AMPCL_ERR_BAD_FILE,
		    "image '%s' is not a PNG file (no PNG signature): convert it "
		    "to PNG or remove it",
		    file);
	if (n < sizeof(b) || memcmp(b + 12, "IHDR", 4))
		return ampcl_error_set(AMPCL_ERR_BAD_FILE,
				       "PNG image '%s' is truncated or corrupt: no IHDR header",
				       file);
	*colour = (b[25] & PNG_COLOR_MASK_COLOR) != 0; /* palette images count as colour */
	return AMPCL_OK;
}

struct png_failure {
	jmp_buf jump;
	char msg[256];
};

static void png_on_error(png_structp png, png_const_charp msg)
{
	struct png_failure *fail = png_get_error_ptr(png);
	snprintf(fail->msg, sizeof(fail->msg), "%s", msg);
	longjmp(fail->jump, 1);
}

static void png_on_warning(png_structp png, png_const_charp msg)
{
	(void)png; /* e.g. "iCCP: known incorrect sRGB profile": the pixels are still good */
	(void)msg;
}

/* Decodes file to 8-bit grey or RGB, interleaved: palette expands to RGB, grey below 8 bits
 * scales up to 8 (1 -> 255), 16-bit channels scale to 8 with rounding (v16 * 255 / 65535), and
 * alpha (an alpha channel or a tRNS chunk) is dropped, as PIL's convert("RGB") does. *pixels is
 * malloc'ed; *channels is 1 or 3. */
static ampcl_status png_decode(const char *file, unsigned char **pixels, int *w, int *h,
			       int *channels)
{
	FILE *f;
	ampcl_status opened = ampcl_input_open(file, "image", &f);
	if (opened)
		return opened;
	unsigned char sig[8];
	if (fread(sig, 1, 8, f) != 8 || png_sig_cmp(sig, 0, 8)) {
		fclose(f);
		return ampcl_error_set(
		    AMPCL_ERR_BAD_FILE,
		    "image '%s' is not a PNG file (no PNG signature): convert it "
		    "to PNG or remove it",
		    file);
	}
	struct png_failure fail;
	fail.msg[0] = '\0';
	png_structp png =
	    png_create_read_struct(PNG_LIBPNG_VER_STRING, &fail, png_on_error, png_on_warning);
	png_infop info = png ? png_create_info_struct(png) : NULL;
	if (!png || !info)
		abort(); /* libpng allocates a few kilobytes: this is out of host memory */
	/* written after setjmp and read after longjmp, so volatile (C11 7.13.2.1) */
	unsigned char *volatile data = NULL;
	png_bytep *volatile rows = NULL;
	if (setjmp(fail.jump)) {
		png_destroy_read_struct(&png, &info, NULL);
		free(data);
		free(rows);
		fclose(f);
		return ampcl_error_set(AMPCL_ERR_BAD_FILE,
				       "PNG image '%s' cannot be decoded (%s): it is truncated or "
				       "corrupt; re-export or remove it",
				       file, fail.msg);
	}
	png_init_io(png, f);
	png_set_sig_bytes(png, 8);
	png_set_user_limits(png, MAX_PNG_SIDE, MAX_PNG_SIDE);
	/* a header may announce any size up to 2^31 a side: larger than this is refused before
	 * the image is allocated (every image is brought to 32x32 anyway) */
	png_set_user_limits(png, MAX_IMAGE_SIDE, MAX_IMAGE_SIDE);
	png_read_info(png, info);
	png_uint_32 width, height;
	int depth, type;
	png_get_IHDR(png, info, &width, &height, &depth, &type, NULL, NULL, NULL);
	if (type == PNG_COLOR_TYPE_PALETTE)
		png_set_palette_to_rgb(png);
	if (type == PNG_COLOR_TYPE_GRAY && depth < 8)
		png_set_expand_gray_1_2_4_to_8(png);
	if (depth == 16)
		png_set_scale_16(png);
	png_set_strip_alpha(png);
	png_set_interlace_handling(png);
	png_read_update_info(png, info);
	int ch = png_get_channels(png, info);
	size_t rowbytes = png_get_rowbytes(png, info);
	if ((ch != 1 && ch != 3) || rowbytes != (size_t)width * ch)
		png_error(png, "unexpected layout after conversion to 8-bit grey/RGB");
	size_t bytes;
	if (!ampcl_size_mul(height, rowbytes, &bytes))
		png_error(png, "image too large");
	data = ampcl_xmalloc(bytes);
	rows = ampcl_xmalloc((size_t)height * sizeof(png_bytep));
	for (png_uint_32 y = 0; y < height; y++)
		rows[y] = data + (size_t)y * rowbytes;
	png_read_image(png, rows);
	png_read_end(png, NULL);
	png_destroy_read_struct(&png, &info, NULL);
	fclose(f);
	free(rows);
	*pixels = data;
	*w = (int)width;
	*h = (int)height;
	*channels = ch;
	return AMPCL_OK;
}

/* Decodes the first n files of s into n x channels x height x width bytes. */
static ampcl_status decode_split(const struct split *s, int n, int channels, int height, int width,
				 unsigned char **out)
{
	size_t image = (size_t)channels * height * width;
	unsigned char *all = ampcl_xmalloc((size_t)n * image);
	for (int i = 0; i < n; i++) {
		unsigned char *px;
		int w, h, ch;
		int st = png_decode(s->files[i], &px, &w, &h, &ch);
		if (st) {
			free(all);
			return st;
		}
		if (ch > channels) { /* the file changed since the header pass */
			free(px);
			free(all);
			return ampcl_error_set(AMPCL_ERR_BAD_FILE,
					       "PNG image '%s' changed while the data set was read "
					       "(now colour): load it again",
					       s->files[i]);
		}
		struct ampcl_image_view v = {px, w, h, ch, (size_t)ch, (size_t)w * ch, 1};
		ampcl_dataset_fit(&v, all + (size_t)i * image, channels, width, height);
		free(px);
	}
	*out = all;
	return AMPCL_OK;
}

static ampcl_status check_same_classes(const char *root, char **train, int ntrain, char **test,
				       int ntest)
{
	int i = 0, j = 0;
	while (i < ntrain || j < ntest) {
		int c = i == ntrain ? 1 : j == ntest ? -1 : strcmp(train[i], test[j]);
		if (c < 0)
			return ampcl_error_set(AMPCL_ERR_BAD_FILE,
					       "class '%s' is in '%s/train' but not in '%s/test': "
					       "both splits need the same class folders",
					       train[i], root, root);
		if (c > 0)
			return ampcl_error_set(AMPCL_ERR_BAD_FILE,
					       "class '%s' is in '%s/test' but not in '%s/train': "
					       "both splits need the same class folders",
					       test[j], root, root);
		i++;
		j++;
	}
	return AMPCL_OK;
}

/* keep of count images, class-balanced (the classes' counts differ by at most one until a
 * class runs out) and drawn with a fixed seed, so every run and every --seed trains on the same
 * images; index[] gets them in file order. The files are listed class by class, so the first
 * keep would be the first classes alone. */
static void balanced_subset(const int *labels, int count, int classes, int keep, int *index)
{
	int *order = ampcl_xmalloc((size_t)count * sizeof(int)),
	    *start = ampcl_xcalloc((size_t)classes + 1, sizeof(int));
	int *taken = ampcl_xcalloc((size_t)classes, sizeof(int));
	char *chosen = ampcl_xcalloc((size_t)count, 1);
	for (int i = 0; i < count; i++)
		start[labels[i] + 1]++;
	for (int k = 0; k < classes; k++)
		start[k + 1] += start[k];
	int *fill = ampcl_xcalloc((size_t)classes, sizeof(int));
	for (int i = 0; i < count; i++)
		order[start[labels[i]] + fill[labels[i]]++] = i;
	free(fill);
	/* a seeded Fisher-Yates shuffle within each class */
	unsigned long long state = 0x5ab5e7ULL;
	for (int k = 0; k < classes; k++) {
		int n = start[k + 1] - start[k], *o = order + start[k];
		for (int i = n - 1; i > 0; i--) {
			state = ampcl_splitmix_at(state);
			int j = (int)(state % (unsigned long long)(i + 1)), t = o[i];
			o[i] = o[j], o[j] = t;
		}
	}
	/* round robin over the classes */
	for (int got = 0; got < keep;)
		for (int k = 0; k < classes && got < keep; k++)
			if (taken[k] < start[k + 1] - start[k]) {
				chosen[order[start[k] + taken[k]++]] = 1;
				got++;
			}
	for (int i = 0, n = 0; i < count; i++)
		if (chosen[i])
			index[n++] = i;
	free(order);
	free(start);
	free(taken);
	free(chosen);
}

int ampcl_dataset_folder_detect(const char *path)
{
	char train[4200], test[4200];
	snprintf(train, sizeof(train), "%s/train", path);
	snprintf(test, sizeof(test), "%s/test", path);
	return ampcl_path_is_dir(train) && ampcl_path_is_dir(test);
}

ampcl_status ampcl_dataset_folder_read(struct ampcl_dataset *ds, int train, int subset)
{
	char dir[4200];
	char **classes = NULL, **test_classes = NULL;
	int nclasses = 0, ntest_classes = 0, st;
	struct split tr = {0}, te = {0};
	unsigned char *train_pixels = NULL;

	if (ampcl_path_join(dir, sizeof(dir), ds->path, "train") || !ampcl_path_is_dir(dir))
		return ampcl_error_set(AMPCL_ERR_BAD_FILE,
				       "image folder '%s' has no train/ sub-folder: the layout is "
				       "train/<class>/*.png and test/<class>/*.png",
				       ds->path);
	st = list_dir(dir, 1, &classes, &nclasses);
	if (st)
		goto out;
	if (nclasses == 0) {
		st = ampcl_error_set(AMPCL_ERR_BAD_FILE,
				     "'%s' has no class sub-folders: the layout is "
				     "train/<class>/*.png, one folder per class",
				     dir);
		goto out;
	}
	if (nclasses == 1) {
		st = ampcl_error_set(
		    AMPCL_ERR_BAD_FILE,
		    "'%s' has one class sub-folder ('%s'): a classifier needs at least "
		    "two, one folder per class",
		    dir, classes[0]);
		goto out;
	}
	if (ampcl_path_join(dir, sizeof(dir), ds->path, "test") || !ampcl_path_is_dir(dir)) {
		st = ampcl_error_set(AMPCL_ERR_BAD_FILE,
				     "image folder '%s' has no test/ sub-folder: the layout is "
				     "train/<class>/*.png and test/<class>/*.png",
				     ds->path);
		goto out;
	}
	st = list_dir(dir, 1, &test_classes, &ntest_classes);
	if (st)
		goto out;
	st = check_same_classes(ds->path, classes, nclasses, test_classes, ntest_classes);
	if (st)
		goto out;
	st = list_split(ds->path, "train", classes, nclasses, &tr);
	if (!st)
		st = list_split(ds->path, "test", classes, nclasses, &te);
	if (st)
		goto out;

	/* the channel count must be the same for both splits: any colour file makes it RGB */
	int colour = 0;
	for (int s = 0; s < 2 && !colour; s++) {
		const struct split *sp = s ? &te : &tr;
		for (int i = 0; i < sp->count && !colour; i++) {
			st = png_peek_colour(sp->files[i], &colour);
			if (st)
				goto out;
		}
	}
	int channels = colour ? 3 : 1;

	/* normalisation comes from the whole training split, whichever split or subset is loaded,
	 * so a model trained on a subset and evaluated later sees the same inputs */
	st = decode_split(&tr, tr.count, channels, ds->height, ds->width, &train_pixels);
	if (st)
		goto out;
	struct ampcl_dataset stats = {.count = tr.count,
				      .channels = channels,
				      .height = ds->height,
				      .width = ds->width,
				      .pixels = train_pixels};
	double mean[3], sd[3];
	ampcl_dataset_pixel_stats(&stats, mean, sd);
	for (int c = 0; c < channels; c++) {
		ds->mean[c] = (float)mean[c];
		/* a constant channel would divide by zero: leave its scale alone instead */
		ds->std[c] = sd[c] > 1e-6 ? (float)sd[c] : 1.0f;
	}

	size_t image = (size_t)channels * ds->height * ds->width;
	if (train) {
		int keep = subset > 0 && subset < tr.count ? subset : tr.count;
		ds->labels = ampcl_xmalloc((size_t)keep * sizeof(int));
		if (keep < tr.count) {
			int *index = ampcl_xmalloc((size_t)keep * sizeof(int));
			balanced_subset(tr.labels, tr.count, nclasses, keep, index);
			for (int i = 0; i < keep; i++) {
				memmove(train_pixels + (size_t)i * image,
					train_pixels + (size_t)index[i] * image, image);
				ds->labels[i] = tr.labels[index[i]];
			}
			free(index);
		} else {
			memcpy(ds->labels, tr.labels, (size_t)keep * sizeof(int));
		}
		ds->pixels = ampcl_xrealloc(train_pixels, (size_t)keep * image);
		train_pixels = NULL;
		ds->count = keep;
	} else {
		free(train_pixels);
		train_pixels = NULL;
		st = decode_split(&te, te.count, channels, ds->height, ds->width, &ds->pixels);
		if (st)
			goto out;
		ds->labels = ampcl_xmalloc((size_t)te.count * sizeof(int));
		memcpy(ds->labels, te.labels, (size_t)te.count * sizeof(int));
		ds->count = te.count;
	}
	ds->channels = channels;
	ds->classes = nclasses;
	ds->class_names = classes;
	classes = NULL;
out:
	free(train_pixels);
	free_names(classes, nclasses);
	free_names(test_classes, ntest_classes);
	split_free(&tr);
	split_free(&te);
	return st;
}
