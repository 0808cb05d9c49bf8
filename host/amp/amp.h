/* amp.h: the gradient-amplification plan of a training run (docs/design.md): which layer types are
 * eligible, how many are drawn and when, and in which epochs it is on. */
#ifndef AMPCL_AMP_H
#define AMPCL_AMP_H

#include "ampcl.h"

#define AMPCL_AMP_MAX_RANGES 64

struct ampcl_amp_plan {
	int types; /* bit (1 << enum ampcl_layer_type) per eligible type */
	double ratio, factor;
	int target; /* AMPCL_AMP_INPUT | AMPCL_AMP_PARAMS */
	enum { AMPCL_REDRAW_EPOCH, AMPCL_REDRAW_ITER, AMPCL_REDRAW_ONCE } redraw;
	int select_auto;
	int ranges[AMPCL_AMP_MAX_RANGES][2]; /* inclusive epoch ranges with amplification on */
	int nranges;
	unsigned long long seed;
	int *eligible, neligible; /* layer ids in network order */
	int *selected, nselected; /* the current selection, network order */
};

/* A run's amplification settings, as the command line gives them (docs/design.md). */
struct ampcl_amp_settings {
	const char *types; /* comma list of relu, bn, conv, linear */
	double ratio, factor;
	const char *epochs; /* "0-49,60-69"; "" = never */
	const char *redraw; /* epoch | iter | once */
	const char *target; /* input | params | both */
	const char *select; /* random | auto */
	unsigned long long seed;
};

/* Checks the configuration's amplification settings (exit 2 material: each message names the
 * flag and value); the ranges come from --amp-epochs. The net may be NULL (validation only). */
ampcl_status ampcl_amp_plan_create(const struct ampcl_amp_settings *cfg, ampcl_net_t *net,
				   struct ampcl_amp_plan **out);
void ampcl_amp_plan_free(struct ampcl_amp_plan *plan);
/* Replaces the epochs with amplification on (a --schedule file's phases decide them). */
void ampcl_amp_plan_set_ranges(struct ampcl_amp_plan *plan, const int (*ranges)[2], int n);
int ampcl_amp_active(const struct ampcl_amp_plan *plan, int epoch);
/* Draws the selection for epoch (or iteration iter; iter -1 at the epoch's start) when the
 * redraw policy says so, and sets it on the net; off epochs clear it. The draw is a function of
 * (seed, epoch[, iter]) alone, so a resumed run draws what an uninterrupted one did. Returns 1
 * if the selection changed, 0 if not, a negative status if the net refused it. */
int ampcl_amp_apply(struct ampcl_amp_plan *plan, ampcl_net_t *net, int epoch, int iter);
/* --amp-select auto: ranks the eligible layers by how far the gradient has faded on its way
 * back to them, rms(dL/d output of the layer) / rms(dL/d logits) from the last training step,
 * and selects the round(ratio x eligible) smallest (ties: network order); sets them on the net.
 * rms: one value per layer (ampcl_net_grad_rms). */
ampcl_status ampcl_amp_select_auto(struct ampcl_amp_plan *plan, ampcl_net_t *net,
				   const double *rms);
/* Takes a selection saved in a checkpoint (layer ids), for "once" runs that resume. */
ampcl_status ampcl_amp_restore(struct ampcl_amp_plan *plan, ampcl_net_t *net, const int *layers,
			       int n);
/* "3 of 20 bn layers x2: layer1.0.bn1 layer3.1.bn2 ..." for the log. */
void ampcl_amp_describe(const struct ampcl_amp_plan *plan, const ampcl_net_t *net, char *buf,
			size_t size);
/* Parses "0-49,60-69" into inclusive ranges; for tests and the study. */
ampcl_status ampcl_amp_parse_ranges(const char *text, int ranges[][2], int max, int *n);

/* One epoch's amplification as the trainer's step loop follows it (amp_epoch.c). */
struct ampcl_amp_epoch {
	int active; /* amplification is on in this epoch */
	/* --amp-select auto: the next step runs unamplified and measures the gradients, and
	 * ampcl_amp_epoch_choose chooses the layers from them after it */
	int choosing;
	/* non-NULL: the selection has just been decided and is to be logged now, after this prefix
	 * ("", "chosen by the first step: ", "redrawn every step, step 0: "); the caller clears it
	 */
	const char *announce;
};
/* Decides epoch's amplification and sets it on the net: a drawn, restored or cleared selection,
 * or for --amp-select auto none until its first step has measured. first: the step a run resumed
 * mid-epoch starts at (0 otherwise; a mid-epoch resume keeps the checkpoint's selection). */
ampcl_status ampcl_amp_epoch_begin(struct ampcl_amp_plan *plan, ampcl_net_t *net, int epoch,
				   int first, struct ampcl_amp_epoch *e);
/* Before step `step` of the epoch: a per-step redraw (--amp-redraw iter), and the request for the
 * gradient statistics an automatic choice reads. */
ampcl_status ampcl_amp_epoch_step(struct ampcl_amp_plan *plan, ampcl_net_t *net,
				  struct ampcl_amp_epoch *e, int epoch, int step);
/* After the measuring step (e->choosing): chooses from rms, one value per layer (the root mean
 * square of each layer's output gradient over the whole batch), and sets the choice on the net. */
ampcl_status ampcl_amp_epoch_choose(struct ampcl_amp_plan *plan, ampcl_net_t *net,
				    struct ampcl_amp_epoch *e, const double *rms);
/* Layers amplified in the epoch so far (0 when it is off), for the epoch's log line. */
int ampcl_amp_epoch_layers(const struct ampcl_amp_plan *plan, const struct ampcl_amp_epoch *e);

#endif
