/* checkpoint.h: checkpoints (last.ampcl, best.ampcl) as safetensors files: parameters, BN
 * statistics and momentum buffers by name; configuration, progress and history in __metadata__. */
#ifndef AMPCL_CHECKPOINT_H
#define AMPCL_CHECKPOINT_H

#include "ampcl.h"
#include "net.h"
#include "schedule.h"
#include "train_config.h"

/* One row of steps.csv: the training loss and accuracy over the images of the steps since the
 * row before (every `step_every` steps, and at each epoch's last step: rows never span epochs). */
struct ampcl_step_row {
	int epoch, step, steps; /* after step `step` (from 1) of the epoch's `steps` */
	long long images;       /* images of the row's steps */
	double lr;              /* at the row's last step */
	double loss, acc;       /* means over those images */
};

struct ampcl_checkpoint_state {
	struct ampcl_train_config cfg;
	int next_epoch;         /* the first epoch a resumed run trains */
	long long steps;        /* SGD steps taken */
	long long tracked_base; /* BN num_batches_tracked of the --init weights */
	double best_acc;        /* best test accuracy so far, -1 before any evaluation */
	int best_epoch;
	int in_channels, in_height, in_width, classes; /* the data the net was built for */
	int amp_selected[AMPCL_NET_MAX_LAYERS];        /* the current amplification selection */
	int amp_nselected;
	/* an interrupted run: batches of next_epoch already trained and that epoch's running sums
	 * (epoch_step 0: at an epoch boundary) */
	int epoch_step;
	double epoch_loss_sum, epoch_seconds;
	long long epoch_correct, epoch_count;
	struct ampcl_phases phases; /* the --schedule file's, so a resume needs no file */
	long long train_count;      /* training images: a resume on --data checks it */
	/* drawn when the run starts, kept through resumes: tells this run's checkpoints from those
	 * of another run trained in the same folder later (0: a checkpoint from before ids) */
	unsigned long long run_id;
	struct ampcl_epoch_record *history; /* malloc'ed, nhistory records */
	int nhistory;
	/* steps.csv: a row every step_every steps (fixed when the run starts, 0 before), the rows
	 * so far (malloc'ed) and the sums of the row under way (non-zero only mid-epoch) */
	int step_every;
	struct ampcl_step_row *step_rows;
	int nstep_rows;
	double row_loss_sum;
	long long row_correct, row_count;
};

/* Frees what a state holds (history, step rows); the state itself is the caller's. */
void ampcl_checkpoint_state_release(struct ampcl_checkpoint_state *st);

/* Written to PATH.tmp.PID, fsync'ed and renamed over path: a crash never leaves half a file. */
ampcl_status ampcl_checkpoint_save(const char *path, struct ampcl_net *net,
				   const struct ampcl_checkpoint_state *st);
/* Reads and verifies the whole file; fills st (free st->history) and keeps the arena bytes for
 * ampcl_checkpoint_apply. Any damage is AMPCL_ERR_BAD_FILE naming the file and the problem. */
struct ampcl_checkpoint;
ampcl_status ampcl_checkpoint_open(const char *path, struct ampcl_checkpoint **out,
				   struct ampcl_checkpoint_state *st);
/* Loads the arenas into a net built from the checkpoint's configuration. */
ampcl_status ampcl_checkpoint_apply(struct ampcl_checkpoint *ck, struct ampcl_net *net);
void ampcl_checkpoint_free(struct ampcl_checkpoint *ck);

#endif
