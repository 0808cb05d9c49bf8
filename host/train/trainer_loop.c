/* trainer_loop.c: the training run, epoch by epoch and step by step: the epoch's amplification,
 * each step and its progress, a stop on request, then evaluation, checks and outputs after the
 * epoch. */
#include "alloc.h"
#include "clock.h"
#include "dist.h"
#include "error.h"
#include "files.h"
#include "train_output.h"
#include "trainer_internal.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static double lr_at(const struct ampcl_trainer *t, int epoch, int iter, int iters)
{
	double phase = ampcl_phases_lr(&t->phases, epoch);
	return phase > 0 ? phase : ampcl_schedule_lr(&t->schedule, epoch, iter, iters);
}

/* An epoch's running sums over the images trained so far. */
struct ampcl_epoch_sums {
	double loss_sum; /* the loss times the images of each step */
	long correct, count;
};

/* The epoch's amplified layers, once the amplification layer has decided them, to the caller and
 * to OUT/amp.log ("epoch N amplification: ... names"). */
static void announce_amplification(struct ampcl_trainer *t, int epoch, struct ampcl_amp_epoch *amp,
				   const struct ampcl_train_callbacks *cb)
{
	if (!amp->announce)
		return;
	char line[8192];
	int len = snprintf(line, sizeof(line), "epoch %d amplification: %s", epoch, amp->announce);
	amp->announce = NULL;
	ampcl_amp_describe(t->amp, t->net, line + len, sizeof(line) - (size_t)len);
	if (cb && cb->message)
		cb->message(cb->user, line);
	if (!ampcl_trainer_writes(t))
		return;
	char path[4200];
	snprintf(path, sizeof(path), "%.4096s/amp.log", t->st.cfg.out);
	FILE *f = ampcl_open_append(path);
	if (f) {
		fprintf(f, "%s\n", line);
		fclose(f);
	}
}

/* Stopped on request after `step` of the epoch's `steps`: `last` gets the run so far, the
 * epoch's progress included, so a --resume continues with the bits of an uninterrupted run. */
static ampcl_status interrupted(struct ampcl_trainer *t, int epoch, int step, int steps,
				const struct ampcl_epoch_sums *s, double seconds)
{
	const struct ampcl_train_config *c = &t->st.cfg;
	t->st.next_epoch = epoch;
	t->st.epoch_step = step;
	t->st.epoch_loss_sum = s->loss_sum;
	t->st.epoch_correct = s->correct, t->st.epoch_count = s->count;
	t->st.epoch_seconds = seconds;
	t->st.amp_nselected = t->amp->nselected;
	memcpy(t->st.amp_selected, t->amp->selected, (size_t)t->amp->nselected * sizeof(int));
	if (!c->out[0])
		return ampcl_error_set(AMPCL_ERR_INTERRUPTED,
				       "interrupted at epoch %d after step %d of %d; nothing was "
				       "written (no --out)",
				       epoch, step, steps);
	if (!ampcl_trainer_writes(t))
		return ampcl_error_set(AMPCL_ERR_INTERRUPTED,
				       "interrupted at epoch %d after step %d of %d; rank 0 saves "
				       "the run",
				       epoch, step, steps);
	char path[4200];
	snprintf(path, sizeof(path), "%.4096s/last.ampcl", c->out);
	ampcl_status st = ampcl_checkpoint_save(path, t->net, &t->st);
	if (st)
		return st;
	return ampcl_error_set(AMPCL_ERR_INTERRUPTED,
			       "interrupted at epoch %d after step %d of %d: %s holds the run so "
			       "far; 'ampcl train --resume %s' continues it",
			       epoch, step, steps, path, c->out);
}

/* One step on a global batch of *n images: alone, ampcl_net_train_step; under mpirun, this
 * rank's share forward and backward, the gradients averaged over the ranks, the update, and the
 * batch's loss and accuracy summed over the ranks (r and *n then describe the whole batch). */
static ampcl_status train_step(struct ampcl_trainer *t, const float *x, const int *labels, int *n,
			       float lr, struct ampcl_step_result *r)
{
	/* dropout's masks follow the run's step count, so a resumed run draws the same ones */
	ampcl_net_set_dropout_step(t->net, (unsigned)t->st.steps,
				   (unsigned)(t->dp.rank > 0 ? t->dp.rank : 0));
	if (t->dp.size < 2)
		return ampcl_net_train_step(t->net, x, labels, *n, lr, r);
	int first, count;
	ampcl_dp_share(&t->dp, *n, &first, &count);
	size_t image = (size_t)t->st.in_channels * t->st.in_height * t->st.in_width;
	ampcl_dp_step_begin(&t->dp);
	ampcl_status st =
	    ampcl_net_forward_backward(t->net, x + (size_t)first * image, labels + first, count, r);
	if (!st)
		st = ampcl_dp_average_grads(&t->dp);
	if (!st)
		st = ampcl_net_update(t->net, lr);
	double v[3] = {r->loss * count, r->correct, count};
	if (!st)
		st = ampcl_dp_sum(&t->dp, v, 3);
	r->loss = v[0] / v[2], r->correct = (int)v[1], r->count = (int)v[2];
	*n = (int)v[2];
	return st;
}

/* --amp-select auto's statistics over every rank's share: the root of the mean square. */
static ampcl_status ranks_rms(struct ampcl_trainer *t, double *rms)
{
	if (t->dp.size < 2)
		return AMPCL_OK;
	int layers = ampcl_net_layer_count(t->net);
	for (int i = 0; i < layers; i++)
		rms[i] *= rms[i];
	ampcl_status st = ampcl_dp_sum(&t->dp, rms, layers);
	for (int i = 0; i < layers; i++)
		rms[i] = sqrt(rms[i] / t->dp.size);
	return st;
}

/* steps.csv: the step's images into the row under way, closed after every step_every steps of
 * the epoch and at its last step, so a row never spans two epochs. step counts from 1. */
static void add_to_step_row(struct ampcl_checkpoint_state *s, int epoch, int step, int steps,
			    const struct ampcl_step_result *r, int n, double lr)
{
	s->row_loss_sum += r->loss * n, s->row_correct += r->correct, s->row_count += n;
	if (step % s->step_every && step < steps)
		return;
	s->step_rows =
	    ampcl_xrealloc(s->step_rows, (size_t)(s->nstep_rows + 1) * sizeof(*s->step_rows));
	s->step_rows[s->nstep_rows++] =
	    (struct ampcl_step_row){epoch,
				    step,
				    steps,
				    s->row_count,
				    lr,
				    s->row_loss_sum / (double)s->row_count,
				    (double)s->row_correct / (double)s->row_count};
	s->row_loss_sum = 0, s->row_correct = 0, s->row_count = 0;
}

/* --amp-select auto after its measuring step: every layer's gradient statistics over the whole
 * batch choose the epoch's layers. */
static ampcl_status choose_layers(struct ampcl_trainer *t, struct ampcl_amp_epoch *amp)
{
	double *rms = ampcl_xmalloc((size_t)ampcl_net_layer_count(t->net) * sizeof(double));
	ampcl_status st = ampcl_net_grad_rms(t->net, rms);
	if (!st)
		st = ranks_rms(t, rms);
	if (!st)
		st = ampcl_amp_epoch_choose(t->amp, t->net, amp, rms);
	free(rms);
	return st;
}

/* The live progress after `step` of the epoch's `steps`, with the estimate of the time left. */
static void report_progress(struct ampcl_trainer *t, int epoch, int step, int steps,
			    const struct ampcl_epoch_sums *s, double lr, double t0,
			    const struct ampcl_train_callbacks *cb)
{
	const struct ampcl_train_config *c = &t->st.cfg;
	double el = ampcl_now() - t0, ips = (double)s->count / (el > 0 ? el : 1e-9);
	double left =
	    (double)(steps - step) * c->batch + (double)(c->epochs - epoch - 1) * steps * c->batch;
	/* evaluations still to come, this epoch's included; before the first one has been timed, a
	 * test image costs about a third of a training image */
	int evals = 0;
	for (int e = epoch; e < c->epochs; e++)
		evals += (e + 1) % c->eval_every == 0 || e + 1 == c->epochs;
	double eval_s = t->eval_s > 0 ? t->eval_s : t->test->count / (3 * ips);
	t->eta_s = left / ips + evals * eval_s;
	struct ampcl_progress p = {epoch,
				   c->epochs,
				   step,
				   steps,
				   s->loss_sum / (double)s->count,
				   (double)s->correct / (double)s->count,
				   lr,
				   ips,
				   t->eta_s,
				   0};
	cb->step(cb->user, &p);
}

static ampcl_status train_epoch(struct ampcl_trainer *t, int epoch,
				const struct ampcl_train_callbacks *cb,
				struct ampcl_epoch_record *rec)
{
	/* a run interrupted mid-epoch goes on from the batch after its last step, with its sums */
	int first = epoch == t->st.next_epoch ? t->st.epoch_step : 0;
	ampcl_status st = ampcl_loader_start_epoch_at(t->train_loader, epoch, first);
	if (st)
		return st;
	int steps = ampcl_loader_batches(t->train_loader);
	struct ampcl_amp_epoch amp;
	if ((st = ampcl_amp_epoch_begin(t->amp, t->net, epoch, first, &amp)))
		return st;
	announce_amplification(t, epoch, &amp, cb);
	double t0 = ampcl_now() - (first ? t->st.epoch_seconds : 0);
	struct ampcl_epoch_sums sums = {0};
	if (first)
		sums = (struct ampcl_epoch_sums){t->st.epoch_loss_sum, (long)t->st.epoch_correct,
						 (long)t->st.epoch_count};
	t->st.epoch_step = 0;
	const float *x;
	const int *labels;
	int n, got, step = first;
	while ((got = ampcl_loader_next(t->train_loader, &x, &labels, &n)) > 0) {
		double lr = lr_at(t, epoch, step, steps);
		if ((st = ampcl_amp_epoch_step(t->amp, t->net, &amp, epoch, step)))
			return st;
		announce_amplification(t, epoch, &amp, cb);
		struct ampcl_step_result r;
		if ((st = train_step(t, x, labels, &n, (float)lr, &r)))
			return st;
		if (!isfinite(r.loss))
			return ampcl_error_set(
			    AMPCL_ERR_CHECK_FAILED,
			    "the training loss became %g at epoch %d step %d (lr %g): "
			    "the run diverged; lower --lr or the amplification factor",
			    r.loss, epoch, step, lr);
		sums.loss_sum += r.loss * n, sums.correct += r.correct, sums.count += n;
		t->st.steps++;
		if (amp.choosing && (st = choose_layers(t, &amp)))
			return st;
		announce_amplification(t, epoch, &amp, cb);
		step++;
		add_to_step_row(&t->st, epoch, step, steps, &r, n, lr);
		rec->lr = lr;
		if (cb && cb->step)
			report_progress(t, epoch, step, steps, &sums, lr, t0, cb);
		int stop = step < steps && cb && cb->should_stop && cb->should_stop(cb->user);
		if (t->dp.size > 1 && (st = ampcl_dist_max_int(&stop)))
			return st; /* a signal to one rank stops all after the same step */
		if (stop)
			return interrupted(t, epoch, step, steps, &sums, ampcl_now() - t0);
	}
	if (got < 0)
		return got;
	rec->amp_layers = ampcl_amp_epoch_layers(t->amp, &amp); /* after an automatic choice */
	rec->seconds = ampcl_now() - t0;
	rec->images_per_s = (double)sums.count / (rec->seconds > 0 ? rec->seconds : 1e-9);
	rec->train_loss = sums.count ? sums.loss_sum / (double)sums.count : NAN;
	rec->train_acc = sums.count ? (double)sums.correct / (double)sums.count : NAN;
	rec->data_wait_s = ampcl_loader_wait_seconds(t->train_loader);
	return AMPCL_OK;
}

/* The folder the outputs go to, created and locked (rank 0, with an --out). */
static ampcl_status claim_output_folder(struct ampcl_trainer *t)
{
	const struct ampcl_train_config *c = &t->st.cfg;
	if (!ampcl_trainer_writes(t) || t->lock_fd >= 0)
		return AMPCL_OK;
	if (ampcl_make_dirs(c->out) != 0)
		return ampcl_error_set(
		    AMPCL_ERR_IO,
		    "cannot create the output folder '%s': %s; check the path and "
		    "its permissions",
		    c->out, strerror(errno));
	return ampcl_out_claim(c->out, t->resumed, c->overwrite, &t->lock_fd);
}

/* A model that diverged in the epoch's last steps is never written: the last finite checkpoint
 * stays. Finite weights whose test loss overflows are kept as `last`, with a message. */
static ampcl_status check_finite(struct ampcl_trainer *t, const struct ampcl_epoch_record *rec,
				 const struct ampcl_train_callbacks *cb)
{
	int finite;
	ampcl_status st = ampcl_net_all_finite(t->net, &finite);
	if (st)
		return st;
	int evaluated = !isnan(rec->test_acc);
	if (!finite)
		return ampcl_error_set(
		    AMPCL_ERR_CHECK_FAILED,
		    "the model became non-finite at epoch %d (a weight or BN statistic is not "
		    "finite; %s %g): the run diverged; nothing of this epoch was written%s; "
		    "lower --lr or the amplification factor",
		    rec->epoch, evaluated ? "test loss" : "training loss",
		    evaluated ? rec->test_loss : rec->train_loss,
		    t->st.cfg.out[0] ? ", the last finite checkpoint in --out is kept" : "");
	if (evaluated && !isfinite(rec->test_loss) && cb && cb->message) {
		char line[160];
		snprintf(line, sizeof(line),
			 "epoch %d: the test loss is %g (the logits overflow): not a best model",
			 rec->epoch, rec->test_loss);
		cb->message(cb->user, line);
	}
	return AMPCL_OK;
}

/* The epoch into the run's state (history, best, progress, amplification selection) that the
 * checkpoints and outputs hold; returns whether it is the best so far. */
static int record_epoch(struct ampcl_trainer *t, const struct ampcl_epoch_record *rec)
{
	int is_best =
	    isfinite(rec->test_acc) && isfinite(rec->test_loss) && rec->test_acc > t->st.best_acc;
	if (is_best) {
		t->st.best_acc = rec->test_acc;
		t->st.best_epoch = rec->epoch;
	}
	t->st.history = ampcl_xrealloc(t->st.history, (size_t)(t->st.nhistory + 1) * sizeof(*rec));
	t->st.history[t->st.nhistory++] = *rec;
	t->st.next_epoch = rec->epoch + 1;
	t->st.amp_nselected = t->amp->nselected;
	memcpy(t->st.amp_selected, t->amp->selected, (size_t)t->amp->nselected * sizeof(int));
	return is_best;
}

/* Whether the caller asked to stop after this epoch; under mpirun every rank stops after the
 * same epoch, or none. */
static ampcl_status stop_requested(struct ampcl_trainer *t, int epoch,
				   const struct ampcl_train_callbacks *cb)
{
	const struct ampcl_train_config *c = &t->st.cfg;
	int stop = epoch + 1 < c->epochs && cb && cb->should_stop && cb->should_stop(cb->user);
	ampcl_status st = t->dp.size > 1 ? ampcl_dist_max_int(&stop) : AMPCL_OK;
	if (st || !stop)
		return st;
	return ampcl_error_set(AMPCL_ERR_INTERRUPTED, "interrupted after epoch %d%s%s%s", epoch,
			       c->out[0] ? ": 'ampcl train --resume " : "", c->out[0] ? c->out : "",
			       c->out[0] ? "' continues it" : "");
}

ampcl_status ampcl_trainer_run_epochs(struct ampcl_trainer *t,
				      const struct ampcl_train_callbacks *cb)
{
	const struct ampcl_train_config *c = &t->st.cfg;
	ampcl_status st = claim_output_folder(t);
	if (t->note[0] && cb && cb->message)
		cb->message(cb->user, t->note);
	t->note[0] = 0;
	/* steps.csv's rows: about 100 over the run (and at least one an epoch), fixed at its start
	 */
	if (!t->st.step_every) {
		long long total = (long long)ampcl_loader_batches(t->train_loader) * c->epochs;
		t->st.step_every = total > 100 ? (int)((total + 99) / 100) : 1;
	}
	for (int epoch = t->st.next_epoch; !st && epoch < c->epochs; epoch++) {
		struct ampcl_epoch_record rec = {.epoch = epoch, .test_loss = NAN, .test_acc = NAN};
		if ((st = train_epoch(t, epoch, cb, &rec)))
			break;
		/* per-rank BN: the running statistics are rank 0's, as DDP broadcasts them */
		if ((st = ampcl_dp_broadcast_running(&t->dp, t->net)))
			break;
		if ((epoch + 1) % c->eval_every == 0 || epoch + 1 == c->epochs) {
			struct ampcl_progress p = {
			    .epoch = epoch, .epochs = c->epochs, .eta_s = t->eta_s};
			if ((st = ampcl_trainer_evaluate(t, &rec.test_loss, &rec.test_acc, NULL, cb,
							 &p)))
				break;
		}
		if ((st = check_finite(t, &rec, cb)))
			break;
		int is_best = record_epoch(t, &rec);
		if (ampcl_trainer_writes(t) &&
		    (st = ampcl_train_output_write(t->ctx, t->net, &t->st, is_best)))
			break;
		if (cb && cb->epoch)
			cb->epoch(cb->user, &rec, is_best);
		if (cb && cb->outputs && ampcl_trainer_writes(t))
			cb->outputs(cb->user, c, t->st.history, t->st.nhistory);
		st = stop_requested(t, epoch, cb);
	}
	return st;
}
