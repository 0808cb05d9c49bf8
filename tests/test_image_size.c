/* test_image_size.c: images fitted to any size (--image-size): the fitting rules against a
 * double-precision reference, CIFAR-10, MNIST and image folders loaded at other sizes, the loader's
 * augmentation scaled with the size, and training, resuming and evaluating at such sizes. */
#include "dataset.h"
#include "loader.h"
#include "testutil.h"

#include <math.h>
#include <png.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static char root[] = "/tmp/ampcl_test_image_size_XXXXXX";

/* ---- the reference: each output pixel a weighted sum of every source pixel ---- */

/* The weight of source position i (of n) in output position o (of m), written from the rules of
 * dataset_pixels.h as functions of position, not as the implementation's tap lists. */
static double ref_weight(int n, int m, int o, int i)
{
	if (n > m) { /* area: the overlap of [o, o+1) * n/m with [i, i+1), over n/m */
		double lo = o * (double)n / m, hi = (o + 1) * (double)n / m;
		double ov = fmin(hi, i + 1.0) - fmax(lo, (double)i);
		return ov > 0 ? ov / ((double)n / m) : 0.0;
	}
	if (m - n <= m / 8) /* copy or centred padding */
		return o - (m - n) / 2 == i ? 1.0 : 0.0;
	double s = fmin(fmax((o + 0.5) * n / m - 0.5, 0.0), n - 1.0); /* bilinear: a tent */
	return fmax(0.0, 1.0 - fabs(s - i));
}

/* Fits a planar channels x h x w byte image to channels x oh x ow doubles (unrounded). */
static void ref_fit(const unsigned char *src, int channels, int h, int w, int oh, int ow,
		    double *out)
{
	double *wy = tu_malloc((size_t)oh * h * sizeof(double));
	double *wx = tu_malloc((size_t)ow * w * sizeof(double));
	for (int o = 0; o < oh; o++)
		for (int i = 0; i < h; i++)
			wy[(size_t)o * h + i] = ref_weight(h, oh, o, i);
	for (int o = 0; o < ow; o++)
		for (int i = 0; i < w; i++)
			wx[(size_t)o * w + i] = ref_weight(w, ow, o, i);
	for (int c = 0; c < channels; c++)
		for (int y = 0; y < oh; y++)
			for (int x = 0; x < ow; x++) {
				double v = 0;
				for (int i = 0; i < h; i++) {
					double a = wy[(size_t)y * h + i];
					if (a == 0)
						continue;
					for (int j = 0; j < w; j++)
						v += a * wx[(size_t)x * w + j] *
						     src[((size_t)c * h + i) * w + j];
				}
				out[((size_t)c * oh + y) * ow + x] = v;
			}
	free(wy);
	free(wx);
}

/* Bytes against the reference rounded to nearest; a value within 1e-9 of a tie may round either
 * way (the implementation divides once by both axes' scale, the reference per axis). */
static int count_wrong(const unsigned char *got, const double *ref, size_t n, size_t *first)
{
	int bad = 0;
	for (size_t k = 0; k < n; k++) {
		double r = ref[k], lo = floor(r + 0.5 - 1e-9), hi = floor(r + 0.5 + 1e-9);
		if (got[k] != (unsigned char)fmin(fmax(lo, 0), 255) &&
		    got[k] != (unsigned char)fmin(fmax(hi, 0), 255) && !bad++)
			*first = k;
	}
	return bad;
}

static void test_fit_rules(void)
{
	/* source h x w -> output h x w: each rule on each axis, mixed, the edges, non-square */
	static const int cases[][4] = {
	    {32, 32, 32, 32},  {32, 32, 64, 64},   {32, 32, 36, 36}, {32, 32, 28, 28},
	    {28, 28, 32, 32},  {20, 20, 96, 96},   {48, 30, 40, 56}, {32, 32, 224, 224},
	    {1, 1, 5, 3},      {5, 7, 1, 1},       {17, 13, 18, 40}, {33, 31, 32, 32},
	    {100, 60, 64, 64}, {24, 20, 64, 48}};
	unsigned long long seed = 11;
	for (size_t k = 0; k < sizeof(cases) / sizeof(cases[0]); k++) {
		int h = cases[k][0], w = cases[k][1], oh = cases[k][2], ow = cases[k][3];
		for (int channels = 1; channels <= 3; channels += 2) {
			size_t n = (size_t)channels * h * w, on = (size_t)3 * oh * ow;
			float *r = tu_malloc(n * sizeof(float));
			unsigned char *planar = tu_malloc(n), *inter = tu_malloc(n);
			tu_fill_uniform_f(r, n, &seed, 0, 256);
			for (size_t j = 0; j < n; j++)
				planar[j] = (unsigned char)fminf(r[j], 255);
			for (int c = 0; c < channels; c++) /* the same image, interleaved */
				for (int j = 0; j < h * w; j++)
					inter[(size_t)j * channels + c] =
					    planar[(size_t)c * h * w + j];
			double *ref = tu_malloc(on * sizeof(double));
			ref_fit(planar, channels, h, w, oh, ow, ref);
			if (channels == 1) /* a grey source fills every channel */
				for (int c = 1; c < 3; c++)
					memcpy(ref + (size_t)c * oh * ow, ref,
					       (size_t)oh * ow * sizeof(double));
			unsigned char *a = tu_malloc(on), *b = tu_malloc(on);
			struct ampcl_image_view vp = {planar, w, h, channels, 1, (size_t)w,
						      (size_t)h * w};
			struct ampcl_image_view vi = {inter,	      w, h, channels, (size_t)channels,
						      (size_t)w * channels, 1};
			ampcl_dataset_fit(&vp, a, 3, ow, oh);
			ampcl_dataset_fit(&vi, b, 3, ow, oh);
			size_t at = 0;
			int bad = count_wrong(a, ref, on, &at);
			tu_check(bad == 0 && !memcmp(a, b, on), "fit rules",
				 "%dx%d -> %dx%d, %d channel(s): %d bytes differ from the reference "
				 "(first %zu: %d, want %.4f); interleaved %s planar",
				 h, w, oh, ow, channels, bad, at, a[at], ref[at],
				 memcmp(a, b, on) ? "differs from" : "equals");
			free(r), free(planar), free(inter), free(ref), free(a), free(b);
		}
	}
}

/* Every image of ds (channels x oh x ow) against the reference fit of src's images. */
static void check_loaded(const char *name, const struct ampcl_dataset *ds,
			 const unsigned char *src, int count, int channels, int h, int w, int oh,
			 int ow)
{
	size_t n = (size_t)channels * h * w, on = (size_t)channels * oh * ow;
	unsigned char *got = tu_malloc(on);
	double *ref = tu_malloc(on * sizeof(double));
	int bad = 0;
	size_t at = 0;
	for (int i = 0; i < count && i < ds->count; i++) {
		tu_ok(ampcl_dataset_image(ds, i, got), "image");
		ref_fit(src + i * n, channels, h, w, oh, ow, ref);
		bad += count_wrong(got, ref, on, &at);
	}
	tu_check(ds->count == count && ds->height == oh && ds->width == ow && bad == 0, name,
		 "%d images of %dx%d (want %d of %dx%d), %d bytes differ from the reference",
		 ds->count, ds->height, ds->width, count, oh, ow, bad);
	free(got);
	free(ref);
}

static void test_cifar_sized(void)
{
	char dir[512], file[600];
	snprintf(dir, sizeof(dir), "%s/cifar", root);
	tu_write_tiny_cifar(dir, 2, 3);
	snprintf(file, sizeof(file), "%s/test_batch.bin", dir);
	size_t len;
	unsigned char *raw = (unsigned char *)tu_read_file(file, &len), src[3 * 3072];
	for (int i = 0; i < 3; i++)
		memcpy(src + i * 3072, raw + i * 3073 + 1, 3072);
	free(raw);
	static const int sizes[][2] = {{64, 64}, {48, 40}, {28, 28}, {36, 36}, {224, 224}};
	for (size_t k = 0; k < sizeof(sizes) / sizeof(sizes[0]); k++) {
		struct ampcl_dataset *ds;
		tu_ok(ampcl_dataset_load_sized(dir, NULL, 0, 0, sizes[k][0], sizes[k][1], &ds),
		      "cifar sized");
		char name[64];
		snprintf(name, sizeof(name), "CIFAR-10 at %dx%d", sizes[k][0], sizes[k][1]);
		check_loaded(name, ds, src, 3, 3, 32, 32, sizes[k][0], sizes[k][1]);
		ampcl_dataset_free(ds);
	}
}

static void put_be32(unsigned char *p, unsigned v)
{
	p[0] = (unsigned char)(v >> 24), p[1] = (unsigned char)(v >> 16);
	p[2] = (unsigned char)(v >> 8), p[3] = (unsigned char)v;
}

/* idx files of n images of h x w (not MNIST's 28x28) in dir, as train and t10k */
static void write_idx(const char *dir, int n, int h, int w, unsigned char *px)
{
	mkdir(dir, 0755);
	for (int t = 0; t < 2; t++) {
		char path[600];
		size_t isize = 16 + (size_t)n * h * w;
		unsigned char *img = tu_malloc(isize), lab[8 + 16];
		put_be32(img, 2051), put_be32(img + 4, (unsigned)n);
		put_be32(img + 8, (unsigned)h), put_be32(img + 12, (unsigned)w);
		memcpy(img + 16, px, (size_t)n * h * w);
		put_be32(lab, 2049), put_be32(lab + 4, (unsigned)n);
		for (int i = 0; i < n; i++)
			lab[8 + i] = (unsigned char)(i % 10);
		snprintf(path, sizeof(path), "%s/%s-images-idx3-ubyte", dir, t ? "t10k" : "train");
		tu_write_file(path, img, isize);
		snprintf(path, sizeof(path), "%s/%s-labels-idx1-ubyte", dir, t ? "t10k" : "train");
		tu_write_file(path, lab, 8 + (size_t)n);
		free(img);
	}
}

static void test_mnist_sized(void)
{
	enum { N = 4, H = 20, W = 24 };
	unsigned char px[N * H * W];
	for (int i = 0; i < N * H * W; i++)
		px[i] = (unsigned char)((i * 37 + i / 7) & 255);
	char dir[512];
	snprintf(dir, sizeof(dir), "%s/idx", root);
	write_idx(dir, N, H, W, px);
	static const int sizes[][2] = {{64, 48}, {32, 32}, {22, 24}, {16, 12}};
	for (size_t k = 0; k < sizeof(sizes) / sizeof(sizes[0]); k++) {
		struct ampcl_dataset *ds;
		tu_ok(ampcl_dataset_load_sized(dir, "mnist", 1, 0, sizes[k][0], sizes[k][1], &ds),
		      "mnist sized");
		char name[64];
		snprintf(name, sizeof(name), "idx %dx%d images at %dx%d", H, W, sizes[k][0],
			 sizes[k][1]);
		check_loaded(name, ds, px, N, 1, H, W, sizes[k][0], sizes[k][1]);
		ampcl_dataset_free(ds);
	}
}

static void test_folder_sized(void)
{
	enum { H = 30, W = 50 };
	unsigned char rgb[H * W * 3], planar[2][3 * H * W];
	const char *dirs[] = {"folder", "folder/train", "folder/test", "folder/train/a",
			      "folder/train/b", "folder/test/a", "folder/test/b"};
	char path[700];
	for (size_t k = 0; k < sizeof(dirs) / sizeof(dirs[0]); k++) {
		snprintf(path, sizeof(path), "%s/%s", root, dirs[k]);
		mkdir(path, 0755);
	}
	for (int k = 0; k < 4; k++) {
		int im = k % 2;
		for (int y = 0; y < H; y++)
			for (int x = 0; x < W; x++)
				for (int c = 0; c < 3; c++) {
					int v = (x * 5 + y * 3 * (c + 1) + im * 90 + c * 40) & 255;
					rgb[(y * W + x) * 3 + c] = (unsigned char)v;
					planar[im][(c * H + y) * W + x] = (unsigned char)v;
				}
		snprintf(path, sizeof(path), "%s/%s/1.png", root, dirs[3 + k]);
		tu_write_png(path, W, H, PNG_COLOR_TYPE_RGB, 8, rgb, NULL, 0);
	}
	snprintf(path, sizeof(path), "%s/folder", root);
	struct ampcl_dataset *ds;
	tu_ok(ampcl_dataset_load_sized(path, NULL, 1, 0, 64, 48, &ds), "folder sized");
	check_loaded("image folder 30x50 at 64x48", ds, planar[0], 2, 3, H, W, 64, 48);
	/* the statistics are those of the fitted images */
	double mean[3], sd[3], m0 = 0;
	ampcl_dataset_pixel_stats(ds, mean, sd);
	size_t plane = (size_t)64 * 48;
	for (int i = 0; i < 2; i++)
		for (size_t j = 0; j < plane; j++)
			m0 += ds->pixels[(size_t)i * 3 * plane + j] / 255.0;
	m0 /= 2.0 * plane;
	tu_check(fabs(m0 - mean[0]) < 1e-12 && fabs(ds->mean[0] - m0) < 1e-6,
		 "folder statistics over the fitted images", "mean %.6f (stats %.6f, kept %.6f)",
		 m0, mean[0], ds->mean[0]);
	ampcl_dataset_free(ds);

	/* out of range: refused before any file is read, naming --image-size */
	static const int bad[][2] = {{0, 32}, {32, 0}, {1025, 32}, {-1, -1}};
	for (size_t k = 0; k < sizeof(bad) / sizeof(bad[0]); k++) {
		ds = (void *)1;
		int st = ampcl_dataset_load_sized(path, NULL, 1, 0, bad[k][0], bad[k][1], &ds);
		tu_check(st == AMPCL_ERR_INVALID_ARG && !ds &&
			     strstr(ampcl_last_error(), "--image-size"),
			 "an image size out of range is refused", "%dx%d: status %d: %s",
			 bad[k][0], bad[k][1], st, ampcl_last_error());
	}
}

/* The crop of the loader at a non-square size: the image set into a canvas padded by pad(side)
 * on each side, the window at (dy, dx) cut out, then mirrored. */
static void hand_crop(const unsigned char *src, int h, int w, int dx, int dy, int flip,
		      unsigned char *out)
{
	int py = h / 8, px = w / 8, ch = h + 2 * py, cw = w + 2 * px;
	unsigned char *canvas = calloc((size_t)ch * cw, 1);
	for (int y = 0; y < h; y++)
		memcpy(canvas + (size_t)(y + py) * cw + px, src + (size_t)y * w, (size_t)w);
	for (int y = 0; y < h; y++)
		for (int x = 0; x < w; x++) {
			unsigned char v = canvas[(size_t)(y + dy) * cw + x + dx];
			out[(size_t)y * w + (flip ? w - 1 - x : x)] = v;
		}
	free(canvas);
}

static void test_loader_sized(void)
{
	enum { H = 48, W = 40 };
	unsigned char src[H * W], a[H * W], b[H * W];
	for (int i = 0; i < H * W; i++)
		src[i] = (unsigned char)(i * 13 + 1);
	int bad = 0, seen_max_x = 0, seen_max_y = 0, out_of_range = 0;
	for (int i = 0; i < 400; i++) {
		int dx, dy, f;
		ampcl_loader_augment_draw(3, 1, i, H, W, &dx, &dy, &f);
		out_of_range += dx < 0 || dx > 2 * (W / 8) || dy < 0 || dy > 2 * (H / 8);
		seen_max_x |= dx == 2 * (W / 8);
		seen_max_y |= dy == 2 * (H / 8);
		ampcl_loader_crop_flip(src, 1, H, W, dx, dy, f, a);
		hand_crop(src, H, W, dx, dy, f, b);
		bad += memcmp(a, b, sizeof(a)) != 0;
	}
	tu_check(ampcl_loader_pad(32) == 4 && ampcl_loader_pad(64) == 8 &&
		     ampcl_loader_pad(224) == 28 && !out_of_range && seen_max_x && seen_max_y &&
		     !bad,
		 "the crop's padding scales with the size (48x40: 6 and 5 pixels)",
		 "%d offsets out of range, extremes %s, %d crops differ from the canvas crop",
		 out_of_range, seen_max_x && seen_max_y ? "reached" : "never drawn", bad);

	/* the loader's batches at 64x48 are the crops of the stored images, normalised */
	char dir[512];
	snprintf(dir, sizeof(dir), "%s/cifar", root);
	struct ampcl_dataset *ds;
	tu_ok(ampcl_dataset_load_sized(dir, NULL, 1, 0, 64, 48, &ds), "cifar 64x48");
	struct ampcl_loader_config lc = {4, 1, 1, 1, 9};
	struct ampcl_loader *l;
	tu_ok(ampcl_loader_create(ds, &lc, &l), "loader");
	tu_ok(ampcl_loader_start_epoch(l, 2), "epoch");
	const float *x;
	const int *labels;
	int count = 0, order[10], wrong = 0;
	int got = ampcl_loader_next(l, &x, &labels, &count);
	tu_check(got == 1 && count == 4, "a batch at 64x48", "returned %d, count %d", got, count);
	ampcl_loader_permutation(9, 2, ds->count, order);
	size_t image = (size_t)3 * 64 * 48;
	unsigned char *img = tu_malloc(image), *crop = tu_malloc(image);
	for (int k = 0; k < count; k++) {
		int dx, dy, f;
		tu_ok(ampcl_dataset_image(ds, order[k], img), "image");
		ampcl_loader_augment_draw(9, 2, order[k], 64, 48, &dx, &dy, &f);
		ampcl_loader_crop_flip(img, 3, 64, 48, dx, dy, f, crop);
		for (size_t j = 0; j < image; j++) {
			int c = (int)(j / (64 * 48));
			float want = (float)((crop[j] / 255.0 - ds->mean[c]) / ds->std[c]);
			wrong += fabsf(x[k * image + j] - want) > 1e-6f;
		}
	}
	tu_check(wrong == 0 && labels[0] == ds->labels[order[0]],
		 "the loader's batch at 64x48 is the normalised crops", "%d values differ", wrong);
	free(img);
	free(crop);
	ampcl_loader_free(l);
	ampcl_dataset_free(ds);
}

/* `ampcl train`, resume and eval at sizes other than 32x32 (not powers of two, non-square). */
static void test_cli(void)
{
	char dir[512], args[2048], out[16384];
	snprintf(dir, sizeof(dir), "%s/cli", root);
	tu_write_tiny_cifar(dir, 2, 3);
	static const struct {
		const char *model, *size;
		int batch;
	} runs[] = {{"resnet18", "224", 2}, {"vgg19", "96x64", 2}, {"resnet34", "40x72", 2}};
	for (size_t k = 0; k < sizeof(runs) / sizeof(runs[0]); k++) {
		snprintf(args, sizeof(args),
			 "train --data %s --model %s --width 2 --batch %d --epochs 1 "
			 "--lr 0.01 --image-size %s --out %s/run%zu --amp-epochs 0 --amp-types bn,relu",
			 dir, runs[k].model, runs[k].batch, runs[k].size, root, k);
		int rc = tu_run_cli(args, out, sizeof(out));
		char want[64];
		snprintf(want, sizeof(want), "fitted to %s", runs[k].size);
		if (!strchr(runs[k].size, 'x')) /* "224" is 224x224 */
			snprintf(want, sizeof(want), "fitted to %sx%s", runs[k].size,
				 runs[k].size);
		tu_check(rc == 0 && strstr(out, want) && strstr(out, "final test accuracy"),
			 "training at another image size", "%s %s: exit %d: %.2000s",
			 runs[k].model, runs[k].size, rc, out);
	}
	/* a resumed run keeps its size; data fitted to another one is refused */
	snprintf(args, sizeof(args), "train --resume %s/run1 --epochs 2", root);
	int rc = tu_run_cli(args, out, sizeof(out));
	tu_check(rc == 0 && strstr(out, "fitted to 96x64"), "a resumed run keeps its image size",
		 "exit %d: %.2000s", rc, out);
	/* exported weights evaluate at the size given, and a wrong size is refused by the net */
	snprintf(args, sizeof(args), "export --checkpoint %s/run1/last.ampcl --out %s/v.safetensors",
		 root, root);
	rc = tu_run_cli(args, out, sizeof(out));
	tu_check(rc == 0, "export at 96x64", "exit %d: %.2000s", rc, out);
	snprintf(args, sizeof(args),
		 "eval --weights %s/v.safetensors --model vgg19 --width 2 --data %s "
		 "--image-size 96x64",
		 root, dir);
	rc = tu_run_cli(args, out, sizeof(out));
	tu_check(rc == 0 && strstr(out, "test accuracy"), "eval --weights --image-size 96x64",
		 "exit %d: %.2000s", rc, out);
	snprintf(args, sizeof(args),
		 "eval --weights %s/v.safetensors --model vgg19 --width 2 --data %s", root, dir);
	rc = tu_run_cli(args, out, sizeof(out));
	tu_check(rc != 0 && strstr(out, "v.safetensors"),
		 "weights of 96x64 at the default 32x32 are refused", "exit %d: %.2000s", rc,
		 out);
	/* out-of-range sizes are usage errors naming the flag */
	static const char *const bad[] = {"0", "64x", "x64", "1025", "64x-3", "abc", "6 4"};
	for (size_t k = 0; k < sizeof(bad) / sizeof(bad[0]); k++) {
		snprintf(args, sizeof(args),
			 "train --data %s --model resnet18 --width 2 --image-size '%s'", dir,
			 bad[k]);
		rc = tu_run_cli(args, out, sizeof(out));
		tu_check(rc == 2 && strstr(out, "--image-size"), "a bad --image-size",
			 "'%s': exit %d: %.500s", bad[k], rc, out);
	}
}

int main(void)
{
	if (!mkdtemp(root)) {
		perror("mkdtemp");
		return 1;
	}
	test_fit_rules();
	test_cifar_sized();
	test_mnist_sized();
	test_folder_sized();
	test_loader_sized();
	test_cli();
	tu_remove_tree(root);
	return tu_finish();
}
