/* study.c: `ampcl study`'s engine: runs every combination of the sweep lists one after another,
 * skipping finished runs, writes results.csv, and hands the results to the program's report. */
#include "checkpoint.h"
#include "alloc.h"
#include "error.h"
#include "locale_c.h"
#include "files.h"
#include "study_config.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct study_run {
	struct ampcl_train_config cfg;
	char name[400];  /* folder under runs/ */
	char label[400]; /* the configuration without its seed */
	int config;      /* index of that configuration */
	struct ampcl_epoch_record *history;
	int n;
	double best, final, seconds;
	int reach; /* epochs trained when the test accuracy first reached the target; -1: never */
};

static int amp_off(const char *epochs)
{
	return !epochs[0] || !strcmp(epochs, "none");
}

/* "bn,relu" -> "bn+relu" for folder names */
static void plus_list(const char *in, char *out, size_t size)
{
	snprintf(out, size, "%s", in);
	for (char *p = out; *p; p++)
		if (*p == ',')
			*p = '+';
}

/* One amplified configuration's indexes into the sweep lists. */
struct amp_choice {
	int epochs, type, factor, ratio, select;
};

/* Fills run x's settings, label and folder name. Runs with random selection keep the names they
 * had before selection became a sweep list, so existing study folders still resume. */
static void describe(const struct ampcl_study_config *sc, struct study_run *x, int l, int s,
		     const struct amp_choice *c)
{
	x->cfg = sc->base;
	x->cfg.lr = sc->lrs[l];
	x->cfg.seed = sc->seeds[s];
	if (!c) {
		x->cfg.amp_epochs[0] = 0;
		snprintf(x->label, sizeof(x->label), "lr %g, no amplification", sc->lrs[l]);
		snprintf(x->name, sizeof(x->name), "lr%g_off_s%llu", sc->lrs[l], sc->seeds[s]);
		return;
	}
	char types[64];
	plus_list(sc->types[c->type], types, sizeof(types));
	const char *select = sc->selects[c->select];
	int is_auto = !strcmp(select, "auto");
	snprintf(x->cfg.amp_epochs, sizeof(x->cfg.amp_epochs), "%s", sc->amp_epochs[c->epochs]);
	snprintf(x->cfg.amp_types, sizeof(x->cfg.amp_types), "%s", sc->types[c->type]);
	snprintf(x->cfg.amp_select, sizeof(x->cfg.amp_select), "%s", select);
	x->cfg.amp_factor = sc->factors[c->factor];
	x->cfg.amp_ratio = sc->ratios[c->ratio];
	snprintf(x->label, sizeof(x->label), "lr %g, %s x%g ratio %g, epochs %.100s%s", sc->lrs[l],
		 types, x->cfg.amp_factor, x->cfg.amp_ratio, x->cfg.amp_epochs,
		 is_auto ? ", auto selection" : "");
	snprintf(x->name, sizeof(x->name), "lr%g_%s_f%g_r%g_e%.100s%s_s%llu", sc->lrs[l], types,
		 x->cfg.amp_factor, x->cfg.amp_ratio, x->cfg.amp_epochs, is_auto ? "_auto" : "",
		 sc->seeds[s]);
}

/* Every run of the sweep, in a fixed order: learning rate, then the configuration, then seed.
 * Without amplification the amplification settings do not matter: one baseline per rate. */
static int expand(const struct ampcl_study_config *sc, struct study_run **out)
{
	int cap = 16, n = 0, configs = 0;
	struct study_run *runs = ampcl_xmalloc((size_t)cap * sizeof(*runs));
	int per_lr = sc->namp_epochs * sc->ntypes * sc->nfactors * sc->nratios * sc->nselects;
	for (int l = 0; l < sc->nlrs; l++)
		for (int k = 0; k < per_lr; k++) {
			struct amp_choice c;
			int rest = k;
			c.select = rest % sc->nselects, rest /= sc->nselects;
			c.ratio = rest % sc->nratios, rest /= sc->nratios;
			c.factor = rest % sc->nfactors, rest /= sc->nfactors;
			c.type = rest % sc->ntypes, rest /= sc->ntypes;
			c.epochs = rest;
			int off = amp_off(sc->amp_epochs[c.epochs]);
			if (off && (c.type || c.factor || c.ratio || c.select))
				continue;
			for (int s = 0; s < sc->nseeds; s++) {
				if (n == cap) {
					cap *= 2;
					runs = ampcl_xrealloc(runs, (size_t)cap * sizeof(*runs));
				}
				struct study_run *x = &runs[n++];
				memset(x, 0, sizeof(*x));
				describe(sc, x, l, s, off ? NULL : &c);
				x->config = configs;
			}
			configs++;
		}
	*out = runs;
	return n;
}

static ampcl_status make_dir(const char *path)
{
	if (ampcl_make_dirs(path) == 0)
		return AMPCL_OK;
	return ampcl_error_set(AMPCL_ERR_IO, "cannot create folder '%s': %s", path,
			       strerror(errno));
}

/* Trains (or resumes, or just reads) one run and fills its history. */
static ampcl_status do_run(ampcl_context_t *ctx, struct study_run *x, const char *dir,
			   const struct ampcl_study_callbacks *cb, int index, int total)
{
	char ckpt[4400];
	snprintf(x->cfg.out, sizeof(x->cfg.out), "%.3900s/runs/%s", dir, x->name);
	snprintf(ckpt, sizeof(ckpt), "%s/last.ampcl", x->cfg.out);
	struct ampcl_checkpoint_state st = {0};
	struct ampcl_checkpoint *ck = NULL;
	int have = access(ckpt, R_OK) == 0 && ampcl_checkpoint_open(ckpt, &ck, &st) == AMPCL_OK;
	ampcl_checkpoint_free(ck);
	int done = have && st.next_epoch >= x->cfg.epochs;
	if (cb && cb->run)
		cb->run(cb->user, index, total, x->name, done);
	ampcl_status s = AMPCL_OK;
	if (done) {
		x->history = st.history, x->n = st.nhistory;
		return AMPCL_OK;
	}
	free(st.history);
	ampcl_trainer_t *t = NULL;
	/* a run folder without a readable checkpoint is started over */
	x->cfg.overwrite = 1;
	s = have ? ampcl_trainer_resume(ctx, ckpt, x->cfg.epochs, NULL, &t)
		 : ampcl_trainer_create(ctx, &x->cfg, &t);
	if (!s)
		s = ampcl_trainer_run(t, cb ? cb->train : NULL);
	if (!s) {
		int n;
		const struct ampcl_epoch_record *h = ampcl_trainer_history(t, &n);
		x->history = ampcl_xmalloc((size_t)(n ? n : 1) * sizeof(*h));
		memcpy(x->history, h, (size_t)n * sizeof(*h));
		x->n = n;
	}
	ampcl_trainer_free(t);
	return s ? ampcl_error_wrap(s, "study run '%s': ", x->name) : AMPCL_OK;
}

static void summarise(struct study_run *x, double target)
{
	x->best = -1, x->final = NAN, x->seconds = 0, x->reach = -1;
	for (int i = 0; i < x->n; i++) {
		const struct ampcl_epoch_record *r = &x->history[i];
		x->seconds += r->seconds;
		if (isfinite(r->test_acc)) {
			x->final = r->test_acc;
			if (r->test_acc > x->best)
				x->best = r->test_acc;
			if (target > 0 && x->reach < 0 && r->test_acc >= target)
				x->reach = r->epoch + 1;
		}
	}
}

static ampcl_status write_results(struct study_run *runs, int n, const char *dir)
{
	char path[4400];
	snprintf(path, sizeof(path), "%.3900s/results.csv", dir);
	struct ampcl_atomic a;
	ampcl_status s = ampcl_atomic_open(&a, path);
	if (s)
		return s;
	fprintf(a.f, "name,lr,amp_types,amp_factor,amp_ratio,amp_epochs,seed,epochs,best_acc,"
		     "final_acc,epochs_to_target,seconds\n");
	for (int i = 0; i < n; i++) {
		const struct study_run *x = &runs[i];
		fprintf(a.f, "%s,%g,%s,%g,%g,%s,%llu,%d,%.4f,%.4f,%d,%.1f\n", x->name, x->cfg.lr,
			x->cfg.amp_epochs[0] ? x->cfg.amp_types : "", x->cfg.amp_factor,
			x->cfg.amp_ratio, x->cfg.amp_epochs[0] ? x->cfg.amp_epochs : "none",
			x->cfg.seed, x->n, x->best, x->final, x->reach, x->seconds);
	}
	return ampcl_atomic_commit(&a);
}

/* The finished runs as the public callback sees them. */
static ampcl_status report(const struct ampcl_study_callbacks *cb, struct study_run *runs, int done,
			   int total)
{
	if (!cb || !cb->results)
		return AMPCL_OK;
	struct ampcl_study_result *r = ampcl_xcalloc((size_t)(done ? done : 1), sizeof(*r));
	for (int i = 0; i < done; i++)
		r[i] = (struct ampcl_study_result){
		    runs[i].name, runs[i].label, runs[i].config, &runs[i].cfg,    runs[i].history,
		    runs[i].n,    runs[i].best,  runs[i].final,  runs[i].seconds, runs[i].reach,
		    NULL};
	ampcl_status s = cb->results(cb->user, r, done, total);
	free(r);
	return s;
}

static ampcl_status study_run(ampcl_context_t *ctx, const struct ampcl_study_config *given,
			      const struct ampcl_study_callbacks *cb)
{
	struct ampcl_study_config filled = *given;
	ampcl_study_config_fill(&filled);
	const struct ampcl_study_config *sc = &filled;
	const char *dir = sc->base.out;
	if (!dir[0])
		return ampcl_error_set(AMPCL_ERR_INVALID_ARG, "a study needs --out DIR");
	if (!sc->nlrs || !sc->nseeds || !sc->nfactors || !sc->nratios || !sc->ntypes ||
	    !sc->namp_epochs || !sc->nselects)
		return ampcl_error_set(AMPCL_ERR_INVALID_ARG, "a study needs at least one value of "
							      "every swept setting");
	struct study_run *runs;
	int n = expand(sc, &runs);
	/* every run's settings are checked before the first one trains for hours */
	ampcl_status s = AMPCL_OK;
	for (int i = 0; i < n && !s; i++)
		s = ampcl_train_config_check(&runs[i].cfg);
	char runs_dir[4200];
	snprintf(runs_dir, sizeof(runs_dir), "%.4096s/runs", dir);
	if (!s && !(s = make_dir(dir)))
		s = make_dir(runs_dir);
	for (int i = 0; i < n && !s; i++) {
		s = do_run(ctx, &runs[i], dir, cb, i, n);
		if (!s)
			summarise(&runs[i], sc->target_acc);
		/* results after every run: a long study can be read while it goes on */
		if (!s)
			s = write_results(runs, i + 1, dir);
		if (!s)
			s = report(cb, runs, i + 1, n);
	}
	for (int i = 0; i < n; i++)
		free(runs[i].history);
	free(runs);
	return s;
}

/* Text in the C locale, whatever the host program set. */
ampcl_status ampcl_study_run(ampcl_context_t *ctx, const ampcl_study_config_t *sc,
			     const struct ampcl_study_callbacks *cb)
{
	locale_t previous = ampcl_locale_c_begin();
	ampcl_status st = study_run(ctx, sc, cb);
	ampcl_locale_c_end(previous);
	return st;
}
