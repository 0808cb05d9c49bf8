/* bn_sync.h: the steps a training batch norm adds when its statistics span several processes
 * (--sync-bn): the moments and the backward's sums, combined between the kernels' stages. */
#ifndef AMPCL_BN_SYNC_H
#define AMPCL_BN_SYNC_H

#include "arena.h"
#include "bn_shape.h"
#include "context.h"

/* Batch normalisation over the batches of several processes (mpirun --sync-bn), set by a layer
 * above on the context its net runs on; none set: each process's batch alone. */
struct ampcl_bn_sync {
	void *user;
	/* per channel (count, mean, M2) of this process's batch, replaced by those of all */
	ampcl_status (*moments)(void *user, double *count_mean_m2, int channels);
	/* per channel (count, sum dy, sum dy * (x - mean)), replaced by the sums over all */
	ampcl_status (*sums)(void *user, double *count_sums, int channels);
};

/* Sets the context's hook (NULL: none); the caller keeps it alive until it unsets it. */
void ampcl_bn_sync_set(struct ampcl_context *ctx, struct ampcl_bn_sync *hook);
/* The context's hook, NULL when its batch norms use this process's batch alone. */
const struct ampcl_bn_sync *ampcl_bn_sync_get(const struct ampcl_context *ctx);

/* Forward, after stage 1 wrote per chunk (mean, M2) into part (c, nparts, 2) at float offset
 * base: folds them per channel, combines them over every process and writes the result as
 * (c, 1, 2) at base; *images is then every process's image count, for stage 2. */
ampcl_status ampcl_bn_sync_moments(struct ampcl_context *ctx, const struct ampcl_bn_shape *s,
				   unsigned ipc, unsigned nparts, cl_mem part, size_t base,
				   unsigned *images);

/* Backward, after stage 2: replaces the dx terms coef (c, 2) at float offset coef_off with those
 * of every process's sums (part (c, nparts, 2) at base); dgamma and dbeta stay this process's,
 * as the gradient all-reduce averages them with the rest. */
ampcl_status ampcl_bn_sync_coef(struct ampcl_context *ctx, const struct ampcl_bn_shape *s,
				unsigned nparts, cl_mem part, size_t base, size_t coef_off,
				const struct ampcl_tensor *save_invstd);

#endif
