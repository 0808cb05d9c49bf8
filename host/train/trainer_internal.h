/* trainer_internal.h: the trainer's state and the seams between its files: setup (trainer_setup.c),
 * the epoch loop (trainer_loop.c), evaluation (trainer_eval.c) and the public calls (trainer.c). */
#ifndef AMPCL_TRAINER_INTERNAL_H
#define AMPCL_TRAINER_INTERNAL_H

#include "amp.h"
#include "checkpoint.h"
#include "data_parallel.h"
#include "dataset.h"
#include "loader.h"
#include "net.h"
#include "schedule.h"

#include <stdio.h>

struct ampcl_trainer {
	struct ampcl_context *ctx;
	struct ampcl_checkpoint_state st; /* configuration, progress and history */
	struct ampcl_dataset *train, *test;
	struct ampcl_loader *train_loader, *test_loader;
	struct ampcl_net *net;
	struct ampcl_lr_schedule schedule;
	struct ampcl_amp_plan *amp;
	struct ampcl_phases phases; /* a --schedule file's, n = 0 without one */
	int eval_only; /* evaluation alone: the training split only lends its statistics */
	double eval_s; /* how long the last test evaluation took; 0 before the first */
	double eta_s;  /* the last estimate of the time left, shown during evaluations */
	struct ampcl_tune_report tune; /* what tuning did before the net was finalized */
	char note[700]; /* a line for the caller when the run starts ("" for none) */
	int resumed;                   /* made from a checkpoint: its --out may hold the run */
	int lock_fd;                   /* the open, locked OUT/.lock while running (-1: none) */
	struct ampcl_dp dp;            /* mpirun's ranks: this one's share of every batch */
};

/* Whether this process writes the run's outputs: rank 0 of the ranks, when there is an --out. */
static inline int ampcl_trainer_writes(const struct ampcl_trainer *t)
{
	return t->st.cfg.out[0] && t->dp.rank == 0;
}

/* trainer_setup.c: a trainer for a new run from a configuration; */
ampcl_status ampcl_trainer_setup_new(ampcl_context_t *ctx, const struct ampcl_train_config *cfg,
				     struct ampcl_trainer **out);
/* rebuilt from a checkpoint, with the given overrides (epochs > 0, out and data non-NULL), for
 * training or (eval_only) evaluation; alone: a study's run, never data-parallel; */
ampcl_status ampcl_trainer_setup_checkpoint(ampcl_context_t *ctx, const char *checkpoint,
					    int epochs, const char *out, const char *data,
					    int eval_only, int alone,
					    struct ampcl_trainer **result);
/* for evaluating safetensors weights: the model and width given, the data's test split. */
ampcl_status ampcl_trainer_setup_weights(ampcl_context_t *ctx, const struct ampcl_eval_request *req,
					 struct ampcl_trainer **result);

/* trainer_loop.c: the remaining epochs, each followed by its evaluation and outputs. */
ampcl_status ampcl_trainer_run_epochs(struct ampcl_trainer *t,
				      const struct ampcl_train_callbacks *cb);

/* trainer_eval.c: loss and accuracy over the whole test split, in evaluation mode; with
 * predictions non-NULL each image's row is written there too; cb and p (may be NULL) report the
 * evaluation's progress. */
ampcl_status ampcl_trainer_evaluate(struct ampcl_trainer *t, double *loss, double *acc,
				    FILE *predictions, const struct ampcl_train_callbacks *cb,
				    struct ampcl_progress *p);
/* ampcl_evaluate's work: a checkpoint's or weights' test-split results (and predictions). */
ampcl_status ampcl_trainer_evaluate_request(ampcl_context_t *ctx,
					    const struct ampcl_eval_request *req,
					    struct ampcl_eval_result *res);

#endif
