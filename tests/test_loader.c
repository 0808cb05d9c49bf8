/* test_loader.c: the prefetching loader: every image once per epoch, order and augmentation
 * from (seed, epoch) alone, drop_last, crop/flip against hand computations, normalised values. */
#include "loader.h"
#include "paths.h"
#include "testutil.h"
#include "clock.h"

#include <dirent.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define S 32
#define N 103 /* training images: not a multiple of the batch sizes used */
static char root[] = "/tmp/ampcl_test_loader_XXXXXX";

/* Never 0, so padding (0) is told apart; distinct per image; a shift by (dy, dx) changes the
 * value by 32 dy + dx (mod 255), so no two crops of one image agree. */
static int pixel(int i, int c, int y, int x)
{
	return 1 + (i * 13 + c * 71 + y * 32 + x) % 255;
}

static void write_cifar_file(const char *name, int first, int n)
{
	char p[4096];
	snprintf(p, sizeof(p), "%s/%s", root, name);
	FILE *f = fopen(p, "wb");
	unsigned char rec[3073];
	for (int r = 0; r < n; r++) {
		rec[0] = (unsigned char)((first + r) % 10);
		for (int c = 0; c < 3; c++)
			for (int y = 0; y < S; y++)
				for (int x = 0; x < S; x++)
					rec[1 + c * 1024 + y * S + x] =
					    (unsigned char)pixel(first + r, c, y, x);
		if (!f || fwrite(rec, 1, sizeof(rec), f) != sizeof(rec)) {
			perror(p);
			exit(1);
		}
	}
	fclose(f);
}

static struct ampcl_dataset *make_dataset(void)
{
	static const int counts[5] = {50, 30, 10, 10, 3};
	char name[64];
	int id = 0;
	for (int k = 0; k < 5; k++) {
		snprintf(name, sizeof(name), "data_batch_%d.bin", k + 1);
		write_cifar_file(name, id, counts[k]);
		id += counts[k];
	}
	write_cifar_file("test_batch.bin", 1000, 7);
	struct ampcl_dataset *ds = NULL;
	tu_ok(ampcl_dataset_load(root, NULL, 1, 0, &ds), "load the test set");
	return ds;
}

static struct ampcl_loader *make_loader(const struct ampcl_dataset *ds, int batch, int shuffle,
					int augment, int drop_last, unsigned long long seed)
{
	struct ampcl_loader_config cfg = {batch, shuffle, augment, drop_last, seed};
	struct ampcl_loader *l = NULL;
	tu_ok(ampcl_loader_create(ds, &cfg, &l), "loader create");
	return l;
}

static double norm(const struct ampcl_dataset *ds, int c, int v)
{
	return ((double)v / 255.0 - ds->mean[c]) / ds->std[c];
}

/* Every image of an epoch, concatenated: x (images, C*1024), labels, and batch sizes. */
struct epoch {
	int images, batches, sizes[128];
	float *x;
	int labels[N];
};

static void run_epoch(struct ampcl_loader *l, const struct ampcl_dataset *ds, int epoch,
		      struct epoch *out)
{
	size_t img = (size_t)ds->channels * S * S;
	out->images = out->batches = 0;
	if (!out->x)
		out->x = tu_malloc((size_t)N * img * sizeof(float));
	tu_ok(ampcl_loader_start_epoch(l, epoch), "start epoch");
	const float *x;
	const int *lab;
	int n, r;
	while ((r = ampcl_loader_next(l, &x, &lab, &n)) == 1) {
		if (out->images + n > N || out->batches >= 128) {
			tu_check(0, "epoch size", "more than %d images", N);
			return;
		}
		memcpy(out->x + (size_t)out->images * img, x, (size_t)n * img * sizeof(float));
		memcpy(out->labels + out->images, lab, (size_t)n * sizeof(int));
		out->sizes[out->batches++] = n;
		out->images += n;
	}
	tu_ok(r, "loader next");
}

/* Which data set image (unaugmented) the float image x is, by its exact values; -1 if none. */
static int identify(const struct ampcl_dataset *ds, const float *x)
{
	for (int i = 0; i < ds->count; i++) {
		int ok = 1;
		for (int c = 0; c < 3 && ok; c++)
			for (int j = 0; j < S * S && ok; j += 37)
				ok = fabs(x[c * 1024 + j] -
					  norm(ds, c, pixel(i, c, j / S, j % S))) < 1e-5;
		if (ok)
			return i;
	}
	return -1;
}

/* The hand-made reference for crop + flip: materialise the 40x40 zero-padded image, cut the
 * 32x32 window at (dy, dx), then mirror the columns. */
static void hand_crop_flip(const unsigned char *src, int channels, int dx, int dy, int flip,
			   unsigned char *out)
{
	unsigned char padded[40][40], crop[S][S];
	for (int c = 0; c < channels; c++) {
		memset(padded, 0, sizeof(padded));
		for (int y = 0; y < S; y++)
			for (int x = 0; x < S; x++)
				padded[y + 4][x + 4] = src[c * 1024 + y * S + x];
		for (int y = 0; y < S; y++)
			for (int x = 0; x < S; x++)
				crop[y][x] = padded[y + dy][x + dx];
		for (int y = 0; y < S; y++)
			for (int x = 0; x < S; x++)
				out[c * 1024 + y * S + x] = crop[y][flip ? S - 1 - x : x];
	}
}

static void test_plain_order(const struct ampcl_dataset *ds)
{
	struct ampcl_loader *l = make_loader(ds, 10, 0, 0, 0, 1);
	struct epoch e = {0};
	run_epoch(l, ds, 0, &e);
	int sizes_ok = e.batches == 11 && ampcl_loader_batches(l) == 11 && e.sizes[10] == 3;
	for (int b = 0; b < 10; b++)
		sizes_ok &= e.sizes[b] == 10;
	tu_check(sizes_ok && e.images == N, "evaluation (drop_last 0): every image, last batch 3",
		 "%d batches (batches() %d), %d images, last batch %d", e.batches,
		 ampcl_loader_batches(l), e.images, e.batches ? e.sizes[e.batches - 1] : -1);
	/* the batch holds (x/255 - mean) / std of the stored bytes, in data set order */
	double *want = tu_malloc((size_t)N * 3072 * sizeof(double));
	int labels_ok = 1;
	for (int i = 0; i < N; i++) {
		for (int c = 0; c < 3; c++)
			for (int j = 0; j < 1024; j++)
				want[(size_t)i * 3072 + c * 1024 + j] =
				    norm(ds, c, pixel(i, c, j / S, j % S));
		labels_ok &= e.labels[i] == i % 10;
	}
	/* float rounding of a value of size <= 2.1: 4e-7 */
	tu_compare("batches equal the normalised pixels in order", e.x, want, (size_t)N * 3072,
		   4e-7, 0);
	tu_check(labels_ok, "labels follow their images", "labels[0..3] %d %d %d %d", e.labels[0],
		 e.labels[1], e.labels[2], e.labels[3]);
	const float *x;
	const int *lab;
	int n;
	int r1 = ampcl_loader_next(l, &x, &lab, &n), r2 = ampcl_loader_next(l, &x, &lab, &n);
	tu_check(r1 == 0 && r2 == 0 && n == 0, "after the last batch next keeps returning 0",
		 "%d %d count %d", r1, r2, n);
	ampcl_loader_free(l);
	free(e.x);
	free(want);
}

static void order_of(const struct ampcl_dataset *ds, const struct epoch *e, int *order)
{
	for (int i = 0; i < e->images; i++)
		order[i] = identify(ds, e->x + (size_t)i * 3072);
}

static void test_shuffle(const struct ampcl_dataset *ds)
{
	struct ampcl_loader *l = make_loader(ds, 10, 1, 0, 1, 42);
	struct epoch e = {0};
	int o0[N], o1[N], o0b[N], perm[N], seen[N];

	run_epoch(l, ds, 0, &e);
	order_of(ds, &e, o0);
	memset(seen, 0, sizeof(seen));
	int dup = 0, unknown = 0, lab_bad = 0;
	for (int i = 0; i < e.images; i++) {
		if (o0[i] < 0) {
			unknown++;
			continue;
		}
		dup += seen[o0[i]]++ > 0;
		lab_bad += e.labels[i] != o0[i] % 10;
	}
	tu_check(e.images == 100 && e.batches == 10 && ampcl_loader_batches(l) == 10 && !dup &&
		     !unknown && !lab_bad,
		 "training (drop_last 1): 10 full batches of distinct images",
		 "%d images in %d batches, %d duplicates, %d unknown, %d wrong labels", e.images,
		 e.batches, dup, unknown, lab_bad);
	ampcl_loader_permutation(42, 0, N, perm);
	int same = 1, moved = 0;
	for (int i = 0; i < 100; i++) {
		same &= perm[i] == o0[i];
		moved += o0[i] != i;
	}
	tu_check(same && moved > 90, "order is the documented permutation, and shuffled",
		 "first %d %d %d %d, %d of 100 positions moved", o0[0], o0[1], o0[2], o0[3], moved);

	run_epoch(l, ds, 1, &e);
	order_of(ds, &e, o1);
	int differ = 0;
	for (int i = 0; i < 100; i++)
		differ += o1[i] != o0[i];
	tu_check(differ > 90, "epoch 1 has another order", "%d of 100 positions differ", differ);

	run_epoch(l, ds, 0, &e);
	order_of(ds, &e, o0b);
	tu_check(!memcmp(o0, o0b, sizeof(int) * 100), "epoch 0 again: the same order",
		 "first %d %d vs %d %d", o0[0], o0[1], o0b[0], o0b[1]);
	ampcl_loader_free(l);

	/* shuffled evaluation: all N exactly once, last batch smaller */
	l = make_loader(ds, 10, 1, 0, 0, 42);
	run_epoch(l, ds, 3, &e);
	order_of(ds, &e, o0);
	memset(seen, 0, sizeof(seen));
	int missing = 0;
	for (int i = 0; i < e.images; i++)
		if (o0[i] >= 0)
			seen[o0[i]]++;
	for (int i = 0; i < N; i++)
		missing += seen[i] != 1;
	tu_check(e.images == N && missing == 0 && e.sizes[e.batches - 1] == 3,
		 "shuffled, drop_last 0: every image exactly once", "%d images, %d not seen once",
		 e.images, missing);
	ampcl_loader_free(l);

	struct ampcl_loader *a = make_loader(ds, 10, 1, 0, 1, 42),
			    *b = make_loader(ds, 10, 1, 0, 1, 43);
	struct epoch ea = {0}, eb = {0};
	run_epoch(a, ds, 0, &ea);
	run_epoch(b, ds, 0, &eb);
	order_of(ds, &ea, o0);
	order_of(ds, &eb, o1);
	differ = 0;
	for (int i = 0; i < 100; i++)
		differ += o1[i] != o0[i];
	tu_check(differ > 90, "another seed: another order", "%d of 100 positions differ", differ);
	ampcl_loader_free(a);
	ampcl_loader_free(b);
	free(ea.x);
	free(eb.x);
	free(e.x);
}

static void test_crop_flip_by_hand(void)
{
	unsigned char src[3072], out[3072], ref[3072];
	for (int c = 0; c < 3; c++)
		for (int y = 0; y < S; y++)
			for (int x = 0; x < S; x++)
				src[c * 1024 + y * S + x] = (unsigned char)pixel(5, c, y, x);
#define SRC(c, y, x) src[(c)*1024 + (y)*S + (x)]
#define OUT(c, y, x) out[(c)*1024 + (y)*S + (x)]
	/* offset (dx 8, dy 0): window starts 4 right, 4 up: out(y, x) = src(y - 4, x + 4), so
	 * rows 0..3 and columns 28..31 are padding */
	ampcl_loader_crop_flip(src, 3, 32, 32, 8, 0, 0, out);
	tu_check(OUT(0, 0, 0) == 0 && OUT(1, 3, 10) == 0 && OUT(0, 4, 0) == SRC(0, 0, 4) &&
		     OUT(2, 31, 27) == SRC(2, 27, 31) && OUT(2, 31, 28) == 0 &&
		     OUT(1, 10, 5) == SRC(1, 6, 9),
		 "crop dx 8 dy 0 by hand", "out(0,4,0) %d want %d, out(2,31,27) %d want %d",
		 OUT(0, 4, 0), SRC(0, 0, 4), OUT(2, 31, 27), SRC(2, 27, 31));
	/* (dx 0, dy 8, flip): crop(y, x) = src(y + 4, x - 4), then out(y, x) = crop(y, 31 - x) =
	 * src(y + 4, 27 - x): columns 28..31 of out are padding (from crop columns 0..3) */
	ampcl_loader_crop_flip(src, 3, 32, 32, 0, 8, 1, out);
	tu_check(OUT(0, 0, 0) == SRC(0, 4, 27) && OUT(1, 27, 27) == SRC(1, 31, 0) &&
		     OUT(1, 27, 28) == 0 && OUT(2, 28, 5) == 0 && OUT(2, 10, 20) == SRC(2, 14, 7),
		 "crop dx 0 dy 8 + flip by hand", "out(0,0,0) %d want %d, out(1,27,27) %d want %d",
		 OUT(0, 0, 0), SRC(0, 4, 27), OUT(1, 27, 27), SRC(1, 31, 0));
	ampcl_loader_crop_flip(src, 3, 32, 32, 4, 4, 0, out);
	tu_check(!memcmp(out, src, 3072), "crop at the centre (4, 4) is the identity", "%s",
		 memcmp(out, src, 3072) ? "differs" : "same");
	ampcl_loader_crop_flip(src, 3, 32, 32, 4, 4, 1, out);
	tu_check(OUT(0, 7, 0) == SRC(0, 7, 31) && OUT(2, 9, 31) == SRC(2, 9, 0),
		 "flip alone mirrors the columns", "out(0,7,0) %d want %d", OUT(0, 7, 0),
		 SRC(0, 7, 31));
#undef SRC
#undef OUT
	int bad = 0;
	for (int dy = 0; dy <= 8; dy++)
		for (int dx = 0; dx <= 8; dx++)
			for (int f = 0; f < 2; f++) {
				ampcl_loader_crop_flip(src, 3, 32, 32, dx, dy, f, out);
				hand_crop_flip(src, 3, dx, dy, f, ref);
				bad += memcmp(out, ref, 3072) != 0;
			}
	tu_check(bad == 0, "all 162 crops/flips equal the padded-window reference", "%d differ",
		 bad);
}

/* With augmentation, image k of an epoch must be one crop/flip of the image an unaugmented
 * loader with the same seed puts at k; the match must be the documented draw, and the draws must
 * cover every offset and flip about half. */
static void test_augment(const struct ampcl_dataset *ds)
{
	enum { EPOCHS = 8 };
	struct ampcl_loader *plain = make_loader(ds, 16, 1, 0, 0, 7),
			    *aug = make_loader(ds, 16, 1, 1, 0, 7);
	struct epoch ep = {0}, ea = {0};
	unsigned char src[3072], cand[3072];
	float candf[3072];
	int hist_dx[9] = {0}, hist_dy[9] = {0}, flips = 0, draws = 0, unmatched = 0, multi = 0,
	    not_documented = 0, pad_ok = 1;
	for (int epoch = 0; epoch < EPOCHS; epoch++) {
		run_epoch(plain, ds, epoch, &ep);
		run_epoch(aug, ds, epoch, &ea);
		for (int k = 0; k < ea.images; k++) {
			int id = identify(ds, ep.x + (size_t)k * 3072);
			tu_ok(ampcl_dataset_image(ds, id < 0 ? 0 : id, src), "image");
			const float *got = ea.x + (size_t)k * 3072;
			int matches = 0, mdx = -1, mdy = -1, mf = -1;
			for (int dy = 0; dy <= 8; dy++)
				for (int dx = 0; dx <= 8; dx++)
					for (int f = 0; f < 2; f++) {
						hand_crop_flip(src, 3, dx, dy, f, cand);
						int ok = 1;
						for (int j = 0; j < 3072 && ok; j++) {
							candf[j] =
							    (float)norm(ds, j / 1024, cand[j]);
							ok = fabsf(candf[j] - got[j]) < 1e-6f;
						}
						if (ok) {
							matches++;
							mdx = dx;
							mdy = dy;
							mf = f;
						}
					}
			if (matches == 0) {
				unmatched++;
				continue;
			}
			multi += matches > 1;
			int dx, dy, f;
			ampcl_loader_augment_draw(7, epoch, id, 32, 32, &dx, &dy, &f);
			not_documented += dx != mdx || dy != mdy || f != mf;
			hist_dx[mdx]++;
			hist_dy[mdy]++;
			flips += mf;
			draws++;
			/* padding normalises to -mean/std, as torchvision pads before Normalize */
			if (mdy == 0)
				pad_ok &= fabs(got[0] - norm(ds, 0, 0)) < 1e-6 &&
					  fabs(got[2048 + 3 * S] - norm(ds, 2, 0)) < 1e-6;
		}
	}
	int cover = 1;
	for (int v = 0; v < 9; v++)
		cover &= hist_dx[v] > 0 && hist_dy[v] > 0;
	tu_check(unmatched == 0 && multi == 0 && draws == EPOCHS * N,
		 "every augmented image is exactly one crop/flip of its image",
		 "%d images, %d match none, %d match several", draws + unmatched, unmatched, multi);
	tu_check(not_documented == 0, "the crop/flip is ampcl_loader_augment_draw(seed, epoch, i)",
		 "%d differ", not_documented);
	/* 824 fair draws: flips within 0.5 +- 0.1 fails with probability < 1e-8 */
	tu_check(cover && fabs((double)flips / draws - 0.5) < 0.1,
		 "offsets cover 0..8 in both axes, flip about half",
		 "dx counts %d %d %d %d %d %d %d %d %d, flips %d of %d", hist_dx[0], hist_dx[1],
		 hist_dx[2], hist_dx[3], hist_dx[4], hist_dx[5], hist_dx[6], hist_dx[7], hist_dx[8],
		 flips, draws);
	tu_check(pad_ok, "padding normalises to -mean/std", "want %.6f (channel 0)",
		 norm(ds, 0, 0));
	ampcl_loader_free(plain);
	ampcl_loader_free(aug);
	free(ep.x);
	free(ea.x);
}

/* A resumed run (fresh loader at epoch 2) sees exactly the bytes of an uninterrupted one, also
 * when an epoch was abandoned half way. */
static void test_resume(const struct ampcl_dataset *ds)
{
	struct ampcl_loader *a = make_loader(ds, 8, 1, 1, 1, 99);
	struct epoch e = {0}, r = {0};
	run_epoch(a, ds, 0, &e);
	run_epoch(a, ds, 1, &e);
	run_epoch(a, ds, 2, &e);
	struct ampcl_loader *b = make_loader(ds, 8, 1, 1, 1, 99);
	run_epoch(b, ds, 2, &r);
	size_t bytes = (size_t)e.images * 3072 * sizeof(float);
	tu_check(e.images == 96 && r.images == 96 && !memcmp(e.x, r.x, bytes) &&
		     !memcmp(e.labels, r.labels, sizeof(int) * 96),
		 "resume at epoch 2 reproduces the uninterrupted epoch 2 bit for bit",
		 "%d vs %d images, %s", e.images, r.images,
		 memcmp(e.x, r.x, bytes) ? "pixels differ" : "same pixels");
	/* abandon epoch 1 after two batches, then start epoch 2 */
	const float *x;
	const int *lab;
	int n;
	tu_ok(ampcl_loader_start_epoch(b, 1), "start");
	tu_ok(ampcl_loader_next(b, &x, &lab, &n) == 1 ? 0 : -1, "next");
	tu_ok(ampcl_loader_next(b, &x, &lab, &n) == 1 ? 0 : -1, "next");
	run_epoch(b, ds, 2, &r);
	tu_check(r.images == 96 && !memcmp(e.x, r.x, bytes), "an abandoned epoch does not leak",
		 "%d images, %s", r.images, memcmp(e.x, r.x, bytes) ? "differ" : "same");
	/* and with a batch size of 1, where the worker runs far ahead */
	struct ampcl_loader *c = make_loader(ds, 1, 1, 1, 1, 99);
	tu_ok(ampcl_loader_start_epoch(c, 0), "start");
	tu_ok(ampcl_loader_next(c, &x, &lab, &n) == 1 ? 0 : -1, "next");
	run_epoch(c, ds, 2, &r);
	int same = r.images == N;
	for (int k = 0; k < 96 && same; k++)
		same =
		    !memcmp(e.x + (size_t)k * 3072, r.x + (size_t)k * 3072, 3072 * sizeof(float));
	tu_check(same, "batch 1 gives the same images in the same order as batch 8", "%d images",
		 r.images);
	ampcl_loader_free(a);
	ampcl_loader_free(b);
	ampcl_loader_free(c);
	free(e.x);
	free(r.x);
}

static void test_errors(const struct ampcl_dataset *ds)
{
	struct ampcl_loader_config cfg = {0, 1, 1, 1, 1};
	struct ampcl_loader *l = (void *)1;
	int st = ampcl_loader_create(ds, &cfg, &l);
	tu_check(st == AMPCL_ERR_INVALID_ARG && !l, "batch 0 is refused", "status %d: %s", st,
		 ampcl_last_error());
	cfg.batch = N + 1;
	st = ampcl_loader_create(ds, &cfg, &l);
	tu_check(st == AMPCL_ERR_INVALID_ARG && strstr(ampcl_last_error(), "104"),
		 "drop_last with a batch over the set is refused", "status %d: %s", st,
		 ampcl_last_error());
	cfg.drop_last = 0;
	tu_ok(ampcl_loader_create(ds, &cfg, &l), "batch over the set, drop_last 0");
	const float *x;
	const int *lab;
	int n;
	st = ampcl_loader_next(l, &x, &lab, &n);
	tu_check(st == AMPCL_ERR_INVALID_ARG, "next before start_epoch is refused", "status %d: %s",
		 st, ampcl_last_error());
	st = ampcl_loader_start_epoch(l, -1);
	tu_check(st == AMPCL_ERR_INVALID_ARG, "negative epoch is refused", "status %d", st);
	tu_ok(ampcl_loader_start_epoch(l, 0), "start");
	st = ampcl_loader_next(l, &x, &lab, &n);
	tu_check(st == 1 && n == N && ampcl_loader_batches(l) == 1,
		 "batch over the set, drop_last 0: one batch of all", "%d, %d images", st, n);
	ampcl_loader_free(l);
	ampcl_loader_free(NULL);

	/* freed mid-epoch while the worker is busy: joins without hanging */
	l = make_loader(ds, 1, 1, 1, 1, 5);
	tu_ok(ampcl_loader_start_epoch(l, 0), "start");
	ampcl_loader_free(l);
	tu_check(1, "free mid-epoch returns", "joined");
}

static void test_wait(const struct ampcl_dataset *ds)
{
	struct ampcl_loader *l = make_loader(ds, 10, 1, 1, 1, 3);
	double t0 = ampcl_now();
	tu_ok(ampcl_loader_start_epoch(l, 0), "start");
	const float *x;
	const int *lab;
	int n;
	while (ampcl_loader_next(l, &x, &lab, &n) == 1)
		;
	double wall = ampcl_now() - t0, w = ampcl_loader_wait_seconds(l);
	tu_check(w >= 0 && w <= wall, "wait time is within the epoch's wall time",
		 "waited %.6f s of %.6f s", w, wall);
	tu_ok(ampcl_loader_start_epoch(l, 1), "start");
	tu_check(ampcl_loader_wait_seconds(l) == 0, "wait time restarts with the epoch", "%.6f",
		 ampcl_loader_wait_seconds(l));
	ampcl_loader_free(l);
}

/* A one-channel set (MNIST idx) through the augmenting loader. */
static void test_grey(void)
{
	char dir[4200], p[4300];
	snprintf(dir, sizeof(dir), "%s/mnist", root);
	mkdir(dir, 0755);
	unsigned char hdr[16] = {0, 0, 8, 3, 0, 0, 0, 4, 0, 0, 0, 28, 0, 0, 0, 28};
	unsigned char lab[12] = {0, 0, 8, 1, 0, 0, 0, 4, 3, 1, 4, 1};
	unsigned char img[4 * 784];
	for (int i = 0; i < 4 * 784; i++)
		img[i] = (unsigned char)(1 + i % 250);
	for (int t = 0; t < 2; t++) {
		snprintf(p, sizeof(p), "%s/%s", dir,
			 t ? "t10k-images-idx3-ubyte" : "train-images-idx3-ubyte");
		FILE *f = fopen(p, "wb");
		fwrite(hdr, 1, 16, f);
		fwrite(img, 1, sizeof(img), f);
		fclose(f);
		snprintf(p, sizeof(p), "%s/%s", dir,
			 t ? "t10k-labels-idx1-ubyte" : "train-labels-idx1-ubyte");
		f = fopen(p, "wb");
		fwrite(lab, 1, 12, f);
		fclose(f);
	}
	struct ampcl_dataset *ds = NULL;
	tu_ok(ampcl_dataset_load(dir, NULL, 1, 0, &ds), "mnist");
	struct ampcl_loader *l = make_loader(ds, 4, 0, 1, 1, 11);
	tu_ok(ampcl_loader_start_epoch(l, 5), "start");
	const float *x;
	const int *labels;
	int n, bad = 0;
	tu_ok(ampcl_loader_next(l, &x, &labels, &n) == 1 ? 0 : -1, "next");
	unsigned char src[1024], ref[1024];
	for (int i = 0; i < 4; i++) {
		int dx, dy, f;
		ampcl_loader_augment_draw(11, 5, i, 32, 32, &dx, &dy, &f);
		tu_ok(ampcl_dataset_image(ds, i, src), "image");
		hand_crop_flip(src, 1, dx, dy, f, ref);
		for (int j = 0; j < 1024; j++)
			bad += fabs(x[i * 1024 + j] - (ref[j] / 255.0 - 0.1307) / 0.3081) > 1e-5;
	}
	tu_check(n == 4 && bad == 0 && labels[2] == 4,
		 "one-channel set: crop/flip and MNIST constants", "%d images, %d wrong values", n,
		 bad);
	ampcl_loader_free(l);
	ampcl_dataset_free(ds);
}

/* The loader thread's rate on the real CIFAR-10 training set, when this machine has it. */
static void test_real_rate(void)
{
	const char *home = getenv("HOME");
	char dir[4096], probe[4200];
	snprintf(dir, sizeof(dir), "%s/.cache/cifar10/cifar-10-batches-bin", home ? home : "");
	snprintf(probe, sizeof(probe), "%s/data_batch_5.bin", dir);
	if (!ampcl_path_is_file(probe)) {
		printf("SKIP loader rate on real CIFAR-10: %s absent (make it with "
		       "tools/cifar10-prepare.py SOURCE %s)\n",
		       dir, dir);
		return;
	}
	struct ampcl_dataset *ds = NULL;
	tu_ok(ampcl_dataset_load(dir, NULL, 1, 0, &ds), "real cifar10");
	for (int augment = 1; augment >= 0; augment--) {
		struct ampcl_loader *l = make_loader(ds, 128, 1, augment, 1, 1);
		double t0 = ampcl_now();
		tu_ok(ampcl_loader_start_epoch(l, 0), "start");
		const float *x;
		const int *lab;
		int n, images = 0, batches = 0, r;
		double sum = 0;
		while ((r = ampcl_loader_next(l, &x, &lab, &n)) == 1) {
			images += n;
			batches++;
			sum += x[0];
		}
		double t = ampcl_now() - t0;
		char name[96];
		snprintf(name, sizeof(name), "real cifar10 train epoch, batch 128%s",
			 augment ? ", augmented" : "");
		tu_check(r == 0 && batches == 390 && images == 390 * 128 && isfinite(sum), name,
			 "%d batches, %d images in %.3f s: %.0f images/s from the loader thread "
			 "(caller waited %.3f s)",
			 batches, images, t, images / t, ampcl_loader_wait_seconds(l));
		ampcl_loader_free(l);
	}
	ampcl_dataset_free(ds);
}

int main(void)
{
	if (!mkdtemp(root)) {
		perror("mkdtemp");
		return 1;
	}
	struct ampcl_dataset *ds = make_dataset();
	test_plain_order(ds);
	test_shuffle(ds);
	test_crop_flip_by_hand();
	test_augment(ds);
	test_resume(ds);
	test_errors(ds);
	test_wait(ds);
	test_grey();
	test_real_rate();
	ampcl_dataset_free(ds);
	tu_remove_tree(root);
	return tu_finish();
}
