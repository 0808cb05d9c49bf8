/* trainer.c: `ampcl train`'s engine: data, net and optimizer set up from a configuration (or a
 * checkpoint), then epochs of training steps and evaluation, outputs written after each. */
#include "amp.h"
#include "clock.h"
#include "alloc.h"
#include "checkpoint.h"
#include "context.h"
#include "data_parallel.h"
#include "dist.h"
#include "dataset.h"
#include "error.h"
#include "files.h"
#include "loader.h"
#include "locale_c.h"
#include "net.h"
#include "net_weights.h"
#include "onnx_weights.h"
#include "schedule.h"
#include "train_config.h"
#include "train_output.h"

#include <errno.h>
#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

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
	int resumed;                   /* made from a checkpoint: its --out may hold the run */
	int lock_fd;                   /* the open, locked OUT/.lock while running (-1: none) */
	struct ampcl_dp dp;            /* mpirun's ranks: this one's share of every batch */
};


/* Whether --model names an ONNX file. */
static int model_is_onnx(const char *model)
{
	size_t n = strlen(model);
	return n > 5 && !strcmp(model + n - 5, ".onnx");
}

/* Whether this process writes the run's outputs: rank 0 of the ranks, when there is an --out. */
static int writes(const struct ampcl_trainer *t)
{
	return t->st.cfg.out[0] && t->dp.rank == 0;
}

static ampcl_status check_config(const struct ampcl_train_config *c)
{
	ampcl_status st = ampcl_train_config_check_text(c);
	if (st)
		return st;
	if (c->epochs < 1 || c->epochs > 100000)
		return ampcl_error_set(AMPCL_ERR_INVALID_ARG, "--epochs %d: give 1 to 100000",
				       c->epochs);
	if (c->batch < 1 || c->batch > 65536)
		return ampcl_error_set(AMPCL_ERR_INVALID_ARG, "--batch %d: give 1 to 65536",
				       c->batch);
	if (c->eval_every < 1)
		return ampcl_error_set(AMPCL_ERR_INVALID_ARG, "--eval-every %d: give 1 or more",
				       c->eval_every);
	if (c->subset < 0)
		return ampcl_error_set(AMPCL_ERR_INVALID_ARG, "--subset %d: give 0 (all) or more",
				       c->subset);
	if (strcmp(c->model, "resnet18") && strcmp(c->model, "resnet34") &&
	    strcmp(c->model, "vgg19") && !model_is_onnx(c->model))
		return ampcl_error_set(AMPCL_ERR_INVALID_ARG,
				       "--model '%s': the valid values are resnet18, resnet34, "
				       "vgg19 and an ONNX file (FILE.onnx)",
				       c->model);
	if (c->width < 1 || c->width > 1024)
		return ampcl_error_set(AMPCL_ERR_INVALID_ARG, "--width %d: give 1 to 1024",
				       c->width);
	if (!c->data[0])
		return ampcl_error_set(AMPCL_ERR_INVALID_ARG,
				       "no data: give --data PATH (a CIFAR-10 binary folder, MNIST "
				       "idx files, or an image folder with train/ and test/)");
	/* the device computes in float32: a value past its range would become inf there */
	const struct {
		const char *flag;
		double v, lo;
	} reals[] = {{"--lr", c->lr, 0},
		     {"--momentum", c->momentum, 0},
		     {"--weight-decay", c->weight_decay, 0},
		     {"--amp-factor", c->amp_factor, 0},
		     {"--amp-ratio", c->amp_ratio, 0}};
	for (size_t i = 0; i < sizeof(reals) / sizeof(reals[0]); i++)
		if (!isfinite(reals[i].v) || fabs(reals[i].v) > FLT_MAX || reals[i].v < reals[i].lo)
			return ampcl_error_set(
			    AMPCL_ERR_INVALID_ARG,
			    "%s %g: give a finite value from 0 to %g (the device "
			    "computes in float32)",
			    reals[i].flag, reals[i].v, (double)FLT_MAX);
	return AMPCL_OK;
}

/* Loads both splits; image folders normalise their test split with the training statistics. */
static ampcl_status load_data(const struct ampcl_train_config *c, int eval_only,
			      struct ampcl_dataset **train, struct ampcl_dataset **test)
{
	const char *kind = c->dataset[0] ? c->dataset : NULL;
	ampcl_status st = ampcl_dataset_load(c->data, kind, 1, c->subset, train);
	if (!st)
		st = ampcl_dataset_load(c->data, kind, 0, 0, test);
	if (st)
		return st;
	memcpy((*test)->mean, (*train)->mean, sizeof((*train)->mean));
	memcpy((*test)->std, (*train)->std, sizeof((*train)->std));
	if (!eval_only && (*train)->count < c->batch)
		return ampcl_error_set(
		    AMPCL_ERR_INVALID_ARG,
		    "--batch %d is larger than the %d training images: training "
		    "drops incomplete batches, so no step would run; lower --batch",
		    c->batch, (*train)->count);
	return AMPCL_OK;
}

/* The configuration's amplification settings, for the amplification layer. */
static struct ampcl_amp_settings amp_settings(const struct ampcl_train_config *c)
{
	return (struct ampcl_amp_settings){c->amp_types,  c->amp_ratio,  c->amp_factor,
					   c->amp_epochs, c->amp_redraw, c->amp_target,
					   c->amp_select, c->seed};
}

/* known: the --schedule phases a checkpoint stored (NULL: read the file, if any). */
static ampcl_status config_check(struct ampcl_train_config *c, const struct ampcl_phases *known)
{
	struct ampcl_amp_plan *amp;
	struct ampcl_amp_settings as = amp_settings(c);
	ampcl_status st = ampcl_amp_plan_create(&as, NULL, &amp);
	if (st)
		return st;
	ampcl_amp_plan_free(amp);
	/* epochs 0 means "not given": the --schedule phases' total, else 1 */
	struct ampcl_phases phases = {0};
	if (known)
		phases = *known;
	else if (c->schedule_file[0] && (st = ampcl_phases_read(c->schedule_file, &phases)))
		return st;
	int sched = ampcl_phases_epochs(&phases);
	/* the phases set the rate and the amplification of every epoch: a flag that sets them too
	 * would be silently ignored */
	struct ampcl_train_config d;
	ampcl_train_config_defaults(&d);
	const char *clash = !c->schedule_file[0]               ? NULL
			    : c->lr != d.lr                     ? "--lr"
			    : c->amp_epochs[0]                  ? "--amp-epochs"
			    : strcmp(c->lr_schedule, d.lr_schedule) ? "--lr-schedule"
								    : NULL;
	if (clash)
		return ampcl_error_set(AMPCL_ERR_INVALID_ARG,
				       "--schedule '%s' and %s both set the learning rate or the "
				       "amplification of each epoch; give one of them",
				       c->schedule_file, clash);
	if (c->epochs == 0)
		c->epochs = sched ? sched : 1;
	if ((st = check_config(c)))
		return st;
	if (sched && sched != c->epochs)
		return ampcl_error_set(
		    AMPCL_ERR_INVALID_ARG,
		    "--schedule '%s' has %d epochs of phases but --epochs is %d; "
		    "give the same or leave --epochs out",
		    c->schedule_file, sched, c->epochs);
	struct ampcl_lr_schedule schedule;
	return ampcl_schedule_parse(c->lr_schedule, c->lr, c->epochs, c->warmup_epochs, &schedule);
}

ampcl_status ampcl_train_config_check(struct ampcl_train_config *c)
{
	return config_check(c, NULL);
}

/* Data, net, optimizer, schedule and amplification plan from t->st.cfg (a resumed run's
 * --schedule phases come from its checkpoint, not from the file). */
static ampcl_status setup(struct ampcl_trainer *t, int random_init)
{
	struct ampcl_train_config *c = &t->st.cfg;
	ampcl_status st = config_check(c, t->st.phases.n ? &t->st.phases : NULL);
	if (st)
		return st;
	if ((st = ampcl_schedule_parse(c->lr_schedule, c->lr, c->epochs, c->warmup_epochs,
				       &t->schedule)) ||
	    (st = load_data(c, t->eval_only, &t->train, &t->test)))
		return st;
	/* under mpirun every rank loads each whole global batch (the same shuffle and
	 * augmentation) and trains on its share, so the net holds a share at most */
	struct ampcl_mpi_info mpi;
	ampcl_mpi_get_info(&mpi);
	int ranks = mpi.active && c->data_parallel ? mpi.size : 1;
	if (!t->eval_only && c->batch % ranks)
		return ampcl_error_set(AMPCL_ERR_INVALID_ARG,
				       "--batch %d is the global batch and must divide evenly over "
				       "the %d ranks: give a multiple of %d",
				       c->batch, ranks, ranks);
	int share = (c->batch + ranks - 1) / ranks;
	struct ampcl_loader_config lc = {c->batch, 1, c->augment, 1, c->seed};
	struct ampcl_loader_config ec = {c->batch, 0, 0, 0, c->seed};
	if ((!t->eval_only && (st = ampcl_loader_create(t->train, &lc, &t->train_loader))) ||
	    (st = ampcl_loader_create(t->test, &ec, &t->test_loader)) ||
	    (st = ampcl_net_create(t->ctx, t->train->channels, t->train->height, t->train->width,
				   &t->net)) ||
	    (st = ampcl_model_build(t->net, c->model, c->width, t->train->classes)) ||
	    (!t->eval_only && (st = ampcl_net_tune(t->net, share, &t->tune))) ||
	    (st = ampcl_net_finalize(t->net, share, c->seed)))
		return st;
	t->st.in_channels = t->train->channels, t->st.in_height = t->train->height;
	t->st.in_width = t->train->width, t->st.classes = t->train->classes;
	if (!t->eval_only)
		t->st.train_count = t->train->count;
	struct ampcl_sgd_config sgd = {(float)c->momentum, (float)c->weight_decay, c->nesterov};
	struct ampcl_amp_settings as = amp_settings(c);
	if ((st = ampcl_net_set_sgd(t->net, &sgd)) ||
	    (st = ampcl_amp_plan_create(&as, t->net, &t->amp)))
		return st;
	/* amplification asked for that would select no layer is an error, not a silent no-op */
	const struct ampcl_amp_plan *ap = t->amp;
	if (ap->nranges > 0 && ap->ratio > 0 && !ap->select_auto &&
	    (int)floor(ap->ratio * ap->neligible + 0.5) == 0)
		return ampcl_error_set(AMPCL_ERR_INVALID_ARG,
				       "--amp-ratio %g of the %d layers of --amp-types '%s' in %s "
				       "selects none; give a larger ratio or more types (or "
				       "--amp-epochs '' for no amplification)",
				       ap->ratio, ap->neligible, c->amp_types, c->model);
	/* a --schedule file's phases decide the learning rate and the amplified epochs */
	if (t->st.phases.n) {
		t->phases = t->st.phases;
	} else if (c->schedule_file[0]) {
		if ((st = ampcl_phases_read(c->schedule_file, &t->phases)))
			return st;
		t->st.phases = t->phases; /* stored in every checkpoint */
	}
	if (t->phases.n) {
		int ranges[AMPCL_MAX_PHASES][2];
		int n = ampcl_phases_amp_ranges(&t->phases, ranges, AMPCL_MAX_PHASES);
		ampcl_amp_plan_set_ranges(t->amp, (const int(*)[2])ranges, n);
	}
	/* evaluating imported weights names them as `ampcl eval` takes them */
	const char *flag = t->eval_only ? "--weights" : "--init";
	if (random_init && c->init[0] &&
	    (st = ampcl_net_load_weights(t->net, c->init, flag, &t->st.tracked_base)))
		return st;
	/* a network from an ONNX file starts from the file's weights, unless --init gives others */
	if (random_init && !c->init[0] && model_is_onnx(c->model) &&
	    (st = ampcl_net_load_onnx(t->net, c->model, &t->st.tracked_base)))
		return st;
	return AMPCL_OK;
}

/* Under mpirun: every rank starts from rank 0's weights and optimizer state (the same bits
 * whatever each read), and --sync-bn hooks the batch norms of this rank's context. */
static ampcl_status join_ranks(struct ampcl_trainer *t)
{
	ampcl_dp_init(&t->dp, t->net, t->st.cfg.data_parallel, t->st.cfg.sync_bn);
	return ampcl_dp_broadcast_net(&t->dp, t->net);
}

static ampcl_status trainer_create(ampcl_context_t *ctx, const struct ampcl_train_config *cfg,
				   ampcl_trainer_t **out)
{
	*out = NULL;
	struct ampcl_trainer *t = ampcl_xcalloc(1, sizeof(*t));
	t->ctx = ctx;
	t->lock_fd = -1;
	t->st.cfg = *cfg;
	t->st.best_acc = -1;
	/* an identity, not a source of numbers: nothing trained depends on it */
	while (!t->st.run_id && getrandom(&t->st.run_id, sizeof(t->st.run_id), 0) < 0 &&
	       errno == EINTR)
		;
	ampcl_status st = setup(t, 1);
	if (!st)
		st = join_ranks(t);
	if (st) {
		ampcl_trainer_free(t);
		return st;
	}
	*out = t;
	return AMPCL_OK;
}

/* A resume that writes where the checkpoint was trained: that folder's last checkpoint must be
 * this run's, not one of a run trained there since (with --overwrite), which it would replace. */
static ampcl_status same_run_in_folder(const char *checkpoint, const struct ampcl_checkpoint_state *st)
{
	char last[4200];
	snprintf(last, sizeof(last), "%.4096s/last.ampcl", st->cfg.out);
	struct stat a, b;
	if (!st->cfg.out[0] || !st->run_id || stat(last, &b) != 0 ||
	    (stat(checkpoint, &a) == 0 && a.st_dev == b.st_dev && a.st_ino == b.st_ino))
		return AMPCL_OK;
	struct ampcl_checkpoint_state there = {0};
	struct ampcl_checkpoint *ck = NULL;
	ampcl_status s = ampcl_checkpoint_open(last, &ck, &there);
	ampcl_checkpoint_free(ck);
	free(there.history);
	if (s || !there.run_id || there.run_id == st->run_id)
		return AMPCL_OK;
	return ampcl_error_set(AMPCL_ERR_INVALID_ARG,
			       "checkpoint '%s' was trained in '%s', which now holds another run; "
			       "give --out to continue it elsewhere (that run is left as it is)",
			       checkpoint, st->cfg.out);
}

/* A trainer rebuilt from a checkpoint: its configuration (with the given overrides: epochs > 0,
 * out and data non-NULL), weights, optimizer state and amplification selection. */
static ampcl_status from_checkpoint(ampcl_context_t *ctx, const char *checkpoint, int epochs,
				    const char *out, const char *data, int eval_only, int alone,
				    struct ampcl_trainer **result)
{
	*result = NULL;
	struct ampcl_trainer *t = ampcl_xcalloc(1, sizeof(*t));
	t->ctx = ctx;
	t->eval_only = eval_only;
	t->resumed = 1;
	t->lock_fd = -1;
	struct ampcl_checkpoint *ck = NULL;
	/* a run folder stands for its last checkpoint, as the advice printed on a stop says */
	char in_folder[4200];
	struct stat sb;
	if (stat(checkpoint, &sb) == 0 && S_ISDIR(sb.st_mode)) {
		snprintf(in_folder, sizeof(in_folder), "%.4096s/last.ampcl", checkpoint);
		checkpoint = in_folder;
	}
	ampcl_status st = ampcl_checkpoint_open(checkpoint, &ck, &t->st);
	if (!st && !out && !eval_only)
		st = same_run_in_folder(checkpoint, &t->st);
	/* what the net was built for, before setup() records the data it loads now */
	int channels = t->st.in_channels, classes = t->st.classes;
	long long trained_on = t->st.train_count;
	if (!st) {
		if (epochs > 0)
			t->st.cfg.epochs = epochs;
		/* a study's run resumed alone; any other resumed under mpirun as `ampcl train` */
		t->st.cfg.data_parallel = !alone;
		if (out)
			snprintf(t->st.cfg.out, sizeof(t->st.cfg.out), "%s", out);
		if (data && *data) {
			snprintf(t->st.cfg.data, sizeof(t->st.cfg.data), "%s", data);
			t->st.cfg.dataset[0] = 0; /* detect the format of the new path */
			if (eval_only)
				t->st.cfg.subset = 0; /* the whole test split */
		}
		st = setup(t, 0);
	}
	if (!st && (channels != t->train->channels || classes != t->train->classes))
		st = ampcl_error_set(
		    AMPCL_ERR_INVALID_ARG,
		    "checkpoint '%s' was trained on %d-channel images of %d classes; "
		    "'%s' has %d channels and %d classes",
		    checkpoint, channels, classes, t->st.cfg.data, t->train->channels,
		    t->train->classes);
	/* a resumed run on moved data: the same data set, by its training images' count */
	if (!st && !eval_only && trained_on && trained_on != t->train->count)
		st =
		    ampcl_error_set(AMPCL_ERR_INVALID_ARG,
				    "checkpoint '%s' was trained on %lld training images; '%s' has "
				    "%d: give the data set the run was trained on",
				    checkpoint, trained_on, t->st.cfg.data, t->train->count);
	if (!st)
		st = ampcl_checkpoint_apply(ck, t->net);
	ampcl_checkpoint_free(ck);
	if (st) {
		ampcl_trainer_free(t);
		return st;
	}
	if ((st = ampcl_amp_restore(t->amp, t->net, t->st.amp_selected, t->st.amp_nselected)) ||
	    (!eval_only && (st = join_ranks(t)))) {
		ampcl_trainer_free(t);
		return st;
	}
	*result = t;
	return AMPCL_OK;
}

static ampcl_status trainer_resume(ampcl_context_t *ctx, const char *checkpoint, int epochs,
				   const char *out, const char *data, ampcl_trainer_t **result)
{
	return from_checkpoint(ctx, checkpoint, epochs, out, data, 0, 0, result);
}

ampcl_status ampcl_trainer_resume_alone(ampcl_context_t *ctx, const char *checkpoint, int epochs,
					const char *out, ampcl_trainer_t **result)
{
	return from_checkpoint(ctx, checkpoint, epochs, out, NULL, 0, 1, result);
}

void ampcl_trainer_free(ampcl_trainer_t *t)
{
	if (!t)
		return;
	if (t->lock_fd >= 0)
		close(t->lock_fd); /* and the lock with it */
	ampcl_loader_free(t->train_loader);
	ampcl_loader_free(t->test_loader);
	ampcl_dataset_free(t->train);
	ampcl_dataset_free(t->test);
	ampcl_dp_free(&t->dp, t->net);
	ampcl_net_free(t->net);
	ampcl_amp_plan_free(t->amp);
	free(t->st.history);
	free(t);
}

void ampcl_trainer_data_summary(const ampcl_trainer_t *t, char *buf, size_t size)
{
	ampcl_dataset_describe(t->train, t->test, buf, size);
}

const struct ampcl_tune_report *ampcl_trainer_tune_report(const ampcl_trainer_t *t)
{
	return &t->tune;
}

const struct ampcl_train_config *ampcl_trainer_config(const ampcl_trainer_t *t)
{
	return &t->st.cfg;
}

ampcl_net_t *ampcl_trainer_net(ampcl_trainer_t *t)
{
	return t->net;
}

int ampcl_trainer_next_epoch(const ampcl_trainer_t *t)
{
	return t->st.next_epoch;
}

void ampcl_trainer_parallel_report(const ampcl_trainer_t *t, struct ampcl_parallel_report *out)
{
	*out = (struct ampcl_parallel_report){t->dp.rank,    t->dp.size > 0 ? t->dp.size : 1,
					      t->dp.sync_bn, t->dp.overlap,
					      t->dp.reduces, t->dp.reduce_s};
}

const struct ampcl_epoch_record *ampcl_trainer_history(const ampcl_trainer_t *t, int *n)
{
	*n = t->st.nhistory;
	return t->st.history;
}

static double lr_at(const struct ampcl_trainer *t, int epoch, int iter, int iters)
{
	double phase = ampcl_phases_lr(&t->phases, epoch);
	return phase > 0 ? phase : ampcl_schedule_lr(&t->schedule, epoch, iter, iters);
}

/* One CSV row per image of a batch: its index in the test split, label, predicted class, the
 * softmax probabilities and the logits. */
static void write_predictions(FILE *f, long first, const int *labels, const float *logits, int n,
			      int classes)
{
	for (int i = 0; i < n; i++) {
		const float *z = logits + (size_t)i * classes;
		int best = 0;
		double top = z[0], sum = 0;
		for (int k = 1; k < classes; k++)
			if (z[k] > z[best])
				best = k;
		top = z[best];
		for (int k = 0; k < classes; k++)
			sum += exp((double)z[k] - top);
		fprintf(f, "%ld,%d,%d", first + i, labels[i], best);
		for (int k = 0; k < classes; k++)
			fprintf(f, ",%.6g", exp((double)z[k] - top) / sum);
		for (int k = 0; k < classes; k++)
			fprintf(f, ",%.9g", (double)z[k]);
		fputc('\n', f);
	}
}

/* Loss and accuracy over the whole test split, in evaluation mode; with predictions non-NULL,
 * each image's row is written there too. */
static ampcl_status evaluate(struct ampcl_trainer *t, double *loss, double *acc, FILE *predictions,
			     const struct ampcl_train_callbacks *cb, struct ampcl_progress *p)
{
	double t0 = ampcl_now();
	ampcl_status st = ampcl_loader_start_epoch(t->test_loader, 0);
	int steps = ampcl_loader_batches(t->test_loader), step = 0;
	double sum = 0;
	long correct = 0, count = 0;
	const float *x;
	const int *labels;
	int n, got = 0, classes = t->train->classes;
	float *logits =
	    predictions ? ampcl_xmalloc((size_t)t->st.cfg.batch * classes * sizeof(float)) : NULL;
	while (!st && (got = ampcl_loader_next(t->test_loader, &x, &labels, &n)) > 0) {
		struct ampcl_step_result r = {0, 0, 0};
		/* each rank its share of every test batch; the sums meet after the last */
		int first = 0;
		if (t->dp.size > 1) {
			ampcl_dp_share(&t->dp, n, &first, &n);
			x += (size_t)first * t->st.in_channels * t->st.in_height * t->st.in_width;
			labels += first;
		}
		if (n > 0 && (st = ampcl_net_eval_step(t->net, x, labels, n, &r)))
			break;
		if (predictions) {
			if ((st = ampcl_net_logits(t->net, n, logits)))
				break;
			write_predictions(predictions, count, labels, logits, n, classes);
		}
		sum += r.loss * n, correct += r.correct, count += n;
		if (cb && cb->step && p) {
			double el = ampcl_now() - t0;
			p->evaluating = 1, p->step = ++step, p->steps = steps;
			p->loss = sum / (double)count, p->acc = (double)correct / (double)count;
			p->images_per_s = (double)count / (el > 0 ? el : 1e-9);
			p->eta_s = t->eta_s - el > 0 ? t->eta_s - el : 0; /* the epoch's estimate */
			cb->step(cb->user, p);
		}
	}
	free(logits);
	if (!st && got < 0)
		st = got;
	if (!st && t->dp.size > 1) {
		double v[3] = {sum, (double)correct, (double)count};
		st = ampcl_dp_sum(&t->dp, v, 3);
		sum = v[0], correct = (long)v[1], count = (long)v[2];
	}
	t->eval_s = ampcl_now() - t0;
	*loss = count && !st ? sum / (double)count : NAN;
	*acc = count && !st ? (double)correct / (double)count : NAN;
	return st;
}

/* The epoch's amplified layers, to the caller and to OUT/amp.log ("epoch N: names"). */
static void log_selection(struct ampcl_trainer *t, int epoch,
			  const struct ampcl_train_callbacks *cb, const char *how)
{
	char line[8192];
	int len = snprintf(line, sizeof(line), "epoch %d amplification: %s", epoch, how);
	ampcl_amp_describe(t->amp, t->net, line + len, sizeof(line) - (size_t)len);
	if (cb && cb->message)
		cb->message(cb->user, line);
	if (!writes(t))
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
static ampcl_status interrupted(struct ampcl_trainer *t, int epoch, int step, int steps, double sum,
				long correct, long count, double seconds)
{
	const struct ampcl_train_config *c = &t->st.cfg;
	t->st.next_epoch = epoch;
	t->st.epoch_step = step;
	t->st.epoch_loss_sum = sum;
	t->st.epoch_correct = correct, t->st.epoch_count = count;
	t->st.epoch_seconds = seconds;
	t->st.amp_nselected = t->amp->nselected;
	memcpy(t->st.amp_selected, t->amp->selected, (size_t)t->amp->nselected * sizeof(int));
	if (!c->out[0])
		return ampcl_error_set(AMPCL_ERR_INTERRUPTED,
				       "interrupted at epoch %d after step %d of %d; nothing was "
				       "written (no --out)",
				       epoch, step, steps);
	if (!writes(t))
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

static ampcl_status train_epoch(struct ampcl_trainer *t, int epoch,
				const struct ampcl_train_callbacks *cb,
				struct ampcl_epoch_record *rec)
{
	const struct ampcl_train_config *c = &t->st.cfg;
	/* a run interrupted mid-epoch goes on from the batch after its last step */
	int first = epoch == t->st.next_epoch ? t->st.epoch_step : 0;
	ampcl_status st = ampcl_loader_start_epoch_at(t->train_loader, epoch, first);
	if (st)
		return st;
	int steps = ampcl_loader_batches(t->train_loader);
	struct ampcl_amp_plan *amp = t->amp;
	int active = ampcl_amp_active(amp, epoch);
	/* auto: the epoch's first step runs unamplified and its gradients choose the layers
	 * ("once": only the first amplified epoch chooses; mid-epoch, the checkpoint's choice) */
	int auto_pending = amp->select_auto && active && !first &&
			   (amp->redraw != AMPCL_REDRAW_ONCE || amp->nselected == 0);
	if (auto_pending || (amp->select_auto && !active))
		st = ampcl_net_set_amplification(t->net, NULL, 0, 1.0f, AMPCL_AMP_INPUT);
	else if (amp->select_auto)
		st = ampcl_amp_restore(amp, t->net, amp->selected, amp->nselected);
	else if ((st = ampcl_amp_apply(amp, t->net, epoch, -1)) > 0)
		st = AMPCL_OK;
	if (st)
		return st;
	/* every amplified epoch says what it amplified: a drawn or restored selection now, an
	 * automatic one after its first step, a per-step one with its first draw */
	if (active && !auto_pending && amp->redraw != AMPCL_REDRAW_ITER)
		log_selection(t, epoch, cb, "");
	double t0 = ampcl_now() - (first ? t->st.epoch_seconds : 0);
	double sum = first ? t->st.epoch_loss_sum : 0;
	long correct = first ? (long)t->st.epoch_correct : 0,
	     count = first ? (long)t->st.epoch_count : 0;
	t->st.epoch_step = 0;
	const float *x;
	const int *labels;
	int n, got, step = first;
	while ((got = ampcl_loader_next(t->train_loader, &x, &labels, &n)) > 0) {
		double lr = lr_at(t, epoch, step, steps);
		if (!amp->select_auto && (st = ampcl_amp_apply(amp, t->net, epoch, step)) < 0)
			return st;
		if (active && amp->redraw == AMPCL_REDRAW_ITER && !amp->select_auto && step == 0)
			log_selection(t, epoch, cb, "redrawn every step, step 0: ");
		struct ampcl_step_result r;
		if (auto_pending)
			ampcl_net_request_grad_rms(t->net);
		if ((st = train_step(t, x, labels, &n, (float)lr, &r)))
			return st;
		if (!isfinite(r.loss))
			return ampcl_error_set(
			    AMPCL_ERR_CHECK_FAILED,
			    "the training loss became %g at epoch %d step %d (lr %g): "
			    "the run diverged; lower --lr or the amplification factor",
			    r.loss, epoch, step, lr);
		sum += r.loss * n, correct += r.correct, count += n;
		t->st.steps++;
		if (auto_pending) {
			double *rms =
			    ampcl_xmalloc((size_t)ampcl_net_layer_count(t->net) * sizeof(double));
			st = ampcl_net_grad_rms(t->net, rms);
			if (!st)
				st = ranks_rms(t, rms);
			if (!st)
				st = ampcl_amp_select_auto(amp, t->net, rms);
			free(rms);
			if (st)
				return st;
			auto_pending = 0;
			log_selection(t, epoch, cb, "chosen by the first step: ");
		}
		step++;
		rec->lr = lr;
		if (cb && cb->step) {
			double el = ampcl_now() - t0, ips = (double)count / (el > 0 ? el : 1e-9);
			double left = (double)(steps - step) * c->batch +
				      (double)(c->epochs - epoch - 1) * steps * c->batch;
			/* evaluations still to come, this epoch's included; before the first one
			 * has been timed, a test image costs about a third of a training image */
			int evals = 0;
			for (int e = epoch; e < c->epochs; e++)
				evals += (e + 1) % c->eval_every == 0 || e + 1 == c->epochs;
			double eval_s = t->eval_s > 0 ? t->eval_s : t->test->count / (3 * ips);
			t->eta_s = left / ips + evals * eval_s;
			struct ampcl_progress p = {epoch,
						   c->epochs,
						   step,
						   steps,
						   sum / (double)count,
						   (double)correct / (double)count,
						   lr,
						   ips,
						   t->eta_s,
						   0};
			cb->step(cb->user, &p);
		}
		int stop = step < steps && cb && cb->should_stop && cb->should_stop(cb->user);
		if (t->dp.size > 1 && (st = ampcl_dist_max_int(&stop)))
			return st; /* a signal to one rank stops all after the same step */
		if (stop)
			return interrupted(t, epoch, step, steps, sum, correct, count,
					   ampcl_now() - t0);
	}
	if (got < 0)
		return got;
	rec->amp_layers = active ? amp->nselected : 0; /* after an automatic choice */
	rec->seconds = ampcl_now() - t0;
	rec->images_per_s = (double)count / (rec->seconds > 0 ? rec->seconds : 1e-9);
	rec->train_loss = count ? sum / (double)count : NAN;
	rec->train_acc = count ? (double)correct / (double)count : NAN;
	rec->data_wait_s = ampcl_loader_wait_seconds(t->train_loader);
	return AMPCL_OK;
}

static ampcl_status trainer_run(ampcl_trainer_t *t, const struct ampcl_train_callbacks *cb)
{
	const struct ampcl_train_config *c = &t->st.cfg;
	if (writes(t) && ampcl_make_dirs(c->out) != 0)
		return ampcl_error_set(
		    AMPCL_ERR_IO,
		    "cannot create the output folder '%s': %s; check the path and "
		    "its permissions",
		    c->out, strerror(errno));
	ampcl_status lst = writes(t) && t->lock_fd < 0
			       ? ampcl_out_claim(c->out, t->resumed, c->overwrite, &t->lock_fd)
			       : AMPCL_OK;
	if (lst)
		return lst;
	for (int epoch = t->st.next_epoch; epoch < c->epochs; epoch++) {
		struct ampcl_epoch_record rec = {.epoch = epoch, .test_loss = NAN, .test_acc = NAN};
		ampcl_status st = train_epoch(t, epoch, cb, &rec);
		/* per-rank BN: the running statistics are rank 0's, as DDP broadcasts them */
		if (!st)
			st = ampcl_dp_broadcast_running(&t->dp, t->net);
		if (!st && ((epoch + 1) % c->eval_every == 0 || epoch + 1 == c->epochs)) {
			struct ampcl_progress p = {
			    .epoch = epoch, .epochs = c->epochs, .eta_s = t->eta_s};
			st = evaluate(t, &rec.test_loss, &rec.test_acc, NULL, cb, &p);
		}
		if (st)
			return st;
		/* a model that diverged in the epoch's last steps is never written: the last
		 * finite checkpoint stays */
		int finite;
		if ((st = ampcl_net_all_finite(t->net, &finite)))
			return st;
		int evaluated = !isnan(rec.test_acc);
		if (!finite)
			return ampcl_error_set(
			    AMPCL_ERR_CHECK_FAILED,
			    "the model became non-finite at epoch %d (a weight or BN statistic is "
			    "not "
			    "finite; %s %g): the run diverged; nothing of this epoch was "
			    "written%s; "
			    "lower --lr or the amplification factor",
			    epoch, evaluated ? "test loss" : "training loss",
			    evaluated ? rec.test_loss : rec.train_loss,
			    c->out[0] ? ", the last finite checkpoint in --out is kept" : "");
		/* finite weights whose test loss overflows: kept as `last`, never the best */
		if (evaluated && !isfinite(rec.test_loss) && cb && cb->message) {
			char line[160];
			snprintf(line, sizeof(line),
				 "epoch %d: the test loss is %g (the logits overflow): not a best "
				 "model",
				 epoch, rec.test_loss);
			cb->message(cb->user, line);
		}
		int is_best = isfinite(rec.test_acc) && isfinite(rec.test_loss) &&
			      rec.test_acc > t->st.best_acc;
		if (is_best) {
			t->st.best_acc = rec.test_acc;
			t->st.best_epoch = epoch;
		}
		t->st.history =
		    ampcl_xrealloc(t->st.history, (size_t)(t->st.nhistory + 1) * sizeof(rec));
		t->st.history[t->st.nhistory++] = rec;
		t->st.next_epoch = epoch + 1;
		t->st.amp_nselected = t->amp->nselected;
		memcpy(t->st.amp_selected, t->amp->selected,
		       (size_t)t->amp->nselected * sizeof(int));
		if (writes(t) && (st = ampcl_train_output_write(t->ctx, t->net, &t->st, is_best)))
			return st;
		if (cb && cb->epoch)
			cb->epoch(cb->user, &rec, is_best);
		if (cb && cb->outputs && writes(t))
			cb->outputs(cb->user, c, t->st.history, t->st.nhistory);
		int stop =
		    epoch + 1 < c->epochs && cb && cb->should_stop && cb->should_stop(cb->user);
		if (t->dp.size > 1 && (st = ampcl_dist_max_int(&stop)))
			return st; /* every rank stops after the same epoch, or none */
		if (stop)
			return ampcl_error_set(
			    AMPCL_ERR_INTERRUPTED, "interrupted after epoch %d%s%s%s", epoch,
			    c->out[0] ? ": 'ampcl train --resume " : "", c->out[0] ? c->out : "",
			    c->out[0] ? "' continues it" : "");
	}
	return AMPCL_OK;
}

/* A trainer for safetensors weights: the model and width given, the data's test split. */
static ampcl_status from_weights(ampcl_context_t *ctx, const struct ampcl_eval_request *req,
				 struct ampcl_trainer **result)
{
	*result = NULL;
	if (!req->model || !req->width || !req->data || !*req->data)
		return ampcl_error_set(AMPCL_ERR_INVALID_ARG,
				       "evaluating weights '%s' needs the model, its width and the "
				       "data (--model, --width, --data)",
				       req->weights);
	struct ampcl_trainer *t = ampcl_xcalloc(1, sizeof(*t));
	t->ctx = ctx;
	t->lock_fd = -1;
	struct ampcl_train_config *c = &t->st.cfg;
	ampcl_train_config_defaults(c);
	snprintf(c->model, sizeof(c->model), "%s", req->model);
	c->width = req->width;
	snprintf(c->data, sizeof(c->data), "%s", req->data);
	snprintf(c->dataset, sizeof(c->dataset), "%s", req->dataset ? req->dataset : "");
	snprintf(c->init, sizeof(c->init), "%s", req->weights);
	c->batch = req->batch > 0 ? req->batch : 128;
	c->out[0] = 0;
	if (strlen(req->model) >= sizeof(c->model) || strlen(req->weights) >= sizeof(c->init) ||
	    strlen(req->data) >= sizeof(c->data)) {
		free(t);
		return ampcl_error_set(AMPCL_ERR_INVALID_ARG,
				       "evaluate: a model name, weights or data path is too long");
	}
	t->eval_only = 1;
	ampcl_status st = setup(t, 1);
	if (st) {
		ampcl_trainer_free(t);
		return st;
	}
	*result = t;
	return AMPCL_OK;
}

static ampcl_status evaluate_request(ampcl_context_t *ctx, const struct ampcl_eval_request *req,
				     struct ampcl_eval_result *res)
{
	memset(res, 0, sizeof(*res));
	res->loss = res->accuracy = NAN;
	if (!req || !!req->checkpoint == !!req->weights)
		return ampcl_error_set(AMPCL_ERR_INVALID_ARG,
				       "evaluate: give a checkpoint or weights, not both");
	struct ampcl_trainer *t;
	ampcl_status st = req->checkpoint
			      ? from_checkpoint(ctx, req->checkpoint, 0, NULL, req->data, 1, 1, &t)
			      : from_weights(ctx, req, &t);
	if (st)
		return st;
	struct ampcl_atomic out = {0};
	FILE *f = NULL;
	if (req->predictions) {
		if ((st = ampcl_atomic_open(&out, req->predictions))) {
			ampcl_trainer_free(t);
			return ampcl_error_wrap(st, "--predictions: ");
		}
		f = out.f;
		fprintf(f, "index,label,predicted");
		for (int k = 0; k < t->train->classes; k++)
			fprintf(f, ",p%d", k);
		for (int k = 0; k < t->train->classes; k++)
			fprintf(f, ",logit%d", k);
		fputc('\n', f);
	}
	st = evaluate(t, &res->loss, &res->accuracy, f, NULL, NULL);
	if (!st)
		res->images = t->test->count;
	if (f && st)
		ampcl_atomic_abort(&out);
	else if (f)
		st = ampcl_atomic_commit(&out);
	ampcl_trainer_free(t);
	return st;
}

/* The public entry points read and write text in the C locale, whatever the host set. */
ampcl_status ampcl_trainer_create(ampcl_context_t *ctx, const struct ampcl_train_config *cfg,
				  ampcl_trainer_t **out)
{
	locale_t previous = ampcl_locale_c_begin();
	ampcl_status st = trainer_create(ctx, cfg, out);
	ampcl_locale_c_end(previous);
	return st;
}

ampcl_status ampcl_trainer_resume(ampcl_context_t *ctx, const char *checkpoint, int epochs,
				  const char *out, ampcl_trainer_t **result)
{
	locale_t previous = ampcl_locale_c_begin();
	ampcl_status st = trainer_resume(ctx, checkpoint, epochs, out, NULL, result);
	ampcl_locale_c_end(previous);
	return st;
}

ampcl_status ampcl_trainer_resume_data(ampcl_context_t *ctx, const char *checkpoint, int epochs,
				       const char *out, const char *data, ampcl_trainer_t **result)
{
	locale_t previous = ampcl_locale_c_begin();
	ampcl_status st = trainer_resume(ctx, checkpoint, epochs, out, data, result);
	ampcl_locale_c_end(previous);
	return st;
}

ampcl_status ampcl_trainer_run(ampcl_trainer_t *t, const struct ampcl_train_callbacks *cb)
{
	locale_t previous = ampcl_locale_c_begin();
	ampcl_status st = trainer_run(t, cb);
	ampcl_locale_c_end(previous);
	return st;
}

ampcl_status ampcl_evaluate(ampcl_context_t *ctx, const struct ampcl_eval_request *req,
			    struct ampcl_eval_result *res)
{
	locale_t previous = ampcl_locale_c_begin();
	ampcl_status st = evaluate_request(ctx, req, res);
	ampcl_locale_c_end(previous);
	return st;
}
