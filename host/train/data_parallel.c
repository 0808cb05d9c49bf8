/* data_parallel.c: the ranks of one training run: the batch shares, rank 0's state broadcast, the
 * gradient all-reduce in buckets (reads queued ahead of the reductions) and the --sync-bn hook. */
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
	if (dp->sync_bn)
		net->ctx->bn_sync = &dp->hook;
}

void ampcl_dp_free(struct ampcl_dp *dp, struct ampcl_net *net)
{
	if (net && net->ctx->bn_sync == &dp->hook)
		net->ctx->bn_sync = NULL;
	free(dp->host);
	dp->host = NULL;
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

/* One buffer of the gradient arena: every bucket's read queued at once, each reduced as it
 * arrives and its mean written back without waiting. */
static ampcl_status average_buffer(struct ampcl_dp *dp, struct ampcl_net *net, cl_mem mem,
				   size_t floats, float *h)
{
	cl_command_queue q = net->ctx->queue;
	size_t nb = (floats + DP_BUCKET_FLOATS - 1) / DP_BUCKET_FLOATS;
	cl_event *ev = ampcl_xcalloc(nb ? nb : 1, sizeof(*ev));
	ampcl_status st = AMPCL_OK;
	size_t queued = 0;
	for (; queued < nb && !st; queued++) {
		size_t at = queued * DP_BUCKET_FLOATS,
		       n = floats - at < DP_BUCKET_FLOATS ? floats - at : DP_BUCKET_FLOATS;
		cl_int err = clEnqueueReadBuffer(q, mem, CL_FALSE, at * sizeof(float),
						 n * sizeof(float), h + at, 0, NULL, &ev[queued]);
		if (err != CL_SUCCESS)
			st = cl_failed("reading the gradients", err);
	}
	if (!st)
		clFlush(q);
	const float scale = 1.0f / (float)dp->size;
	for (size_t b = 0; b < queued && !st; b++) {
		size_t at = b * DP_BUCKET_FLOATS,
		       n = floats - at < DP_BUCKET_FLOATS ? floats - at : DP_BUCKET_FLOATS;
		cl_int err = clWaitForEvents(1, &ev[b]);
		if (err != CL_SUCCESS) {
			st = cl_failed("waiting for a gradient read", err);
			break;
		}
		if ((st = ampcl_dist_sum_floats(h + at, n)))
			break;
		for (size_t i = 0; i < n; i++)
			h[at + i] *= scale;
		err = clEnqueueWriteBuffer(q, mem, CL_FALSE, at * sizeof(float), n * sizeof(float),
					   h + at, 0, NULL, NULL);
		if (err != CL_SUCCESS)
			st = cl_failed("writing the averaged gradients", err);
	}
	/* the writes read h until they are done: the next bucket of the next buffer waits */
	cl_int err = clFinish(q);
	if (!st && err != CL_SUCCESS)
		st = cl_failed("finishing the queue", err);
	for (size_t b = 0; b < queued; b++)
		clReleaseEvent(ev[b]);
	free(ev);
	return st;
}

ampcl_status ampcl_dp_average_grads(struct ampcl_dp *dp, struct ampcl_net *net)
{
	if (dp->size < 2)
		return AMPCL_OK;
	double t0 = ampcl_now();
	const struct ampcl_arena *a = net->grads;
	size_t most = 0;
	for (int k = 0; k < a->nchunks; k++)
		most = a->chunk_size[k] > most ? a->chunk_size[k] : most;
	float *h = staging(dp, most / sizeof(float));
	ampcl_status st = AMPCL_OK;
	for (int k = 0; k < a->nchunks && !st; k++)
		st = average_buffer(dp, net, a->bufs[k], a->chunk_size[k] / sizeof(float), h);
	dp->reduce_s += ampcl_now() - t0;
	dp->reduces++;
	return st;
}

ampcl_status ampcl_dp_sum(struct ampcl_dp *dp, double *v, int n)
{
	return dp->size > 1 ? ampcl_dist_sum_doubles(v, (size_t)n) : AMPCL_OK;
}
