/* bench_layers.c: `ampcl bench --kernels`: every layer op at the shapes of ResNet-18 on CIFAR-10
 * (width 64), each first checked against the double reference at batch 2, then timed. */
#include "bench.h"
#include "bn.h"
#include "conv.h"
#include "eltwise.h"
#include "linear.h"
#include "loss.h"
#include "pool.h"
#include "ref.h"
#include "relu.h"
#include "sgd.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define CHECK_BATCH 2
#define SCRATCH_BYTES (64u << 20) /* the conv scratch bound a trainer would use */

struct conv_layer {
	int c, h, k, r, stride, pad;
};

/* ResNet-18 (CIFAR form, width 64): stem, the 3x3 convolutions of each stage and the strided
 * ones, and the 1x1 shortcuts. */
static const struct conv_layer conv_layers[] = {
    {3, 32, 64, 3, 1, 1},    {64, 32, 64, 3, 1, 1},   {64, 32, 128, 3, 2, 1},
    {128, 16, 128, 3, 1, 1}, {64, 32, 128, 1, 2, 0},  {128, 16, 256, 3, 2, 1},
    {256, 8, 256, 3, 1, 1},  {128, 16, 256, 1, 2, 0}, {256, 8, 512, 3, 2, 1},
    {512, 4, 512, 3, 1, 1},  {256, 8, 512, 1, 2, 0},
};
static const int bn_shapes[][2] = {{64, 32}, {128, 16}, {256, 8}, {512, 4}}; /* channels, side */

/* ---- convolution ---- */

struct conv_run {
	struct ampcl_conv2d_shape s;
	struct bench_set set; /* 0 x, 1 w, 2 y, 3 dy, 4 dx, 5 dw, 6 scratch */
};

static void conv_setup(struct conv_run *c, const struct conv_layer *L, int n)
{
	c->s =
	    (struct ampcl_conv2d_shape){n, L->c, L->h, L->h, L->k, L->r, L->r, L->stride, L->pad};
	int p = ampcl_conv2d_out_h(&c->s), q = ampcl_conv2d_out_w(&c->s);
	size_t per_image = ampcl_conv2d_scratch_floats(&c->s, 1);
	int images = (int)(SCRATCH_BYTES / 4 / (per_image ? per_image : 1));
	images = images < 1 ? 1 : images > n ? n : images;
	size_t scratch = ampcl_conv2d_scratch_floats(&c->s, images);
	bench_set_init(&c->set);
	bench_set_add(&c->set, "x", 4, n, L->c, L->h, L->h);
	bench_set_add(&c->set, "w", 4, L->k, L->c, L->r, L->r);
	bench_set_add(&c->set, "y", 4, n, L->k, p, q);
	bench_set_add(&c->set, "dy", 4, n, L->k, p, q);
	bench_set_add(&c->set, "dx", 4, n, L->c, L->h, L->h);
	bench_set_add(&c->set, "dw", 4, L->k, L->c, L->r, L->r);
	bench_set_add(&c->set, "scratch", 1, (int)(scratch ? scratch : 1), 0, 0, 0);
}

static ampcl_status conv_forward(struct bench *b, void *arg)
{
	struct conv_run *c = arg;
	struct ampcl_tensor *t = c->set.t;
	return ampcl_conv2d_forward(b->ctx, &c->s, &t[2], &t[0], &t[1], NULL, &t[6]);
}

static ampcl_status conv_backward(struct bench *b, void *arg)
{
	struct conv_run *c = arg;
	struct ampcl_tensor *t = c->set.t;
	return ampcl_conv2d_backward(b->ctx, &c->s, &t[4], &t[5], NULL, &t[3], &t[0], &t[1], 0.0f,
				     &t[6]);
}

static double conv_check(struct bench *b, const struct conv_layer *L)
{
	struct conv_run c;
	conv_setup(&c, L, CHECK_BATCH);
	double err = INFINITY;
	if (bench_set_commit(b, &c.set) || conv_forward(b, &c) || conv_backward(b, &c))
		goto out;
	const struct ampcl_conv2d_shape *s = &c.s;
	double *x = bench_to_double(&c.set, 0), *w = bench_to_double(&c.set, 1);
	double *dy = bench_to_double(&c.set, 3), *dw = bench_to_double(&c.set, 5);
	size_t ny = ampcl_tensor_count(&c.set.t[2]), nx = ampcl_tensor_count(&c.set.t[0]);
	double *y = malloc(ny * sizeof(double)), *dx = malloc(nx * sizeof(double));
	if (!y || !dx)
		abort();
	ref_conv2d_forward(y, x, w, NULL, s->n, s->c, s->h, s->w, s->k, s->r, s->s, s->stride,
			   s->pad);
	ref_conv2d_backward(dx, dw, NULL, dy, x, w, s->n, s->c, s->h, s->w, s->k, s->r, s->s,
			    s->stride, s->pad, 0.0);
	/* float sums of up to C*R*S (forward, dx) or N*P*Q (dw) products of values in [-1, 1) */
	double len = (double)(s->c * s->r * s->s > s->n * 1024 ? s->c * s->r * s->s : s->n * 1024);
	double atol = 2e-6 * sqrt(len) * 4, rtol = 1e-4;
	err = fmax(bench_check(b, &c.set, 2, y, atol, rtol),
		   fmax(bench_check(b, &c.set, 4, dx, atol, rtol),
			bench_check(b, &c.set, 5, dw, atol, rtol)));
	free(x), free(w), free(dy), free(dw), free(y), free(dx);
out:
	bench_set_free(&c.set);
	return err;
}

static void bench_conv(struct bench *b, const struct conv_layer *L, const int *batches, int nb)
{
	double err = conv_check(b, L);
	char shape[72];
	snprintf(shape, sizeof(shape), "%dx%dx%d -> %d, %dx%d s%d", L->c, L->h, L->h, L->k, L->r,
		 L->r, L->stride);
	for (int i = 0; i < nb; i++) {
		struct conv_run c;
		conv_setup(&c, L, batches[i]);
		if (bench_set_commit(b, &c.set) == AMPCL_OK) {
			int p = ampcl_conv2d_out_h(&c.s);
			double flops = 2.0 * batches[i] * L->k * p * p * (double)L->c * L->r * L->r;
			/* traffic: x, w and y once each; backward reads dy, x, w, writes dx, dw */
			double x = 4.0 * batches[i] * L->c * L->h * L->h,
			       w = 4.0 * L->k * L->c * L->r * L->r,
			       y = 4.0 * batches[i] * L->k * p * p;
			bench_add(b, "conv2d", "forward", shape, batches[i],
				  bench_time(b, conv_forward, &c), flops, x + w + y, err);
			/* input gradient and weight gradient: twice the forward's work */
			bench_add(b, "conv2d", "backward", shape, batches[i],
				  bench_time(b, conv_backward, &c), 2 * flops, 2 * x + 2 * w + y,
				  err);
		} else {
			bench_add(b, "conv2d", "forward", shape, batches[i], -1, 0, 0, INFINITY);
		}
		bench_set_free(&c.set);
	}
}

/* ---- batch normalisation ---- */

struct bn_run {
	struct ampcl_bn_shape s;
	struct bench_set set; /* 0 x, 1 y, 2 gamma, 3 beta, 4 mean, 5 invstd, 6 rmean, 7 rvar, 8 dy,
				 9 dx, 10 dgamma, 11 dbeta */
};

static void bn_setup(struct bn_run *r, int n, int c, int side)
{
	r->s = (struct ampcl_bn_shape){n, c, side * side};
	bench_set_init(&r->set);
	bench_set_add(&r->set, "x", 4, n, c, side, side);
	bench_set_add(&r->set, "y", 4, n, c, side, side);
	for (int i = 0; i < 6; i++)
		bench_set_add(&r->set, "stat", 1, c, 0, 0, 0);
	bench_set_add(&r->set, "dy", 4, n, c, side, side);
	bench_set_add(&r->set, "dx", 4, n, c, side, side);
	bench_set_add(&r->set, "dgamma", 1, c, 0, 0, 0);
	bench_set_add(&r->set, "dbeta", 1, c, 0, 0, 0);
}

static ampcl_status bn_forward(struct bench *b, void *arg)
{
	struct bn_run *r = arg;
	struct ampcl_tensor *t = r->set.t;
	return ampcl_bn_forward_train(b->ctx, &r->s, &t[1], &t[4], &t[5], &t[6], &t[7], &t[0],
				      &t[2], &t[3], 0.1f, 1e-5f);
}

static ampcl_status bn_backward(struct bench *b, void *arg)
{
	struct bn_run *r = arg;
	struct ampcl_tensor *t = r->set.t;
	return ampcl_bn_backward(b->ctx, &r->s, &t[9], &t[10], &t[11], &t[8], &t[0], &t[4], &t[5],
				 &t[2], 0.0f);
}

static double bn_check(struct bench *b, int c, int side)
{
	struct bn_run r;
	bn_setup(&r, CHECK_BATCH, c, side);
	double err = INFINITY;
	if (bench_set_commit(b, &r.set))
		goto out;
	/* running variance must be positive, as a real one is */
	for (int i = 0; i < c; i++)
		r.set.host[7][i] = 1.0f + 0.5f * r.set.host[7][i];
	if (ampcl_tensor_write(b->ctx, &r.set.t[7], r.set.host[7]) || bn_forward(b, &r) ||
	    bn_backward(b, &r))
		goto out;
	int n = CHECK_BATCH, hw = side * side;
	double *x = bench_to_double(&r.set, 0), *g = bench_to_double(&r.set, 2);
	double *bt = bench_to_double(&r.set, 3), *rm = bench_to_double(&r.set, 6);
	double *rv = bench_to_double(&r.set, 7), *dy = bench_to_double(&r.set, 8);
	double *dg = bench_to_double(&r.set, 10), *db = bench_to_double(&r.set, 11);
	size_t cnt = (size_t)n * c * hw;
	double *y = malloc(cnt * sizeof(double)), *dx = malloc(cnt * sizeof(double));
	double *mean = malloc(c * sizeof(double)), *inv = malloc(c * sizeof(double));
	if (!y || !dx || !mean || !inv)
		abort();
	ref_bn_forward_train(y, mean, inv, rm, rv, x, g, bt, n, c, hw, 0.1, 1e-5);
	ref_bn_backward(dx, dg, db, dy, x, mean, inv, g, n, c, hw, 0.0);
	/* normalised values of order 1; backward sums over n*hw terms */
	double atol = 1e-5 * sqrt((double)n * hw), rtol = 1e-4;
	err = bench_check(b, &r.set, 1, y, atol, rtol);
	err = fmax(err, bench_check(b, &r.set, 6, rm, atol, rtol));
	err = fmax(err, bench_check(b, &r.set, 7, rv, atol, rtol));
	err = fmax(err, bench_check(b, &r.set, 9, dx, atol * 10, rtol * 10));
	err = fmax(err, bench_check(b, &r.set, 10, dg, atol * 10, rtol));
	err = fmax(err, bench_check(b, &r.set, 11, db, atol * 10, rtol));
	free(x), free(g), free(bt), free(rm), free(rv), free(dy), free(dg), free(db);
	free(y), free(dx), free(mean), free(inv);
out:
	bench_set_free(&r.set);
	return err;
}

static void bench_bn(struct bench *b, int c, int side, const int *batches, int nb)
{
	double err = bn_check(b, c, side);
	char shape[72];
	snprintf(shape, sizeof(shape), "%dx%dx%d", c, side, side);
	for (int i = 0; i < nb; i++) {
		struct bn_run r;
		bn_setup(&r, batches[i], c, side);
		double bytes = 4.0 * batches[i] * c * side * side;
		if (bench_set_commit(b, &r.set) == AMPCL_OK) {
			/* forward: x read twice (statistics, normalise), y written; 4 FLOPs an
			 * element (sum, square-sum, scale, shift) */
			bench_add(b, "bn", "forward", shape, batches[i],
				  bench_time(b, bn_forward, &r), bytes, 3 * bytes, err);
			/* backward: x and dy read twice, dx written; about 6 FLOPs an element */
			bench_add(b, "bn", "backward", shape, batches[i],
				  bench_time(b, bn_backward, &r), 1.5 * bytes, 5 * bytes, err);
		}
		bench_set_free(&r.set);
	}
}

/* ---- element-wise and pooling ops: one run function per op over a shared set ---- */

struct ew_run {
	struct bench_set set; /* 0 x (n,c,h,h), 1 y same, 2 dy same, 3 dx same, 4 pooled
				 (n,c,h/2,h/2), 5 dpooled, 6 avg (n,c), 7 davg */
};

static void ew_setup(struct ew_run *r, int n, int c, int h)
{
	bench_set_init(&r->set);
	for (int i = 0; i < 4; i++)
		bench_set_add(&r->set, "t", 4, n, c, h, h);
	bench_set_add(&r->set, "pooled", 4, n, c, h / 2, h / 2);
	bench_set_add(&r->set, "dpooled", 4, n, c, h / 2, h / 2);
	bench_set_add(&r->set, "avg", 2, n, c, 0, 0);
	bench_set_add(&r->set, "davg", 2, n, c, 0, 0);
}

#define T(i) (&((struct ew_run *)arg)->set.t[i])
static ampcl_status relu_fwd(struct bench *b, void *arg)
{
	return ampcl_relu_forward(b->ctx, T(1), T(0));
}
static ampcl_status relu_bwd(struct bench *b, void *arg)
{
	return ampcl_relu_backward(b->ctx, T(3), T(2), T(1), 0.0f);
}
static ampcl_status add_fwd(struct bench *b, void *arg)
{
	return ampcl_add_forward(b->ctx, T(1), T(0), T(2));
}
static ampcl_status amp_run(struct bench *b, void *arg)
{
	return ampcl_amplify(b->ctx, T(3), 1.0f);
}
static ampcl_status maxpool_fwd(struct bench *b, void *arg)
{
	return ampcl_maxpool2_forward(b->ctx, T(4), T(0));
}
static ampcl_status maxpool_bwd(struct bench *b, void *arg)
{
	return ampcl_maxpool2_backward(b->ctx, T(3), T(5), T(0), 0.0f);
}
static ampcl_status avg_fwd(struct bench *b, void *arg)
{
	return ampcl_avgpool_forward(b->ctx, T(6), T(0));
}
static ampcl_status avg_bwd(struct bench *b, void *arg)
{
	return ampcl_avgpool_backward(b->ctx, T(3), T(7), 0.0f);
}
#undef T

/* Checks the element-wise and pooling ops at batch 2 against the reference; returns the worst. */
static double ew_check(struct bench *b, int c, int h)
{
	struct ew_run r;
	int n = CHECK_BATCH;
	ew_setup(&r, n, c, h);
	double err = INFINITY;
	if (bench_set_commit(b, &r.set))
		goto out;
	size_t cnt = (size_t)n * c * h * h, pc = cnt / 4;
	double *x = bench_to_double(&r.set, 0), *dy = bench_to_double(&r.set, 2);
	double *dp = bench_to_double(&r.set, 5), *da = bench_to_double(&r.set, 7);
	double *y = malloc(cnt * sizeof(double)), *dx = malloc(cnt * sizeof(double));
	double *p = malloc(pc * sizeof(double)), *a = malloc((size_t)n * c * sizeof(double));
	if (!y || !dx || !p || !a)
		abort();
	err = 0;
	/* element-wise results are exact in float; pooling sums at most h*h terms */
	if (relu_fwd(b, &r) || relu_bwd(b, &r))
		err = INFINITY;
	ref_relu_forward(y, x, cnt);
	ref_relu_backward(dx, dy, y, cnt, 0.0);
	err = fmax(err, bench_check(b, &r.set, 1, y, 1e-7, 0));
	err = fmax(err, bench_check(b, &r.set, 3, dx, 1e-7, 0));
	if (maxpool_fwd(b, &r) || maxpool_bwd(b, &r))
		err = INFINITY;
	ref_maxpool2_forward(p, x, n, c, h, h);
	ref_maxpool2_backward(dx, dp, x, n, c, h, h, 0.0);
	err = fmax(err, bench_check(b, &r.set, 4, p, 1e-7, 0));
	err = fmax(err, bench_check(b, &r.set, 3, dx, 1e-7, 0));
	if (avg_fwd(b, &r) || avg_bwd(b, &r))
		err = INFINITY;
	ref_avgpool_forward(a, x, n, c, h * h);
	ref_avgpool_backward(dx, da, n, c, h * h, 0.0);
	err = fmax(err, bench_check(b, &r.set, 6, a, 1e-6, 1e-5));
	err = fmax(err, bench_check(b, &r.set, 3, dx, 1e-7, 1e-6));
	if (add_fwd(b, &r))
		err = INFINITY;
	ref_add_forward(y, x, dy, cnt);
	err = fmax(err, bench_check(b, &r.set, 1, y, 1e-7, 1e-7));
	free(x), free(dy), free(dp), free(da), free(y), free(dx), free(p), free(a);
out:
	bench_set_free(&r.set);
	return err;
}

static void bench_ew(struct bench *b, int c, int h, const int *batches, int nb)
{
	double err = ew_check(b, c, h);
	char shape[72];
	snprintf(shape, sizeof(shape), "%dx%dx%d", c, h, h);
	for (int i = 0; i < nb; i++) {
		struct ew_run r;
		ew_setup(&r, batches[i], c, h);
		double bytes = 4.0 * batches[i] * c * h * h;
		if (bench_set_commit(b, &r.set) == AMPCL_OK) {
			int n = batches[i];
			/* one FLOP (a compare, add or multiply) per element of x: bytes / 4 */
			double e = bytes / 4;
			bench_add(b, "relu", "forward", shape, n, bench_time(b, relu_fwd, &r), e,
				  2 * bytes, err);
			bench_add(b, "relu", "backward", shape, n, bench_time(b, relu_bwd, &r), e,
				  3 * bytes, err);
			bench_add(b, "add", "forward", shape, n, bench_time(b, add_fwd, &r), e,
				  3 * bytes, err);
			bench_add(b, "amplify", "backward", shape, n, bench_time(b, amp_run, &r), e,
				  2 * bytes, err);
			bench_add(b, "maxpool2", "forward", shape, n,
				  bench_time(b, maxpool_fwd, &r), 0.75 * e, 1.25 * bytes, err);
			bench_add(b, "maxpool2", "backward", shape, n,
				  bench_time(b, maxpool_bwd, &r), 0.25 * e, 2.25 * bytes, err);
			bench_add(b, "avgpool", "forward", shape, n, bench_time(b, avg_fwd, &r), e,
				  bytes, err);
			bench_add(b, "avgpool", "backward", shape, n, bench_time(b, avg_bwd, &r), e,
				  bytes, err);
		}
		bench_set_free(&r.set);
	}
}

/* ---- linear + softmax cross-entropy (the head) ---- */

struct head_run {
	int n, in, out;
	cl_mem labels;
	struct bench_set set; /* 0 x, 1 w, 2 bias, 3 logits, 4 dlogits, 5 dx, 6 dw, 7 db, 8 stats */
};

static void head_setup(struct head_run *r, int n, int in, int out)
{
	r->n = n, r->in = in, r->out = out, r->labels = NULL;
	bench_set_init(&r->set);
	bench_set_add(&r->set, "x", 2, n, in, 0, 0);
	bench_set_add(&r->set, "w", 2, out, in, 0, 0);
	bench_set_add(&r->set, "b", 1, out, 0, 0, 0);
	bench_set_add(&r->set, "logits", 2, n, out, 0, 0);
	bench_set_add(&r->set, "dlogits", 2, n, out, 0, 0);
	bench_set_add(&r->set, "dx", 2, n, in, 0, 0);
	bench_set_add(&r->set, "dw", 2, out, in, 0, 0);
	bench_set_add(&r->set, "db", 1, out, 0, 0, 0);
	bench_set_add(&r->set, "stats", 1, 2, 0, 0, 0);
}

static ampcl_status head_commit(struct bench *b, struct head_run *r, int *labels)
{
	ampcl_status st = bench_set_commit(b, &r->set);
	if (st)
		return st;
	for (int i = 0; i < r->n; i++)
		labels[i] = (i * 7 + 3) % r->out;
	cl_int err;
	r->labels = clCreateBuffer(b->ctx->cl, CL_MEM_READ_ONLY | CL_MEM_COPY_HOST_PTR,
				   (size_t)r->n * sizeof(cl_int), labels, &err);
	return err;
}

static ampcl_status head_forward(struct bench *b, void *arg)
{
	struct head_run *r = arg;
	struct ampcl_tensor *t = r->set.t;
	ampcl_status st =
	    ampcl_linear_forward(b->ctx, &t[3], &t[0], &t[1], &t[2], r->n, r->in, r->out, 0);
	return st ? st : ampcl_softmax_ce(b->ctx, &t[4], &t[8], &t[3], r->labels, 0, r->n, r->out);
}

static ampcl_status head_backward(struct bench *b, void *arg)
{
	struct head_run *r = arg;
	struct ampcl_tensor *t = r->set.t;
	return ampcl_linear_backward(b->ctx, &t[5], &t[6], &t[7], &t[4], &t[0], &t[1], r->n, r->in,
				     r->out, 0, 0.0f);
}

static double head_check(struct bench *b, int in, int out)
{
	struct head_run r;
	int n = CHECK_BATCH * 8, *labels = malloc((size_t)n * sizeof(int));
	head_setup(&r, n, in, out);
	double err = INFINITY;
	if (!labels)
		abort();
	if (head_commit(b, &r, labels) || head_forward(b, &r) || head_backward(b, &r))
		goto out;
	double *x = bench_to_double(&r.set, 0), *w = bench_to_double(&r.set, 1);
	double *bias = bench_to_double(&r.set, 2), *dw = bench_to_double(&r.set, 6);
	double *db = bench_to_double(&r.set, 7);
	double *logits = malloc((size_t)n * out * sizeof(double));
	double *dl = malloc((size_t)n * out * sizeof(double));
	double *dx = malloc((size_t)n * in * sizeof(double));
	if (!logits || !dl || !dx)
		abort();
	ref_linear_forward(logits, x, w, bias, n, in, out);
	double loss = ref_softmax_ce(dl, NULL, logits, labels, n, out);
	/* the device's backward starts from its own dlogits: feed the reference the same */
	float *dlf = malloc((size_t)n * out * sizeof(float));
	if (!dlf || ampcl_tensor_read(b->ctx, &r.set.t[4], dlf))
		abort();
	for (int i = 0; i < n * out; i++)
		dl[i] = dlf[i];
	ref_linear_backward(dx, dw, db, dl, x, w, n, in, out, 0.0);
	double atol = 1e-5 * sqrt((double)in), rtol = 1e-4;
	err = bench_check(b, &r.set, 3, logits, atol, rtol);
	err = fmax(err, bench_check(b, &r.set, 5, dx, atol, rtol));
	err = fmax(err, bench_check(b, &r.set, 6, dw, atol, rtol));
	err = fmax(err, bench_check(b, &r.set, 7, db, atol, rtol));
	float stats[2];
	struct ampcl_tensor st = r.set.t[8];
	if (ampcl_tensor_read(b->ctx, &st, stats) == AMPCL_OK)
		err = fmax(err, fabs(stats[0] - loss) / (1e-5 + 1e-5 * fabs(loss)));
	free(x), free(w), free(bias), free(dw), free(db), free(logits), free(dl), free(dx),
	    free(dlf);
out:
	if (r.labels)
		clReleaseMemObject(r.labels);
	bench_set_free(&r.set);
	free(labels);
	return err;
}

static void bench_head(struct bench *b, int in, int out, const int *batches, int nb)
{
	double err = head_check(b, in, out);
	char shape[72];
	snprintf(shape, sizeof(shape), "%d -> %d + softmax-CE", in, out);
	for (int i = 0; i < nb; i++) {
		struct head_run r;
		int *labels = malloc((size_t)batches[i] * sizeof(int));
		if (!labels)
			abort();
		head_setup(&r, batches[i], in, out);
		if (head_commit(b, &r, labels) == AMPCL_OK) {
			double flops = 2.0 * batches[i] * in * out;
			double x = 4.0 * batches[i] * in, w = 4.0 * in * out,
			       y = 4.0 * batches[i] * out;
			bench_add(b, "linear+ce", "forward", shape, batches[i],
				  bench_time(b, head_forward, &r), flops, x + w + y, err);
			bench_add(b, "linear", "backward", shape, batches[i],
				  bench_time(b, head_backward, &r), 2 * flops, 2 * x + 2 * w + y,
				  err);
		}
		if (r.labels)
			clReleaseMemObject(r.labels);
		bench_set_free(&r.set);
		free(labels);
	}
}

/* ---- SGD over every parameter of ResNet-18 at once ---- */

struct sgd_run {
	struct bench_set set; /* 0 param, 1 buf, 2 grad */
};

static ampcl_status sgd_run(struct bench *b, void *arg)
{
	struct ampcl_tensor *t = ((struct sgd_run *)arg)->set.t;
	return ampcl_sgd_step(b->ctx, &t[0], &t[1], &t[2], 0.1f, 0.9f, 5e-4f, 1);
}

static void bench_sgd(struct bench *b, int count)
{
	/* check: three steps of a small span against the reference */
	struct sgd_run r;
	bench_set_init(&r.set);
	for (int i = 0; i < 3; i++)
		bench_set_add(&r.set, "sgd", 1, 4099, 0, 0, 0);
	double err = INFINITY;
	if (bench_set_commit(b, &r.set) == AMPCL_OK) {
		double *p = bench_to_double(&r.set, 0), *buf = bench_to_double(&r.set, 1);
		double *g = bench_to_double(&r.set, 2);
		int ok = 1;
		for (int s = 0; s < 3; s++) {
			ok &= sgd_run(b, &r) == AMPCL_OK;
			ref_sgd_step(p, buf, g, 4099, 0.1, 0.9, 5e-4, 1);
		}
		err = ok ? fmax(bench_check(b, &r.set, 0, p, 1e-6, 1e-5),
				bench_check(b, &r.set, 1, buf, 1e-6, 1e-5))
			 : INFINITY;
		free(p), free(buf), free(g);
	}
	bench_set_free(&r.set);

	bench_set_init(&r.set);
	for (int i = 0; i < 3; i++)
		bench_set_add(&r.set, "sgd", 1, count, 0, 0, 0);
	char shape[72];
	snprintf(shape, sizeof(shape), "%d parameters (ResNet-18)", count);
	if (bench_set_commit(b, &r.set) == AMPCL_OK)
		/* param and momentum read and written, gradient read */
		bench_add(b, "sgd", "step", shape, 0, bench_time(b, sgd_run, &r), 6.0 * count,
			  20.0 * count, err);
	bench_set_free(&r.set);
}

ampcl_status bench_layers(struct bench *b, const int *batches, int nbatches)
{
	for (size_t i = 0; i < sizeof(conv_layers) / sizeof(conv_layers[0]); i++)
		bench_conv(b, &conv_layers[i], batches, nbatches);
	for (size_t i = 0; i < sizeof(bn_shapes) / sizeof(bn_shapes[0]); i++)
		bench_bn(b, bn_shapes[i][0], bn_shapes[i][1], batches, nbatches);
	bench_ew(b, 64, 32, batches, nbatches);
	bench_ew(b, 512, 4, batches, nbatches);
	bench_head(b, 512, 10, batches, nbatches);
	bench_sgd(b, 11173962);
	return AMPCL_OK;
}
