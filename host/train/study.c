/* study.c: `ampcl study`'s engine: every combination of the sweep lists, spread over mpirun's
 * ranks and each rank's jobs; rank 0 gathers the outcomes, writes results.csv, calls the report. */
#include "alloc.h"
#include "amp.h"
#include "dist.h"
#include "error.h"
#include "files.h"
#include "locale_c.h"
#include "study.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

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
	x->cfg.data_parallel = 0; /* under mpirun each run is one rank's alone */
	x->cfg.lr = sc->lrs[l];
	x->cfg.seed = sc->seeds[s];
	if (!c) {
		x->cfg.amp_epochs[0] = 0;
		snprintf(x->label, sizeof(x->label), "lr %g, no amplification", sc->lrs[l]);
		snprintf(x->name, sizeof(x->name), "lr%g_off_s%llu", sc->lrs[l], sc->seeds[s]);
		snprintf(x->cfg.out, sizeof(x->cfg.out), "%.3600s/runs/%s", sc->base.out, x->name);
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
	snprintf(x->cfg.out, sizeof(x->cfg.out), "%.3600s/runs/%s", sc->base.out, x->name);
}

static int by_start(const void *a, const void *b)
{
	const int *x = a, *y = b;
	return (x[0] > y[0]) - (x[0] < y[0]);
}

/* The epochs of an --amp-epochs value as sorted, merged ranges; -1 if it does not parse (its
 * own check names it later), 0 for none. */
static int epoch_set(const char *text, int ranges[][2])
{
	if (amp_off(text))
		return 0;
	int n;
	if (ampcl_amp_parse_ranges(text, ranges, AMPCL_AMP_MAX_RANGES, &n))
		return -1;
	qsort(ranges, (size_t)n, sizeof(ranges[0]), by_start);
	int m = 0;
	for (int i = 0; i < n; i++)
		if (m && ranges[i][0] <= ranges[m - 1][1] + 1) {
			if (ranges[i][1] > ranges[m - 1][1])
				ranges[m - 1][1] = ranges[i][1];
		} else {
			ranges[m][0] = ranges[i][0], ranges[m][1] = ranges[i][1];
			m++;
		}
	return m;
}

/* The layer types of an --amp-types value in one order: "relu,bn" as "bn,relu". */
static void type_set(const char *text, char *out, size_t size)
{
	static const char *const types[] = {"relu", "bn", "conv", "linear"};
	out[0] = 0;
	for (size_t t = 0; t < sizeof(types) / sizeof(types[0]); t++) {
		char buf[256], *save = NULL;
		snprintf(buf, sizeof(buf), "%s", text);
		int has = 0;
		for (char *w = strtok_r(buf, ",", &save); w; w = strtok_r(NULL, ",", &save))
			has |= !strcmp(w, types[t]);
		if (has)
			snprintf(out + strlen(out), size - strlen(out), "%s,", types[t]);
	}
}

static ampcl_status same_setting(const char *flag, const char *a, const char *b, const char *what)
{
	return ampcl_error_set(AMPCL_ERR_INVALID_ARG,
			       "%s gives '%s' and '%s', the same %s: give each value once (a study "
			       "would otherwise train and count one run twice)",
			       flag, a, b, what);
}

/* Two values that name one setting in other words are one run: --amp-epochs "0-2" and "0,1,2",
 * --amp-types "bn,relu" and "relu,bn". */
static ampcl_status distinct_spellings(const struct ampcl_study_config *sc)
{
	for (int i = 0; i < sc->ntypes; i++)
		for (int k = 0; k < i; k++) {
			char a[64], b[64];
			type_set(sc->types[i], a, sizeof(a));
			type_set(sc->types[k], b, sizeof(b));
			if (a[0] && !strcmp(a, b))
				return same_setting("--amp-types", sc->types[k], sc->types[i],
						    "layer types");
		}
	int a[AMPCL_AMP_MAX_RANGES][2], b[AMPCL_AMP_MAX_RANGES][2];
	for (int i = 0; i < sc->namp_epochs; i++)
		for (int k = 0; k < i; k++) {
			int na = epoch_set(sc->amp_epochs[i], a), nb = epoch_set(sc->amp_epochs[k], b);
			if (na >= 0 && na == nb && !memcmp(a, b, (size_t)na * sizeof(a[0])))
				return same_setting("--amp-epochs", sc->amp_epochs[k],
						    sc->amp_epochs[i], "epochs");
		}
	return AMPCL_OK;
}

/* Two runs in one folder would be one run counted twice: values that print alike (%g keeps six
 * digits) or spellings of one setting are refused, naming both. */
static ampcl_status distinct_folders(const struct study_run *runs, int n)
{
	for (int i = 0; i < n; i++)
		for (int k = 0; k < i; k++)
			if (!strcmp(runs[i].name, runs[k].name))
				return ampcl_error_set(
				    AMPCL_ERR_INVALID_ARG,
				    "the study's runs '%s' and '%s' would share the folder runs/%s: "
				    "give values that differ in their first six digits, each once",
				    runs[k].label, runs[i].label, runs[i].name);
	return AMPCL_OK;
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

static ampcl_status write_results(const struct study_run *runs, int n, const char *dir)
{
	char path[4400];
	snprintf(path, sizeof(path), "%.3900s/results.csv", dir);
	struct ampcl_atomic a;
	ampcl_status s = ampcl_atomic_open(&a, path);
	if (s)
		return s;
	fprintf(a.f, "name,lr,amp_types,amp_factor,amp_ratio,amp_epochs,amp_select,seed,epochs,"
		     "best_acc,final_acc,epochs_to_target,seconds,status\n");
	for (int i = 0; i < n; i++) {
		const struct study_run *x = &runs[i];
		if (!x->finished)
			continue;
		int amp = x->cfg.amp_epochs[0] != 0;
		fprintf(a.f, "%s,%g,%s,%g,%g,%s,%s,%llu,%d,%.4f,%.4f,%d,%.1f,%s\n", x->name,
			x->cfg.lr, amp ? x->cfg.amp_types : "", x->cfg.amp_factor, x->cfg.amp_ratio,
			amp ? x->cfg.amp_epochs : "none", amp ? x->cfg.amp_select : "", x->cfg.seed,
			x->n, x->best, x->final, x->reach, x->seconds, x->error ? "failed" : "ok");
	}
	return ampcl_atomic_commit(&a);
}

/* The finished runs, in the study's order, as the public callback sees them. */
static ampcl_status report(const struct ampcl_study_callbacks *cb, const struct study_run *runs,
			   int n)
{
	if (!cb || !cb->results)
		return AMPCL_OK;
	struct ampcl_study_result *r = ampcl_xcalloc((size_t)(n ? n : 1), sizeof(*r));
	int done = 0;
	for (int i = 0; i < n; i++) {
		const struct study_run *x = &runs[i];
		if (x->finished)
			r[done++] = (struct ampcl_study_result){
			    x->name, x->label, x->config,  &x->cfg,  x->history, x->n,
			    x->best, x->final, x->seconds, x->reach, x->error};
	}
	ampcl_status s = cb->results(cb->user, r, done, n);
	free(r);
	return s;
}

/* After each run of this process: its summary, and on rank 0 the results so far (a long study
 * can be read while it goes on). */
static ampcl_status after_run(struct study_pool *p, int index)
{
	summarise(&p->runs[index], p->sc->target_acc);
	struct ampcl_mpi_info mpi;
	ampcl_mpi_get_info(&mpi);
	if (mpi.rank)
		return AMPCL_OK;
	ampcl_status s = write_results(p->runs, p->nruns, p->sc->base.out);
	return s ? s : report(p->cb, p->runs, p->nruns);
}

/* The device spec of job j of this process: the list's (r * jobs + j)-th, round robin, r the
 * local rank; without a list, the given context's device. */
static void job_device(const struct ampcl_study_config *sc, ampcl_context_t *ctx, int j, char *spec,
		       size_t size)
{
	struct ampcl_mpi_info mpi;
	ampcl_mpi_get_info(&mpi);
	if (sc->ndevices)
		snprintf(spec, size, "%s",
			 sc->devices[(mpi.local_rank * sc->jobs + j) % sc->ndevices]);
	else
		snprintf(spec, size, "%d", ampcl_context_device(ctx)->index);
}

/* One context per job; job 0 uses the caller's when it is on the same device. */
static ampcl_status make_contexts(const struct ampcl_study_config *sc, ampcl_context_t *ctx,
				  int jobs, ampcl_context_t **out)
{
	ampcl_status s = AMPCL_OK;
	for (int j = 0; j < jobs && !s; j++) {
		char spec[64];
		job_device(sc, ctx, j, spec, sizeof(spec));
		int index = -1;
		s = ampcl_device_resolve(spec, &index);
		if (!s && j == 0 && index == ampcl_context_device(ctx)->index)
			out[j] = ctx;
		else if (!s)
			s = ampcl_context_create(spec, &out[j]);
		if (s)
			s = ampcl_error_wrap(s, "study job %d, device '%s': ", j, spec);
	}
	return s;
}

/* The study's status once every run is in and none stopped it: the failed runs. */
static ampcl_status outcome(const struct study_run *runs, int n)
{
	int failed = 0, first = -1;
	for (int i = 0; i < n; i++)
		if (runs[i].finished && runs[i].error && failed++ == 0)
			first = i;
	if (!failed)
		return AMPCL_OK;
	return ampcl_error_set(AMPCL_ERR_CHECK_FAILED,
			       "%d of %d runs failed (the others finished; results.md lists each "
			       "failure, and starting the study again retries them); the first: %s",
			       failed, n, runs[first].error);
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
	struct ampcl_mpi_info mpi;
	ampcl_mpi_get_info(&mpi);
	struct study_run *runs;
	int n = expand(sc, &runs);
	/* every run's settings are checked before the first one trains for hours */
	ampcl_status s = distinct_spellings(sc);
	if (!s)
		s = distinct_folders(runs, n);
	for (int i = 0; i < n && !s; i++)
		s = ampcl_train_config_check(&runs[i].cfg);
	char runs_dir[4200];
	snprintf(runs_dir, sizeof(runs_dir), "%.4096s/runs", dir);
	if (!s && !(s = make_dir(dir)))
		s = make_dir(runs_dir);
	/* this rank's share: every size-th run, from its rank on */
	int *queue = ampcl_xcalloc((size_t)(n ? n : 1), sizeof(*queue)), nqueue = 0;
	for (int i = mpi.rank; i < n; i += mpi.size)
		queue[nqueue++] = i;
	/* a run folder holds this run or nothing: not another run's, not a damaged checkpoint */
	for (int i = 0; i < nqueue && !s; i++)
		s = study_check_run_folder(&runs[queue[i]], sc->base.overwrite);
	int jobs = sc->jobs > 0 ? sc->jobs : (sc->ndevices ? sc->ndevices : 1);
	ampcl_context_t **contexts = ampcl_xcalloc((size_t)jobs, sizeof(*contexts));
	if (!s)
		s = make_contexts(sc, ctx, jobs, contexts);
	if (!s) {
		struct study_pool p = {sc,       cb,   runs,  n,        queue, nqueue,   0,
				       contexts, jobs, {{0}}, AMPCL_OK, NULL,  after_run};
		pthread_mutex_init(&p.mu, NULL);
		ampcl_status stop = study_pool_run(&p);
		pthread_mutex_destroy(&p.mu);
		char *stop_message = stop ? ampcl_xstrdup(ampcl_last_error()) : NULL;
		free(p.stop_message);
		if (mpi.size > 1 && mpi.rank) {
			/* rank 0 reports; this rank's status is its interruption alone */
			s = study_send_outcomes(&p, stop);
			if (!s && stop)
				s = ampcl_error_set(stop, "%s", stop_message);
		} else {
			if (mpi.size > 1) {
				s = study_gather_outcomes(&p, mpi.size, &stop, &stop_message);
				if (!s)
					s = write_results(runs, n, dir);
				if (!s)
					s = report(cb, runs, n);
			}
			if (!s && stop)
				s = ampcl_error_set(stop, "%s", stop_message);
			else if (!s)
				s = outcome(runs, n);
		}
		free(stop_message);
	}
	for (int j = 0; j < jobs; j++)
		if (contexts[j] && contexts[j] != ctx)
			ampcl_context_free(contexts[j]);
	free(contexts);
	free(queue);
	for (int i = 0; i < n; i++)
		free(runs[i].history), free(runs[i].error);
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
