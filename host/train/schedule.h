/* schedule.h: learning-rate schedules (constant, step, multi-step, cosine, warm-up) from the
 * --lr-schedule text, and --schedule files of phases 'EPOCHS LR AMP', evaluated per epoch. */
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

#define AMPCL_MAX_PHASES 64

/* A --schedule file: phases of epochs with their learning rate and amplification on or off. */
struct ampcl_phase {
	int epochs;
	double lr;
	int amp;
};
struct ampcl_phases {
	struct ampcl_phase p[AMPCL_MAX_PHASES];
	int n;
};
/* Every line is a phase, a comment (#) or blank; anything else is AMPCL_ERR_BAD_FILE naming
 * the line. At most AMPCL_MAX_PHASES phases and 100000 epochs in all. */
ampcl_status ampcl_phases_read(const char *path, struct ampcl_phases *out);
int ampcl_phases_epochs(const struct ampcl_phases *ph);
/* The learning rate of epoch's phase (past the last phase, the last one's); -1 without phases. */
double ampcl_phases_lr(const struct ampcl_phases *ph, int epoch);
/* The epochs with amplification on as inclusive ranges (the last phase runs on past its end);
 * returns how many of max were filled. */
int ampcl_phases_amp_ranges(const struct ampcl_phases *ph, int ranges[][2], int max);

#endif
