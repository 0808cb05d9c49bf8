/* data_parallel.h: one training run over mpirun's ranks: each rank's share of every global
 * batch, gradients averaged over the ranks, BN statistics per rank or over all (--sync-bn). */
#ifndef AMPCL_DATA_PARALLEL_H
#define AMPCL_DATA_PARALLEL_H

#include "context.h"
#include "net.h"

struct ampcl_dp {
	int rank, size; /* 0 of 1: one process, and every call below does nothing */
	int sync_bn;
	struct ampcl_bn_sync hook;
	float *host; /* the gradients on their way through the all-reduce */
	size_t host_floats;
	double reduce_s; /* time in the gradient all-reduce, reads and writes included */
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
/* Every parameter gradient replaced by its mean over the ranks, in buckets. */
ampcl_status ampcl_dp_average_grads(struct ampcl_dp *dp, struct ampcl_net *net);
/* Sums over the ranks, in place. */
ampcl_status ampcl_dp_sum(struct ampcl_dp *dp, double *v, int n);

#endif
