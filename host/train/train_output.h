/* train_output.h: what a training run leaves in --out after every epoch: log.csv, summary.json,
 * last.ampcl and (when the test accuracy improved) best.ampcl. */
#ifndef AMPCL_TRAIN_OUTPUT_H
#define AMPCL_TRAIN_OUTPUT_H

#include "checkpoint.h"

ampcl_status ampcl_train_output_write(struct ampcl_context *ctx, struct ampcl_net *net,
				      const struct ampcl_checkpoint_state *st, int is_best);

#endif
