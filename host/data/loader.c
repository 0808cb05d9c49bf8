/* loader.c: one pthread that shuffles, augments and normalises batches into a ring of three
 * slots, so batches i+1 and i+2 are being prepared while the caller works on batch i. */
#include "loader.h"
#include "clock.h"
#include "rng.h"
#include "alloc.h"
#include "error.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define MAX_BATCH 65536

/* Randomness. Everything derives from one 64-bit key per (seed, epoch): the (epoch + 1)-th
 * output of splitmix64 started at seed. The shuffle runs xoshiro256** seeded from the key by
 * splitmix64; the augmentation of image i is one splitmix64 hash of (key, i), so it does not
 * depend on the order, the batch size or the thread's timing. */
#define TAG_SHUFFLE 0x53485546464c4531ull /* "SHUFFLE1" */
#define TAG_AUGMENT 0x4155474d454e5431ull /* "AUGMENT1" */

static uint64_t epoch_key(unsigned long long seed, int epoch)
{
	return ampcl_mix64((uint64_t)seed + AMPCL_GOLDEN * ((uint64_t)epoch + 1));
}

void ampcl_loader_permutation(unsigned long long seed, int epoch, int count, int *order)
{
	struct ampcl_xoshiro r;
	ampcl_xoshiro_seed(&r, epoch_key(seed, epoch) ^ TAG_SHUFFLE);
	for (int i = 0; i < count; i++)
		order[i] = i;
	for (int i = count - 1; i > 0; i--) { /* Fisher-Yates, Knuth's Algorithm P */
		int j = (int)ampcl_xoshiro_below(&r, (uint64_t)i + 1);
		int t = order[i];
		order[i] = order[j];
		order[j] = t;
	}
}

int ampcl_loader_pad(int side)
{
	return side / 8;
}

void ampcl_loader_augment_draw(unsigned long long seed, int epoch, int index, int height,
			       int width, int *dx, int *dy, int *flip)
{
	uint64_t r = ampcl_mix64(ampcl_mix64(epoch_key(seed, epoch) ^ TAG_AUGMENT) +
				 AMPCL_GOLDEN * ((uint64_t)index + 1));
	/* 64 random bits split by division: at 32x32 the bias of r % 9 is below 2^-59, and at the
	 * largest side (offsets 0..256) below 2^-55 */
	uint64_t nx = 2 * (uint64_t)ampcl_loader_pad(width) + 1;
	uint64_t ny = 2 * (uint64_t)ampcl_loader_pad(height) + 1;
	*dx = (int)(r % nx);
	r /= nx;
	*dy = (int)(r % ny);
	r /= ny;
	*flip = (int)(r & 1);
}

void ampcl_loader_crop_flip(const unsigned char *src, int channels, int height, int width, int dx,
			    int dy, int flip, unsigned char *out)
{
	int px = ampcl_loader_pad(width), py = ampcl_loader_pad(height);
	size_t plane = (size_t)height * width;
	for (int c = 0; c < channels; c++) {
		const unsigned char *s = src + (size_t)c * plane;
		unsigned char *o = out + (size_t)c * plane;
		for (int y = 0; y < height; y++) {
			int sy = y + dy - py; /* row in src; outside it is padding */
			unsigned char *orow = o + (size_t)y * width;
			if (sy < 0 || sy >= height) {
				memset(orow, 0, (size_t)width);
				continue;
			}
			const unsigned char *srow = s + (size_t)sy * width;
			for (int x = 0; x < width; x++) {
				int sx = (flip ? width - 1 - x : x) + dx - px;
				orow[x] = sx >= 0 && sx < width ? srow[sx] : 0;
			}
		}
	}
}

enum slot_state { SLOT_FREE, SLOT_WRITING, SLOT_READY };
enum { NSLOT = 3 }; /* one with the caller, two in preparation */

struct slot {
	enum slot_state state;
	int batch, count;
	float *x;    /* (batch, C, H, W) */
	int *labels; /* batch */
};

struct ampcl_loader {
	const struct ampcl_dataset *ds;
	struct ampcl_loader_config cfg;
	int batches, capacity; /* per epoch; images a slot holds */
	size_t image;          /* C * H * W */
	float lut[3][256];     /* normalised value of byte v in channel c */

	pthread_t thread;
	pthread_mutex_t mu;
	pthread_cond_t work;  /* the worker waits on it: an epoch started, a slot freed, quit */
	pthread_cond_t ready; /* the caller waits on it: a batch is ready or failed */

	/* shared, under mu */
	int quit, active, need_order, epoch, gen;
	int produced, consumed, held; /* batches handed to the worker / to the caller; held slot */
	struct slot slots[NSLOT];
	int err;
	char *err_msg;

	/* caller's thread only */
	double wait_s;

	/* worker's thread only */
	int *order;
	unsigned char *img; /* the image being prepared, as stored */
};

static int free_slot(const struct ampcl_loader *l)
{
	for (int i = 0; i < NSLOT; i++)
		if (l->slots[i].state == SLOT_FREE)
			return i;
	return -1;
}

/* Batch b of the epoch into s: gather, crop/flip, normalise. Runs on the worker, unlocked. */
static ampcl_status fill_batch(struct ampcl_loader *l, struct slot *s, int b, int epoch)
{
	const struct ampcl_dataset *ds = l->ds;
	int start = b * l->cfg.batch, n = ds->count - start;
	if (n > l->cfg.batch)
		n = l->cfg.batch;
	for (int k = 0; k < n; k++) {
		int idx = l->order[start + k];
		int st = ampcl_dataset_image(ds, idx, l->img);
		if (st)
			return st;
		int H = ds->height, W = ds->width, px = ampcl_loader_pad(W), py = ampcl_loader_pad(H);
		int dx = px, dy = py, flip = 0; /* the centre window: no change */
		if (l->cfg.augment)
			ampcl_loader_augment_draw(l->cfg.seed, epoch, idx, H, W, &dx, &dy, &flip);
		/* crop, flip and normalise in one pass: ampcl_loader_crop_flip followed by the
		 * table lookup, without the intermediate image */
		float *x = s->x + (size_t)k * l->image;
		for (int c = 0; c < ds->channels; c++) {
			const float *lut = l->lut[c];
			const unsigned char *p = l->img + (size_t)c * H * W;
			float *q = x + (size_t)c * H * W;
			for (int y = 0; y < H; y++, q += W) {
				int sy = y + dy - py;
				if (sy < 0 || sy >= H) {
					for (int j = 0; j < W; j++)
						q[j] = lut[0];
					continue;
				}
				const unsigned char *row = p + (size_t)sy * W;
				for (int j = 0; j < W; j++) {
					int sx = (flip ? W - 1 - j : j) + dx - px;
					q[j] = (unsigned)sx < (unsigned)W ? lut[row[sx]] : lut[0];
				}
			}
		}
		s->labels[k] = ds->labels[idx];
	}
	s->count = n;
	return AMPCL_OK;
}

static void *worker_main(void *arg)
{
	struct ampcl_loader *l = arg;
	pthread_mutex_lock(&l->mu);
	for (;;) {
		while (!l->quit &&
		       !(l->active && (l->need_order ||
				       (!l->err && l->produced < l->batches && free_slot(l) >= 0))))
			pthread_cond_wait(&l->work, &l->mu);
		if (l->quit)
			break;
		int gen = l->gen, epoch = l->epoch;
		if (l->need_order) {
			/* a start_epoch meanwhile sets need_order again, so no batch is made from a
			 * stale order */
			l->need_order = 0;
			pthread_mutex_unlock(&l->mu);
			if (l->cfg.shuffle)
				ampcl_loader_permutation(l->cfg.seed, epoch, l->ds->count,
							 l->order);
			else
				for (int i = 0; i < l->ds->count; i++)
					l->order[i] = i;
			pthread_mutex_lock(&l->mu);
			continue;
		}
		int si = free_slot(l), b = l->produced++;
		struct slot *s = &l->slots[si];
		s->state = SLOT_WRITING;
		pthread_mutex_unlock(&l->mu);
		int st = fill_batch(l, s, b, epoch);
		char *msg = st ? ampcl_xstrdup(ampcl_last_error()) : NULL;
		pthread_mutex_lock(&l->mu);
		if (gen != l->gen) { /* the epoch was restarted while this batch was made */
			s->state = SLOT_FREE;
			free(msg);
			continue;
		}
		if (st) {
			s->state = SLOT_FREE;
			l->err = st;
			free(l->err_msg);
			l->err_msg = msg;
		} else {
			s->state = SLOT_READY;
			s->batch = b;
		}
		pthread_cond_broadcast(&l->ready);
	}
	pthread_mutex_unlock(&l->mu);
	return NULL;
}

/* Everything but the thread: what create's failure path and free share. */
static void release(struct ampcl_loader *l)
{
	pthread_cond_destroy(&l->ready);
	pthread_cond_destroy(&l->work);
	pthread_mutex_destroy(&l->mu);
	for (int i = 0; i < NSLOT; i++) {
		free(l->slots[i].x);
		free(l->slots[i].labels);
	}
	free(l->err_msg);
	free(l->order);
	free(l->img);
	free(l);
}

ampcl_status ampcl_loader_create(const struct ampcl_dataset *ds,
				 const struct ampcl_loader_config *cfg, struct ampcl_loader **out)
{
	if (!out || !ds || !cfg)
		return ampcl_error_set(AMPCL_ERR_INVALID_ARG, "ampcl_loader_create: NULL argument");
	*out = NULL;
	if (ds->count <= 0 || ds->channels < 1 || ds->channels > 3)
		return ampcl_error_set(
		    AMPCL_ERR_INVALID_ARG,
		    "data set '%s' has %d images of %d channels: nothing to load", ds->path,
		    ds->count, ds->channels);
	if (cfg->batch < 1 || cfg->batch > MAX_BATCH)
		return ampcl_error_set(AMPCL_ERR_INVALID_ARG,
				       "batch size %d is out of range: use 1..%d", cfg->batch,
				       MAX_BATCH);
	if (cfg->drop_last && cfg->batch > ds->count)
		return ampcl_error_set(
		    AMPCL_ERR_INVALID_ARG,
		    "batch size %d is larger than the %d images of '%s', so "
		    "dropping the incomplete batch leaves none: lower --batch or "
		    "raise --subset",
		    cfg->batch, ds->count, ds->path);
	struct ampcl_loader *l = ampcl_xcalloc(1, sizeof(*l));
	l->ds = ds;
	l->cfg = *cfg;
	l->batches =
	    cfg->drop_last ? ds->count / cfg->batch : (ds->count + cfg->batch - 1) / cfg->batch;
	l->capacity = cfg->batch < ds->count ? cfg->batch : ds->count;
	l->image = (size_t)ds->channels * ds->height * ds->width;
	l->held = -1;
	for (int c = 0; c < ds->channels; c++)
		for (int v = 0; v < 256; v++)
			l->lut[c][v] =
			    (float)(((double)v / 255.0 - (double)ds->mean[c]) / (double)ds->std[c]);
	for (int i = 0; i < NSLOT; i++) {
		l->slots[i].x = ampcl_xmalloc((size_t)l->capacity * l->image * sizeof(float));
		l->slots[i].labels = ampcl_xmalloc((size_t)l->capacity * sizeof(int));
	}
	l->order = ampcl_xmalloc((size_t)ds->count * sizeof(int));
	l->img = ampcl_xmalloc(l->image);
	pthread_mutex_init(&l->mu, NULL);
	pthread_cond_init(&l->work, NULL);
	pthread_cond_init(&l->ready, NULL);
	int e = pthread_create(&l->thread, NULL, worker_main, l);
	if (e) {
		release(l);
		return ampcl_error_set(AMPCL_ERR_UNSUPPORTED,
				       "cannot start the data loader thread: %s", strerror(e));
	}
	*out = l;
	return AMPCL_OK;
}

void ampcl_loader_free(struct ampcl_loader *l)
{
	if (!l)
		return;
	pthread_mutex_lock(&l->mu);
	l->quit = 1;
	pthread_cond_signal(&l->work);
	pthread_mutex_unlock(&l->mu);
	pthread_join(l->thread, NULL);
	release(l);
}

ampcl_status ampcl_loader_start_epoch(struct ampcl_loader *l, int epoch)
{
	return ampcl_loader_start_epoch_at(l, epoch, 0);
}

ampcl_status ampcl_loader_start_epoch_at(struct ampcl_loader *l, int epoch, int first)
{
	if (!l)
		return ampcl_error_set(AMPCL_ERR_INVALID_ARG,
				       "ampcl_loader_start_epoch: NULL loader");
	if (epoch < 0)
		return ampcl_error_set(AMPCL_ERR_INVALID_ARG, "epoch %d is negative", epoch);
	pthread_mutex_lock(&l->mu);
	l->gen++;
	l->epoch = epoch;
	l->active = 1;
	l->need_order = 1;
	l->produced = l->consumed = first < 0 ? 0 : first < l->batches ? first : l->batches;
	l->held = -1;
	l->err = 0;
	free(l->err_msg);
	l->err_msg = NULL;
	/* a slot being written stays the worker's; it frees it when it sees the new generation */
	for (int i = 0; i < NSLOT; i++)
		if (l->slots[i].state != SLOT_WRITING)
			l->slots[i].state = SLOT_FREE;
	l->wait_s = 0;
	pthread_cond_signal(&l->work);
	pthread_mutex_unlock(&l->mu);
	return AMPCL_OK;
}

int ampcl_loader_next(struct ampcl_loader *l, const float **x, const int **labels, int *count)
{
	if (!l || !x || !labels || !count)
		return ampcl_error_set(AMPCL_ERR_INVALID_ARG, "ampcl_loader_next: NULL argument");
	*x = NULL;
	*labels = NULL;
	*count = 0;
	pthread_mutex_lock(&l->mu);
	if (!l->active) {
		pthread_mutex_unlock(&l->mu);
		return ampcl_error_set(AMPCL_ERR_INVALID_ARG,
				       "ampcl_loader_next called before ampcl_loader_start_epoch");
	}
	if (l->held >= 0) { /* the caller is done with the previous batch */
		l->slots[l->held].state = SLOT_FREE;
		l->held = -1;
		pthread_cond_signal(&l->work);
	}
	if (l->consumed >= l->batches) {
		pthread_mutex_unlock(&l->mu);
		return 0;
	}
	double t0 = ampcl_now();
	int si = -1;
	for (;;) {
		for (int i = 0; i < NSLOT; i++)
			if (l->slots[i].state == SLOT_READY && l->slots[i].batch == l->consumed)
				si = i;
		if (si >= 0 || l->err)
			break;
		pthread_cond_wait(&l->ready, &l->mu);
	}
	l->wait_s += ampcl_now() - t0;
	if (si < 0) {
		int st = l->err;
		ampcl_error_set(st, "data loader: %s", l->err_msg ? l->err_msg : "failed");
		pthread_mutex_unlock(&l->mu);
		return st;
	}
	l->held = si;
	l->consumed++;
	*x = l->slots[si].x;
	*labels = l->slots[si].labels;
	*count = l->slots[si].count;
	pthread_mutex_unlock(&l->mu);
	return 1;
}

int ampcl_loader_batches(const struct ampcl_loader *l)
{
	return l ? l->batches : 0;
}

double ampcl_loader_wait_seconds(const struct ampcl_loader *l)
{
	return l ? l->wait_s : 0.0;
}
