/* data_parallel.h: one training run over mpirun's ranks: each rank's share of every global
 * batch, gradients averaged over the ranks, BN statistics per rank or over all (--sync-bn). */
#ifndef AMPCL_DATA_PARALLEL_H
#define AMPCL_DATA_PARALLEL_H

#include "bn_sync.h"
#include "context.h"
#include "net.h"

#include <pthread.h>

/* A piece of the gradient arena that travels through the all-reduce on its own. */
struct ampcl_dp_bucket {
	cl_mem mem;
	size_t off, n;   /* floats in mem */
	size_t at;       /* floats from the start of the whole arena (the staging copy) */
	int first_layer; /* the lowest layer with gradients in it: final once it is queued */
	cl_event read;
};

struct ampcl_dp {
	int rank, size; /* 0 of 1: one process, and every call below does nothing */
	int sync_bn;
	struct ampcl_bn_sync hook;
	struct ampcl_net *net;
	float *host; /* a copy of the gradient arena on its way through the all-reduce */
	size_t host_floats;
	/* the buckets from the arena's end down (the backward pass's order) and this step's
	 * progress: reads queued, buckets reduced (their means written back) */
	struct ampcl_dp_bucket *buckets;
	int nbuckets, queued, reduced;
	int overlap; /* reduced by the thread while the backward runs (not with --sync-bn) */
	pthread_t thread;
	int thread_started, quit;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	ampcl_status error; /* the first failure of this step's reads or reductions */
	char *error_message;
	double reduce_s; /* from the backward's end until the gradients are averaged */
	long reduces;
};

/* This process's place among the ranks (ampcl_mpi_get_info) when enabled, else one process
 * alone (a study's run on one rank); with sync_bn, the BN hook on net's context. */
void ampcl_dp_init(struct ampcl_dp *dp, struct ampcl_net *net, int enabled, int sync_bn);
void ampcl_dp_free(struct ampcl_dp *dp, struct ampcl_net *net);
/* Rank r's images of a batch of n: [*first, *first + *count). */
void ampcl_dp_share(const struct ampcl_dp *dp, int n, int *first, int *count);
/* Every tensor of the net (parameters, BN statistics) and its momentum as rank 0 has them. */
ampcl_status ampcl_dp_broadcast_net(struct ampcl_dp *dp, struct ampcl_net *net);
/* The BN running statistics as rank 0 has them (per-rank BN: what DDP's broadcast buffers give). */
ampcl_status ampcl_dp_broadcast_running(struct ampcl_dp *dp, struct ampcl_net *net);
/* Before a step's forward and backward: no bucket read yet. */
void ampcl_dp_step_begin(struct ampcl_dp *dp);
/* After them: every parameter gradient replaced by its mean over the ranks. The buckets whose
 * gradients were final went to the all-reduce while the backward pass ran. */
ampcl_status ampcl_dp_average_grads(struct ampcl_dp *dp);
/* Sums over the ranks, in place. */
ampcl_status ampcl_dp_sum(struct ampcl_dp *dp, double *v, int n);

#endif
