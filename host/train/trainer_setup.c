/* trainer_setup.c: a trainer made ready to run: the configuration checked, then data, net,
 * optimizer, schedule and amplification plan, from a configuration, a checkpoint or weights. */
#include "alloc.h"
#include "dist.h"
#include "error.h"
#include "onnx_read.h"
#include "net_weights.h"
#include "onnx_weights.h"
#include "train_config.h"
#include "trainer_internal.h"

#include <ctype.h>
#include <errno.h>
#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>

/* Whether --model names an ONNX file. */
static int model_is_onnx(const char *model)
{
	size_t n = strlen(model);
	return n > 5 && !strcmp(model + n - 5, ".onnx");
}

/* The image size of --image-size ("S" or "HxW", each side 1 to AMPCL_DATASET_SIDE_MAX) into
 * h, w; "" gives 0, 0 (the model's). */
static ampcl_status parse_image_size(const char *text, int *h, int *w)
{
	*h = *w = 0;
	if (!text[0])
		return AMPCL_OK;
	char *end;
	errno = 0;
	long a = strtol(text, &end, 10), b = a;
	if (end != text && (*end == 'x' || *end == 'X')) {
		const char *second = end + 1;
		b = strtol(second, &end, 10);
		if (end == second)
			end = (char *)text; /* "64x": no second side */
	}
	if (end == text || *end || errno || !isdigit((unsigned char)text[0]) || a < 1 ||
	    b < 1 || a > AMPCL_DATASET_SIDE_MAX || b > AMPCL_DATASET_SIDE_MAX)
		return ampcl_error_set(AMPCL_ERR_INVALID_ARG,
				       "--image-size '%s': give the side (64) or height x width "
				       "(96x64), each from 1 to %d pixels",
				       text, AMPCL_DATASET_SIDE_MAX);
	*h = (int)a;
	*w = (int)b;
	return AMPCL_OK;
}

/* The image size the data is fitted to: --image-size, else an ONNX model's input size, else
 * 32x32 (the built-in models' CIFAR size). */
static ampcl_status image_size(const struct ampcl_train_config *c, int *h, int *w)
{
	ampcl_status st = parse_image_size(c->image_size, h, w);
	if (st || *h)
		return st;
	*h = *w = AMPCL_DATASET_SIDE;
	if (!model_is_onnx(c->model))
		return AMPCL_OK;
	int ic, ih, iw;
	if ((st = ampcl_onnx_input_shape(c->model, &ic, &ih, &iw)))
		return st;
	if (ih > 0 && iw > 0)
		*h = ih, *w = iw;
	return AMPCL_OK;
}

/* Loads both splits at the image size; image folders normalise their test split with the
 * training statistics. */
static ampcl_status load_data(const struct ampcl_train_config *c, int eval_only,
			      struct ampcl_dataset **train, struct ampcl_dataset **test)
{
	const char *kind = c->dataset[0] ? c->dataset : NULL;
	int h, w;
	ampcl_status st = image_size(c, &h, &w);
	if (!st)
		st = ampcl_dataset_load_sized(c->data, kind, 1, c->subset, h, w, train);
	if (!st)
		st = ampcl_dataset_load_sized(c->data, kind, 0, 0, h, w, test);
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

/* Every setting of c checked, alone and together (exit 2 material: each message names the flag
 * and value); epochs 0 ("not given") becomes the --schedule phases' total, else 1. known: the
 * --schedule phases a checkpoint stored (NULL: read the file, if any). */
static ampcl_status config_check(struct ampcl_train_config *c, const struct ampcl_phases *known)
{
	struct ampcl_amp_plan *amp;
	struct ampcl_amp_settings as = amp_settings(c);
	ampcl_status st = ampcl_amp_plan_create(&as, NULL, &amp);
	if (st)
		return st;
	ampcl_amp_plan_free(amp);
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
	const char *clash = !c->schedule_file[0]                    ? NULL
			    : c->lr != d.lr                         ? "--lr"
			    : c->amp_epochs[0]                      ? "--amp-epochs"
			    : strcmp(c->lr_schedule, d.lr_schedule) ? "--lr-schedule"
								    : NULL;
	if (clash)
		return ampcl_error_set(AMPCL_ERR_INVALID_ARG,
				       "--schedule '%s' and %s both set the learning rate or the "
				       "amplification of each epoch; give one of them",
				       c->schedule_file, clash);
	if (c->epochs == 0)
		c->epochs = sched ? sched : 1;
	if ((st = ampcl_train_config_check_text(c)))
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
		return ampcl_error_set(
		    AMPCL_ERR_INVALID_ARG,
		    "--model '%s': the valid values are resnet18, resnet34, vgg19 and an ONNX file "
		    "(FILE.onnx)",
		    c->model);
	if (c->width < 1 || c->width > 1024)
		return ampcl_error_set(AMPCL_ERR_INVALID_ARG, "--width %d: give 1 to 1024",
				       c->width);
	int h, w;
	if ((st = parse_image_size(c->image_size, &h, &w)))
		return st;
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
	/* an export made for evaluation trains, but not as the network it came from: say so */
	if (model_is_onnx(c->model) && ampcl_onnx_bn_folded(c->model))
		snprintf(t->note, sizeof(t->note),
			 "note: '%.300s' has no BatchNormalization: an export made for evaluation "
			 "folds it into the convolutions, which then train as plain convolutions "
			 "with biases (export with training=torch.onnx.TrainingMode.TRAINING to keep "
			 "it)",
			 c->model);
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

ampcl_status ampcl_trainer_setup_new(ampcl_context_t *ctx, const struct ampcl_train_config *cfg,
				     struct ampcl_trainer **out)
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
static ampcl_status same_run_in_folder(const char *checkpoint,
				       const struct ampcl_checkpoint_state *st)
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
	ampcl_checkpoint_state_release(&there);
	if (s || !there.run_id || there.run_id == st->run_id)
		return AMPCL_OK;
	return ampcl_error_set(AMPCL_ERR_INVALID_ARG,
			       "checkpoint '%s' was trained in '%s', which now holds another run; "
			       "give --out to continue it elsewhere (that run is left as it is)",
			       checkpoint, st->cfg.out);
}

/* A trainer rebuilt from a checkpoint: its configuration (with the given overrides: epochs > 0,
 * out and data non-NULL), weights, optimizer state and amplification selection. */
ampcl_status ampcl_trainer_setup_checkpoint(ampcl_context_t *ctx, const char *checkpoint,
					    int epochs, const char *out, const char *data,
					    int eval_only, int alone, struct ampcl_trainer **result)
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
	int height = t->st.in_height, width = t->st.in_width;
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
	if (!st && height && (height != t->train->height || width != t->train->width))
		st = ampcl_error_set(AMPCL_ERR_INVALID_ARG,
				     "checkpoint '%s' was trained on %dx%d images; this data would "
				     "be fitted to %dx%d",
				     checkpoint, height, width, t->train->height, t->train->width);
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

/* A trainer for safetensors weights: the model and width given, the data's test split. */
ampcl_status ampcl_trainer_setup_weights(ampcl_context_t *ctx, const struct ampcl_eval_request *req,
					 struct ampcl_trainer **result)
{
	*result = NULL;
	int onnx = req->model && model_is_onnx(req->model);
	if (!req->model || (!req->width && !onnx) || !req->data || !*req->data)
		return ampcl_error_set(AMPCL_ERR_INVALID_ARG,
				       "evaluating weights '%s' needs the model, its width (not for "
				       "FILE.onnx) and the data (--model, --width, --data)",
				       req->weights);
	struct ampcl_trainer *t = ampcl_xcalloc(1, sizeof(*t));
	t->ctx = ctx;
	t->lock_fd = -1;
	struct ampcl_train_config *c = &t->st.cfg;
	ampcl_train_config_defaults(c);
	snprintf(c->model, sizeof(c->model), "%s", req->model);
	c->width = req->width ? req->width : c->width; /* an ONNX graph has no width */
	snprintf(c->data, sizeof(c->data), "%s", req->data);
	snprintf(c->dataset, sizeof(c->dataset), "%s", req->dataset ? req->dataset : "");
	snprintf(c->init, sizeof(c->init), "%s", req->weights);
	c->batch = req->batch > 0 ? req->batch : 128;
	c->out[0] = 0;
	snprintf(c->image_size, sizeof(c->image_size), "%s",
		 req->image_size ? req->image_size : "");
	if (strlen(req->model) >= sizeof(c->model) || strlen(req->weights) >= sizeof(c->init) ||
	    strlen(req->data) >= sizeof(c->data) ||
	    (req->image_size && strlen(req->image_size) >= sizeof(c->image_size))) {
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
