/* data_parallel.c: the ranks of one training run: the batch shares, rank 0's state broadcast, the
 * gradient all-reduce in buckets, started while the backward pass runs, and the --sync-bn hook. */
#include "data_parallel.h"
#include "alloc.h"
#include "clock.h"
#include "dist.h"
#include "error.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* the gradient all-reduce's bucket: big enough for the network to run at its rate, small enough
 * that the next bucket's read overlaps this one's reduction */
#define DP_BUCKET_FLOATS ((size_t)1 << 20)

/* --sync-bn: (count, mean, M2) per channel from every rank, combined by Chan in rank order, so
 * every rank computes the same bits */
static ampcl_status sync_moments(void *user, double *v, int channels)
{
	struct ampcl_dp *dp = user;
	size_t n = (size_t)channels * 3;
	double *all = ampcl_xmalloc(n * (size_t)dp->size * sizeof(double));
	ampcl_status st = ampcl_dist_gather_doubles(v, all, n);
	for (int ch = 0; ch < channels && !st; ch++) {
		double cnt = 0, mean = 0, m2 = 0;
		for (int r = 0; r < dp->size; r++) {
			const double *b = all + (size_t)r * n + (size_t)ch * 3;
			double tot = cnt + b[0], d = b[1] - mean;
			if (tot > 0) {
				mean += d * b[0] / tot;
				m2 += b[2] + d * d * cnt * b[0] / tot;
			}
			cnt = tot;
		}
		v[ch * 3] = cnt, v[ch * 3 + 1] = mean, v[ch * 3 + 2] = m2;
	}
	free(all);
	return st;
}

static ampcl_status sync_sums(void *user, double *v, int channels)
{
	(void)user;
	return ampcl_dist_sum_doubles(v, (size_t)channels * 3);
}

static void start_overlap(struct ampcl_dp *dp, struct ampcl_net *net);

void ampcl_dp_init(struct ampcl_dp *dp, struct ampcl_net *net, int enabled, int sync_bn)
{
	memset(dp, 0, sizeof(*dp));
	struct ampcl_mpi_info mpi;
	ampcl_mpi_get_info(&mpi);
	dp->size = 1;
	if (enabled && mpi.active)
		dp->rank = mpi.rank, dp->size = mpi.size;
	dp->sync_bn = sync_bn && dp->size > 1;
	dp->hook = (struct ampcl_bn_sync){dp, sync_moments, sync_sums};
	dp->net = net;
	if (dp->sync_bn)
		ampcl_bn_sync_set(net->ctx, &dp->hook);
	if (dp->size > 1)
		start_overlap(dp, net);
}

void ampcl_dp_free(struct ampcl_dp *dp, struct ampcl_net *net)
{
	if (net && ampcl_bn_sync_get(net->ctx) == &dp->hook)
		ampcl_bn_sync_set(net->ctx, NULL);
	if (net && net->backward_queued_user == dp)
		net->backward_queued = NULL, net->backward_queued_user = NULL;
	if (dp->thread_started) {
		pthread_mutex_lock(&dp->mu);
		dp->quit = 1;
		pthread_cond_broadcast(&dp->cv);
		pthread_mutex_unlock(&dp->mu);
		pthread_join(dp->thread, NULL);
	}
	/* the queued writes of the last step read the host copy until they are done */
	if (net && dp->host)
		clFinish(net->ctx->queue);
	if (dp->size > 1) {
		pthread_mutex_destroy(&dp->mu);
		pthread_cond_destroy(&dp->cv);
	}
	for (int i = 0; i < dp->nbuckets; i++)
		if (dp->buckets[i].read)
			clReleaseEvent(dp->buckets[i].read);
	free(dp->buckets);
	free(dp->host);
	free(dp->error_message);
	memset(dp, 0, sizeof(*dp));
}

void ampcl_dp_share(const struct ampcl_dp *dp, int n, int *first, int *count)
{
	long lo = (long)n * dp->rank / dp->size, hi = (long)n * (dp->rank + 1) / dp->size;
	*first = (int)lo, *count = (int)(hi - lo);
}

static float *staging(struct ampcl_dp *dp, size_t floats)
{
	if (dp->host_floats < floats) {
		free(dp->host);
		dp->host = ampcl_xmalloc(floats * sizeof(float));
		dp->host_floats = floats;
	}
	return dp->host;
}

/* One view read, broadcast from rank 0 and written back. */
static ampcl_status broadcast_view(struct ampcl_dp *dp, struct ampcl_net *net,
				   const struct ampcl_tensor *t)
{
	float *h = staging(dp, ampcl_tensor_count(t));
	ampcl_status st = ampcl_tensor_read(net->ctx, t, h);
	if (!st)
		st = ampcl_dist_broadcast_floats(h, ampcl_tensor_count(t));
	if (!st && dp->rank)
		st = ampcl_tensor_write(net->ctx, t, h);
	return st;
}

ampcl_status ampcl_dp_broadcast_net(struct ampcl_dp *dp, struct ampcl_net *net)
{
	ampcl_status st = AMPCL_OK;
	for (int i = 0; i < net->ntensors && dp->size > 1 && !st; i++) {
		st = broadcast_view(dp, net, &net->tensors[i].value);
		if (!st && net->tensors[i].trainable) {
			struct ampcl_tensor m = ampcl_net_momentum_view(net, i);
			st = broadcast_view(dp, net, &m);
		}
	}
	return st;
}

ampcl_status ampcl_dp_broadcast_running(struct ampcl_dp *dp, struct ampcl_net *net)
{
	ampcl_status st = AMPCL_OK;
	for (int i = 0; i < net->ntensors && dp->size > 1 && !dp->sync_bn && !st; i++)
		if (!net->tensors[i].trainable)
			st = broadcast_view(dp, net, &net->tensors[i].value);
	return st;
}

static ampcl_status cl_failed(const char *what, cl_int err)
{
	return ampcl_error_set(err, "gradient all-reduce: %s failed (%d)", what, (int)err);
}

/* The first failure of the step, kept with its message for the main thread (under mu). */
static void fail(struct ampcl_dp *dp, ampcl_status st)
{
	if (!dp->error) {
		dp->error = st;
		dp->error_message = ampcl_xstrdup(ampcl_last_error());
	}
}

/* The arena cut into buckets from its end down, each knowing the lowest layer with gradients in
 * it (tensors lie in network order, so a layer's backward finishes everything above it). */
static void plan_buckets(struct ampcl_dp *dp, struct ampcl_net *net)
{
	const struct ampcl_arena *a = net->grads;
	size_t total = 0, cap = 8;
	dp->buckets = ampcl_xmalloc(cap * sizeof(*dp->buckets));
	for (int k = 0; k < a->nchunks; k++)
		total += a->chunk_size[k] / sizeof(float);
	staging(dp, total);
	size_t base = total;
	for (int k = a->nchunks - 1; k >= 0; k--) {
		size_t floats = a->chunk_size[k] / sizeof(float);
		base -= floats;
		for (size_t end = floats; end > 0;) {
			size_t n = end < DP_BUCKET_FLOATS ? end : DP_BUCKET_FLOATS;
			if (dp->nbuckets == (int)cap)
				dp->buckets =
				    ampcl_xrealloc(dp->buckets, (cap *= 2) * sizeof(*dp->buckets));
			struct ampcl_dp_bucket *b = &dp->buckets[dp->nbuckets++];
			*b = (struct ampcl_dp_bucket){a->bufs[k],     end - n, n,
						      base + end - n, 0,       NULL};
			/* the lowest tensor that reaches into the bucket */
			b->first_layer = net->nlayers;
			for (int i = 0; i < net->ntensors; i++) {
				const struct ampcl_net_tensor *t = &net->tensors[i];
				size_t from = t->grad.offset / sizeof(float),
				       to = from + ampcl_tensor_count(&t->grad);
				if (t->trainable && t->grad.chunk == k && to > b->off &&
				    from < b->off + n && t->layer < b->first_layer)
					b->first_layer = t->layer;
			}
			end -= n;
		}
	}
}

/* Queues the next bucket's read and hands it to the thread (main thread). */
static void queue_read(struct ampcl_dp *dp)
{
	struct ampcl_dp_bucket *b = &dp->buckets[dp->queued];
	cl_int err =
	    clEnqueueReadBuffer(dp->net->ctx->queue, b->mem, CL_FALSE, b->off * sizeof(float),
				b->n * sizeof(float), dp->host + b->at, 0, NULL, &b->read);
	pthread_mutex_lock(&dp->mu);
	if (err != CL_SUCCESS) {
		b->read = NULL;
		fail(dp, cl_failed("reading the gradients", err));
	}
	dp->queued++;
	pthread_cond_broadcast(&dp->cv);
	pthread_mutex_unlock(&dp->mu);
}

/* net's hook: layer's backward is queued, so every bucket down to it can be read */
static void backward_queued(void *user, int layer)
{
	struct ampcl_dp *dp = user;
	int before = dp->queued;
	while (dp->queued < dp->nbuckets && dp->buckets[dp->queued].first_layer >= layer)
		queue_read(dp);
	if (dp->queued > before)
		clFlush(dp->net->ctx->queue);
}

/* Bucket i: wait for its read, sum it over the ranks, scale it to the mean, queue its write
 * (the host copy is not touched again before the next step's read, which the queue orders
 * after this write). */
static void reduce_bucket(struct ampcl_dp *dp, int i)
{
	struct ampcl_dp_bucket *b = &dp->buckets[i];
	ampcl_status st = AMPCL_OK;
	cl_int err = b->read ? clWaitForEvents(1, &b->read) : CL_INVALID_EVENT;
	if (b->read)
		clReleaseEvent(b->read), b->read = NULL;
	if (err != CL_SUCCESS)
		st = cl_failed("waiting for a gradient read", err);
	float *h = dp->host + b->at;
	/* every rank reduces every bucket, in the same order, even after a failure here, so
	 * no rank waits for one that stopped */
	ampcl_status mst = ampcl_dist_sum_floats(h, b->n);
	if (!st)
		st = mst;
	const float scale = 1.0f / (float)dp->size;
	for (size_t k = 0; k < b->n && !st; k++)
		h[k] *= scale;
	if (!st) {
		err = clEnqueueWriteBuffer(dp->net->ctx->queue, b->mem, CL_FALSE,
					   b->off * sizeof(float), b->n * sizeof(float), h, 0, NULL,
					   NULL);
		if (err != CL_SUCCESS)
			st = cl_failed("writing the averaged gradients", err);
	}
	if (st) {
		pthread_mutex_lock(&dp->mu);
		fail(dp, st);
		pthread_mutex_unlock(&dp->mu);
	}
}

static void *reducer(void *arg)
{
	struct ampcl_dp *dp = arg;
	pthread_mutex_lock(&dp->mu);
	for (;;) {
		while (!dp->quit && dp->reduced == dp->queued)
			pthread_cond_wait(&dp->cv, &dp->mu);
		if (dp->quit)
			break;
		int i = dp->reduced;
		pthread_mutex_unlock(&dp->mu);
		reduce_bucket(dp, i);
		pthread_mutex_lock(&dp->mu);
		dp->reduced++;
		pthread_cond_broadcast(&dp->cv);
	}
	pthread_mutex_unlock(&dp->mu);
	return NULL;
}

static void start_overlap(struct ampcl_dp *dp, struct ampcl_net *net)
{
	plan_buckets(dp, net);
	pthread_mutex_init(&dp->mu, NULL);
	pthread_cond_init(&dp->cv, NULL);
	/* the thread reduces while the main thread queues; MPI must allow that, and --sync-bn's
	 * reductions inside the backward pass are the main thread's */
	dp->overlap = ampcl_dist_any_thread() && !dp->sync_bn;
	dp->thread_started = dp->overlap && !pthread_create(&dp->thread, NULL, reducer, dp);
	dp->overlap = dp->thread_started;
	if (dp->overlap)
		net->backward_queued = backward_queued, net->backward_queued_user = dp;
}

void ampcl_dp_step_begin(struct ampcl_dp *dp)
{
	if (dp->size < 2)
		return;
	pthread_mutex_lock(&dp->mu);
	dp->queued = dp->reduced = 0;
	dp->error = AMPCL_OK;
	free(dp->error_message);
	dp->error_message = NULL;
	pthread_mutex_unlock(&dp->mu);
}

ampcl_status ampcl_dp_average_grads(struct ampcl_dp *dp)
{
	if (dp->size < 2)
		return AMPCL_OK;
	double t0 = ampcl_now();
	while (dp->queued < dp->nbuckets)
		queue_read(dp);
	clFlush(dp->net->ctx->queue);
	if (dp->overlap) {
		pthread_mutex_lock(&dp->mu);
		while (dp->reduced < dp->nbuckets)
			pthread_cond_wait(&dp->cv, &dp->mu);
		pthread_mutex_unlock(&dp->mu);
	} else {
		for (; dp->reduced < dp->nbuckets; dp->reduced++)
			reduce_bucket(dp, dp->reduced);
	}
	ampcl_status st =
	    dp->error ? ampcl_error_set(dp->error, "%s", dp->error_message) : AMPCL_OK;
	dp->reduce_s += ampcl_now() - t0;
	dp->reduces++;
	return st;
}

ampcl_status ampcl_dp_sum(struct ampcl_dp *dp, double *v, int n)
{
	return dp->size > 1 ? ampcl_dist_sum_doubles(v, (size_t)n) : AMPCL_OK;
}
