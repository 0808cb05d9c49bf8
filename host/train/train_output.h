/* train_output.h: what a training run leaves in --out after every epoch: log.csv, steps.csv,
 * summary.json, last.ampcl and (when the test accuracy improved) best.ampcl. */
#ifndef AMPCL_TRAIN_OUTPUT_H
#define AMPCL_TRAIN_OUTPUT_H

#include "checkpoint.h"

ampcl_status ampcl_train_output_write(struct ampcl_context *ctx, struct ampcl_net *net,
				      const struct ampcl_checkpoint_state *st, int is_best);

/* Claims the output folder for a run: locks OUT/.lock for as long as *lock_fd stays open and
 * refuses a folder another process holds (AMPCL_ERR_IO naming it); refuses one that holds
 * another run's outputs unless `resumed` (it is that run) or `overwrite` (they are removed
 * first: AMPCL_ERR_INVALID_ARG says which); removes temporaries of killed runs. */
ampcl_status ampcl_out_claim(const char *dir, int resumed, int overwrite, int *lock_fd);

#endif
