/* schedule.h: learning-rate schedules (constant, step, multi-step, cosine) with optional linear
 * warm-up, parsed from the --lr-schedule text and evaluated per iteration. */
#ifndef AMPCL_SCHEDULE_H
#define AMPCL_SCHEDULE_H

#include "ampcl.h"

#define AMPCL_SCHEDULE_MAX_MILESTONES 32

struct ampcl_lr_schedule {
	enum { AMPCL_LR_CONSTANT, AMPCL_LR_STEP, AMPCL_LR_MULTISTEP, AMPCL_LR_COSINE } kind;
	double base;
	int every;                                     /* step */
	int milestones[AMPCL_SCHEDULE_MAX_MILESTONES]; /* multistep, ascending */
	int nmilestones;
	double gamma;
	int epochs; /* cosine: its period */
	int warmup_epochs;
};

/* "constant", "step:EVERY:GAMMA", "multistep:E1,E2,...:GAMMA" or "cosine". */
ampcl_status ampcl_schedule_parse(const char *text, double base_lr, int epochs, int warmup_epochs,
				  struct ampcl_lr_schedule *out);
/* The rate at iteration iter (0-based) of epoch (0-based), iters iterations an epoch: the
 * schedule's epoch value (as PyTorch's schedulers stepped once an epoch), times a linear
 * warm-up factor (iteration+1)/(warm-up iterations) during the first warmup_epochs. */
double ampcl_schedule_lr(const struct ampcl_lr_schedule *s, int epoch, int iter, int iters);

#endif
