/* study_report.c: a study's results.md, written to answer "does gradient amplification help?"
 * (amplified minus baseline paired by seed, with Student's t intervals and a verdict per rate,
 * the layers amplified, every run) and its plots accuracy.png, final.png and diff.png. */
#include "plot.h"
#include "report.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Student's t, 0.975 quantile, for 1..30 degrees of freedom; the normal's 1.96 beyond. */
static const double t975_table[30] = {
    12.7062, 4.3027, 3.1824, 2.7764, 2.5706, 2.4469, 2.3646, 2.3060, 2.2622, 2.2281,
    2.2010,  2.1788, 2.1604, 2.1448, 2.1314, 2.1199, 2.1098, 2.1009, 2.0930, 2.0860,
    2.0796,  2.0739, 2.0687, 2.0639, 2.0595, 2.0555, 2.0518, 2.0484, 2.0452, 2.0423,
};

double report_t975(int df)
{
	if (df < 1)
		return NAN;
	return df <= 30 ? t975_table[df - 1] : 1.96;
}

/* Mean, sample sd and a 95% t interval of n values; sd, lo and hi are NaN for n < 2. */
struct summary {
	int n;
	double mean, sd, lo, hi;
};

static struct summary summarize(const double *v, int n)
{
	struct summary s = {n, NAN, NAN, NAN, NAN};
	if (n < 1)
		return s;
	double sum = 0;
	for (int i = 0; i < n; i++)
		sum += v[i];
	s.mean = sum / n;
	if (n < 2)
		return s;
	double ss = 0;
	for (int i = 0; i < n; i++)
		ss += (v[i] - s.mean) * (v[i] - s.mean);
	s.sd = sqrt(ss / (n - 1));
	double half = report_t975(n - 1) * s.sd / sqrt(n);
	s.lo = s.mean - half, s.hi = s.mean + half;
	return s;
}

/* One configuration of the study with at least one run done. */
struct conf {
	int index; /* the study's configuration index */
	const char *label;
	double lr;
	int amplified;                       /* amp_epochs is neither empty nor "none" */
	int done, finished;                  /* runs done, and those of them that did not fail */
	struct summary final, best, seconds; /* accuracies in percent, over finished runs */
	int reached;                         /* finished runs that reached the target */
	double reach_mean;                   /* their mean epochs to it */
	int baseline; /* amplified: the baseline at the same rate (into confs); -1 none */
	struct summary dfinal, dbest; /* amplified - baseline, points, paired by seed */
};

static int finished(const struct ampcl_study_result *r)
{
	return !r->error;
}

static double run_lr(const struct ampcl_study_result *r)
{
	return strtod(report_setting(r->cfg, "lr"), NULL);
}

static int run_amplified(const struct ampcl_study_result *r)
{
	const char *e = report_setting(r->cfg, "amp_epochs");
	return *e && strcmp(e, "none");
}

/* The differences amplified - baseline (in points) of the seeds both have finished. */
static void pair(const struct ampcl_study_result *runs, int n, struct conf *a, const struct conf *b)
{
	double *df = report_alloc((size_t)n, sizeof(double));
	double *db = report_alloc((size_t)n, sizeof(double));
	int k = 0;
	for (int i = 0; i < n; i++) {
		const struct ampcl_study_result *x = &runs[i];
		if (x->config != a->index || !finished(x) || !isfinite(x->final))
			continue;
		char seed[64];
		snprintf(seed, sizeof(seed), "%s", report_setting(x->cfg, "seed"));
		for (int j = 0; j < n; j++) {
			const struct ampcl_study_result *y = &runs[j];
			if (y->config != b->index || !finished(y) || !isfinite(y->final) ||
			    strcmp(seed, report_setting(y->cfg, "seed")))
				continue;
			df[k] = 100 * (x->final - y->final);
			db[k] = 100 * (x->best - y->best);
			k++;
			break;
		}
	}
	a->dfinal = summarize(df, k);
	a->dbest = summarize(db, k);
	free(df), free(db);
}

/* The configurations with a run done, in the study's order, with their statistics. */
static struct conf *collect(const struct ampcl_study_result *runs, int n, int *nconf)
{
	int top = 0;
	for (int i = 0; i < n; i++)
		top = runs[i].config + 1 > top ? runs[i].config + 1 : top;
	struct conf *confs = report_alloc((size_t)top, sizeof(*confs));
	double *v = report_alloc((size_t)n * 3, sizeof(double));
	double *best = v + n, *secs = v + 2 * n;
	int m = 0;
	for (int c = 0; c < top; c++) {
		struct conf *k = &confs[m];
		memset(k, 0, sizeof(*k));
		k->index = c, k->baseline = -1;
		double reach = 0;
		for (int i = 0; i < n; i++) {
			const struct ampcl_study_result *r = &runs[i];
			if (r->config != c)
				continue;
			if (!k->done++) {
				k->label = r->label;
				k->lr = run_lr(r);
				k->amplified = run_amplified(r);
			}
			if (!finished(r) || !isfinite(r->final))
				continue;
			v[k->finished] = 100 * r->final, best[k->finished] = 100 * r->best;
			secs[k->finished++] = r->seconds;
			if (r->reach >= 0)
				reach += r->reach, k->reached++;
		}
		if (!k->done)
			continue;
		k->final = summarize(v, k->finished);
		k->best = summarize(best, k->finished);
		k->seconds = summarize(secs, k->finished);
		k->reach_mean = k->reached ? reach / k->reached : NAN;
		m++;
	}
	for (int a = 0; a < m; a++) {
		if (!confs[a].amplified)
			continue;
		for (int b = 0; b < m && confs[a].baseline < 0; b++)
			if (!confs[b].amplified && confs[b].lr == confs[a].lr)
				confs[a].baseline = b;
		if (confs[a].baseline >= 0)
			pair(runs, n, &confs[a], &confs[confs[a].baseline]);
	}
	free(v);
	*nconf = m;
	return confs;
}

/* ---- results.md ---- */

/* "mean ± sd" in percent, "mean" alone for one value, "-" for none. */
static void put_mean_sd(FILE *f, const struct summary *s, const char *unit)
{
	if (s->n < 1)
		fprintf(f, " - |");
	else if (s->n < 2)
		fprintf(f, " %.2f%s |", s->mean, unit);
	else
		fprintf(f, " %.2f%s ± %.2f |", s->mean, unit, s->sd);
}

static void put_difference(FILE *f, const struct summary *s)
{
	if (s->n < 1) {
		fprintf(f, " - | - | - |");
		return;
	}
	if (s->n < 2) {
		fprintf(f, " %+.2f | - | n < 2: cannot be computed |", s->mean);
		return;
	}
	fprintf(f, " %+.2f | %.2f | %+.2f to %+.2f |", s->mean, s->sd, s->lo, s->hi);
}

/* The verdict on one amplified configuration: one sentence, judged on the final accuracy. */
static void put_verdict(FILE *f, const struct conf *k)
{
	const struct summary *d = &k->dfinal;
	fprintf(f, "- At %s: ", k->label);
	if (k->baseline < 0) {
		fprintf(f, "no run without amplification at lr %g to compare with.\n", k->lr);
		return;
	}
	const char *undecided = "could not be told apart from no amplification";
	if (d->n < 1) {
		fprintf(f, "%s: no seed has finished both with and without it yet.\n", undecided);
		return;
	}
	if (d->n < 2) {
		fprintf(f,
			"%s: final accuracy %+.2f points on the one seed finished both ways, too "
			"few for a confidence interval.\n",
			undecided, d->mean);
		return;
	}
	const char *what = d->lo > 0   ? "amplification helped"
			   : d->hi < 0 ? "amplification hurt"
				       : undecided;
	fprintf(f, "%s: final accuracy %+.2f points (95%% CI %+.2f to %+.2f, %d seeds).\n", what,
		d->mean, d->lo, d->hi, d->n);
}

/* ---- the layers amplified, from each run's amp.log ---- */

struct layer_count {
	char *name;
	int count, order;
};

struct layer_tally {
	struct layer_count *layers;
	int n, cap;
	int selections; /* (run, epoch) selections read */
	int runs, missing, malformed, redrawn;
};

static void tally_name(struct layer_tally *t, const char *name)
{
	for (int i = 0; i < t->n; i++)
		if (!strcmp(t->layers[i].name, name)) {
			t->layers[i].count++;
			return;
		}
	if (t->n == t->cap) {
		t->cap = t->cap ? 2 * t->cap : 32;
		struct layer_count *grown = report_alloc((size_t)t->cap, sizeof(*grown));
		if (t->n)
			memcpy(grown, t->layers, (size_t)t->n * sizeof(*grown));
		free(t->layers);
		t->layers = grown;
	}
	size_t len = strlen(name) + 1;
	t->layers[t->n].name = memcpy(report_alloc(len, 1), name, len);
	t->layers[t->n].count = 1;
	t->layers[t->n].order = t->n;
	t->n++;
}

/* One selection: the names separated by spaces or commas, each counted once. */
static void tally_selection(struct layer_tally *t, char *names)
{
	char *seen[512];
	int nseen = 0;
	t->selections++;
	for (char *save = NULL, *tok = strtok_r(names, " ,\t\r\n", &save); tok;
	     tok = strtok_r(NULL, " ,\t\r\n", &save)) {
		int dup = 0;
		for (int i = 0; i < nseen && !dup; i++)
			dup = !strcmp(seen[i], tok);
		if (dup)
			continue;
		if (nseen < (int)(sizeof(seen) / sizeof(seen[0])))
			seen[nseen++] = tok;
		tally_name(t, tok);
	}
}

/* A line of amp.log, "epoch N amplification: [how: ]K of M eligible layers xF: name name ..."
 * (trainer.c's log_selection, amp.c's ampcl_amp_describe): its epoch and where the names
 * start; 0 for any other line. */
static int parse_amp_line(char *line, int *epoch, char **names)
{
	int used = 0;
	if (sscanf(line, "epoch %d amplification: %n", epoch, &used) != 1 || !used)
		return 0;
	char *p = strstr(line + used, "eligible layers x");
	if (!p || !(p = strchr(p, ':')))
		return 0;
	*names = p + 1;
	return 1;
}

/* Reads dir/amp.log: an epoch logged twice (a run resumed within it) counts once, its last
 * line. */
static void tally_run(struct layer_tally *t, const char *dir)
{
	char path[4400];
	snprintf(path, sizeof(path), "%.4096s/amp.log", dir);
	FILE *f = fopen(path, "r");
	if (!f) {
		t->missing++;
		return;
	}
	char **lines = NULL, *line = NULL;
	int *epochs = NULL, n = 0, cap = 0, redrawn = 0;
	size_t size = 0;
	while (getline(&line, &size, f) > 0) {
		int epoch;
		char *names;
		if (!parse_amp_line(line, &epoch, &names))
			continue;
		redrawn |= strstr(line, "redrawn every step") != NULL;
		if (n == cap) {
			cap = cap ? 2 * cap : 16;
			char **l2 = report_alloc((size_t)cap, sizeof(*l2));
			int *e2 = report_alloc((size_t)cap, sizeof(*e2));
			if (n) {
				memcpy(l2, lines, (size_t)n * sizeof(*l2));
				memcpy(e2, epochs, (size_t)n * sizeof(*e2));
			}
			free(lines), free(epochs);
			lines = l2, epochs = e2;
		}
		size_t len = strlen(names) + 1;
		lines[n] = memcpy(report_alloc(len, 1), names, len);
		epochs[n++] = epoch;
	}
	free(line);
	fclose(f);
	for (int i = 0; i < n; i++) {
		int later = 0;
		for (int j = i + 1; j < n && !later; j++)
			later = epochs[j] == epochs[i];
		if (!later)
			tally_selection(t, lines[i]);
		free(lines[i]);
	}
	free(lines), free(epochs);
	if (n)
		t->runs++, t->redrawn += redrawn;
	else
		t->malformed++;
}

static int by_count(const void *pa, const void *pb)
{
	const struct layer_count *a = pa, *b = pb;
	if (a->count != b->count)
		return b->count - a->count;
	return a->order - b->order;
}

#define TOP_LAYERS 8

static void put_layers(FILE *f, const char *out, const struct ampcl_study_result *runs, int n,
		       const struct conf *k)
{
	struct layer_tally t = {0};
	for (int i = 0; i < n; i++) {
		if (runs[i].config != k->index || !finished(&runs[i]))
			continue;
		char dir[4400];
		snprintf(dir, sizeof(dir), "%.4096s/runs/%.200s", out, runs[i].name);
		tally_run(&t, dir);
	}
	fprintf(f, "### %s\n\n", k->label);
	if (!t.selections) {
		fprintf(f, "no amp.log with a selection in its %d finished run%s%s.\n\n",
			k->finished, k->finished == 1 ? "" : "s",
			t.malformed ? " (an amp.log without a readable line counts as none)" : "");
		free(t.layers);
		return;
	}
	fprintf(f, "%d selections (one per run and amplified epoch) from %d run%s", t.selections,
		t.runs, t.runs == 1 ? "" : "s");
	if (t.missing)
		fprintf(f, "; %d run%s: no amp.log", t.missing, t.missing == 1 ? "" : "s");
	if (t.malformed)
		fprintf(f, "; %d run%s: no amp.log line could be read", t.malformed,
			t.malformed == 1 ? "" : "s");
	if (t.redrawn)
		fprintf(f, "; layers redrawn every step are counted by each epoch's first draw");
	fprintf(f, ".\n\n| layer | share of selections |\n|---|---:|\n");
	qsort(t.layers, (size_t)t.n, sizeof(*t.layers), by_count);
	for (int i = 0; i < t.n && i < TOP_LAYERS; i++)
		fprintf(f, "| %s | %.0f%% (%d of %d) |\n", t.layers[i].name,
			100.0 * t.layers[i].count / t.selections, t.layers[i].count, t.selections);
	if (t.n > TOP_LAYERS)
		fprintf(f, "\nand %d other layer%s chosen less often.\n", t.n - TOP_LAYERS,
			t.n - TOP_LAYERS == 1 ? "" : "s");
	fprintf(f, "\n");
	for (int i = 0; i < t.n; i++)
		free(t.layers[i].name);
	free(t.layers);
}

/* A failed run's message on one table row: '|' and line breaks would end the cell. */
static void put_cell(FILE *f, const char *s)
{
	for (; *s; s++)
		fputc(*s == '|' ? '/' : *s == '\n' || *s == '\r' ? ' ' : *s, f);
}

static int has_diff(const struct conf *confs, int m)
{
	for (int c = 0; c < m; c++)
		if (confs[c].amplified && confs[c].dfinal.n > 0)
			return 1;
	return 0;
}

static ampcl_status write_markdown(const ampcl_study_config_t *sc,
				   const struct ampcl_study_result *runs, int n, int total,
				   const struct conf *confs, int m)
{
	const ampcl_train_config_t *b = ampcl_study_config_base(sc);
	char out[4200], path[4400];
	snprintf(out, sizeof(out), "%s", report_setting(b, "out"));
	snprintf(path, sizeof(path), "%.4096s/results.md", out);
	ampcl_atomic_file_t *a;
	FILE *f;
	ampcl_status st = ampcl_atomic_file_open(path, &a, &f);
	if (st)
		return st;
	double target = ampcl_study_config_target(sc);
	const char *subset = report_setting(b, "subset");
	fprintf(f, "# ampcl study\n\n%s width %s, batch %s, %s epochs, ",
		report_setting(b, "model"), report_setting(b, "width"), report_setting(b, "batch"),
		report_setting(b, "epochs"));
	fprintf(f, "lr schedule %s, data %s%s%s\n\n", report_setting(b, "lr_schedule"),
		report_setting(b, "data"), strcmp(subset, "0") ? ", subset " : "",
		strcmp(subset, "0") ? subset : "");
	int failed = 0;
	for (int i = 0; i < n; i++)
		failed += !finished(&runs[i]);
	fprintf(f, "Runs: %d of %d done, %d failed%s.\n\n", n, total, failed,
		failed ? " (left out of every statistic and plot)" : "");

	fprintf(
	    f, "## Configurations\n\nTest accuracy over the finished runs (one per seed).\n\n"
	       "| configuration | runs | final test acc (mean ± sd) | best test acc (mean ± sd) |");
	if (target > 0)
		fprintf(f, " epochs to reach %.1f%% (mean of the runs that do) |", 100 * target);
	fprintf(f, " seconds (mean) |\n|---|---:|---:|---:|%s---:|\n", target > 0 ? "---:|" : "");
	for (int c = 0; c < m; c++) {
		const struct conf *k = &confs[c];
		fprintf(f, "| %s | %d", k->label, k->finished);
		if (k->done > k->finished)
			fprintf(f, " (+%d failed)", k->done - k->finished);
		fprintf(f, " |");
		put_mean_sd(f, &k->final, "%");
		put_mean_sd(f, &k->best, "%");
		if (target > 0) {
			if (k->reached)
				fprintf(f, " %.1f (%d of %d reach it) |", k->reach_mean, k->reached,
					k->finished);
			else
				fprintf(f, " never (0 of %d reach it) |", k->finished);
		}
		if (k->seconds.n)
			fprintf(f, " %.0f |\n", k->seconds.mean);
		else
			fprintf(f, " - |\n");
	}

	fprintf(f,
		"\n## Amplified − not amplified (paired by seed)\n\n"
		"Each amplified configuration against the configuration without amplification at "
		"the same learning rate, over the seeds both have finished: the mean difference "
		"in test accuracy (percentage points), its sd, and a 95%% confidence interval "
		"(Student's t, n − 1 degrees of freedom).\n\n"
		"| amplified configuration | seeds | final: mean diff | sd | 95%% CI | "
		"best: mean diff | sd | 95%% CI |\n|---|---:|---:|---:|---:|---:|---:|---:|\n");
	int namp = 0;
	for (int c = 0; c < m; c++) {
		const struct conf *k = &confs[c];
		if (!k->amplified)
			continue;
		namp++;
		if (k->baseline < 0) {
			fprintf(f, "| %s | 0 | no baseline at lr %g | | | | | |\n", k->label,
				k->lr);
			continue;
		}
		fprintf(f, "| %s | %d |", k->label, k->dfinal.n);
		put_difference(f, &k->dfinal);
		put_difference(f, &k->dbest);
		fprintf(f, "\n");
	}
	if (!namp)
		fprintf(f, "\nNo amplified run is done yet.\n");

	fprintf(f, "\n## Verdict\n\nJudged on the final test accuracy: helped when the whole "
		   "95%% interval of the difference lies above 0, hurt when it lies below.\n\n");
	for (int c = 0; c < m; c++) {
		/* one sentence per rate: its amplified configurations, or that it has none */
		int first = 1;
		for (int p = 0; p < c && first; p++)
			first = confs[p].lr != confs[c].lr;
		if (!first)
			continue;
		int any = 0;
		for (int d = c; d < m; d++)
			if (confs[d].lr == confs[c].lr && confs[d].amplified)
				put_verdict(f, &confs[d]), any = 1;
		if (!any)
			fprintf(f, "- At lr %g: no amplified run is done yet to compare with.\n",
				confs[c].lr);
	}

	if (namp) {
		fprintf(f, "\n## Layers amplified\n\nThe layers each amplified configuration chose "
			   "most often, from its finished runs' amp.log.\n\n");
		for (int c = 0; c < m; c++)
			if (confs[c].amplified)
				put_layers(f, out, runs, n, &confs[c]);
	}

	fprintf(f, "\n## Runs\n\n| run | seed | status | best | final | epochs to reach the target "
		   "(-1: never) | seconds |\n|---|---:|---|---:|---:|---:|---:|\n");
	for (int i = 0; i < n; i++) {
		const struct ampcl_study_result *r = &runs[i];
		fprintf(f, "| %s | %s | ", r->name, report_setting(r->cfg, "seed"));
		if (finished(r)) {
			fprintf(f, "ok | %.2f%% | %.2f%% | %d | %.0f |\n", 100 * r->best,
				100 * r->final, r->reach, r->seconds);
		} else {
			fprintf(f, "failed: ");
			put_cell(f, r->error);
			fprintf(f, " | - | - | - | - |\n");
		}
	}
	fprintf(f,
		"\n%s![test accuracy against epoch](accuracy.png)\n\n"
		"![final accuracy per configuration](final.png)\n",
		n < total ? "Plots (drawn once every run is done):\n\n" : "");
	if (has_diff(confs, m))
		fprintf(f, "\n![amplified - not amplified, final accuracy](diff.png)\n");
	return ampcl_atomic_file_commit(a);
}

/* ---- plots ---- */

/* accuracy.png: per configuration, the mean test accuracy over its finished runs against
 * epoch, the band from the lowest to the highest run. */
static ampcl_status plot_accuracy(const char *path, const struct ampcl_study_result *runs, int n,
				  const struct conf *confs, int m)
{
	struct ampcl_plot_line *lines = report_alloc((size_t)m, sizeof(*lines));
	int *top = report_alloc((size_t)m, sizeof(int));
	size_t points = 0;
	for (int c = 0; c < m; c++) {
		for (int i = 0; i < n; i++)
			if (runs[i].config == confs[c].index && finished(&runs[i]))
				for (int e = 0; e < runs[i].epochs; e++)
					if (runs[i].history[e].epoch + 1 > top[c])
						top[c] = runs[i].history[e].epoch + 1;
		points += (size_t)top[c];
	}
	double *v = report_alloc(5 * points + 1, sizeof(double)), *p = v;
	for (int c = 0; c < m; c++) {
		int t = top[c], k = 0;
		double *x = p, *mean = p + t, *lo = p + 2 * t, *hi = p + 3 * t, *cnt = p + 4 * t;
		for (int e = 0; e < t; e++)
			mean[e] = 0, lo[e] = INFINITY, hi[e] = -INFINITY;
		for (int i = 0; i < n; i++) {
			if (runs[i].config != confs[c].index || !finished(&runs[i]))
				continue;
			for (int e = 0; e < runs[i].epochs; e++) {
				const struct ampcl_epoch_record *r = &runs[i].history[e];
				if (r->epoch < 0 || !isfinite(r->test_acc))
					continue;
				mean[r->epoch] += 100 * r->test_acc, cnt[r->epoch]++;
				lo[r->epoch] = fmin(lo[r->epoch], 100 * r->test_acc);
				hi[r->epoch] = fmax(hi[r->epoch], 100 * r->test_acc);
			}
		}
		/* only evaluated epochs (--eval-every), so each configuration is one joined line */
		for (int e = 0; e < t; e++)
			if (cnt[e] > 0) {
				x[k] = e, mean[k] = mean[e] / cnt[e], lo[k] = lo[e], hi[k] = hi[e];
				k++;
			}
		lines[c] = (struct ampcl_plot_line){confs[c].label, x, mean, k, NULL, 0, lo, hi};
		p += 5 * (size_t)t;
	}
	struct ampcl_plot_panel panel = {
	    "test accuracy: mean over seeds, band from lowest to highest",
	    "epoch",
	    "test accuracy (%)",
	    lines,
	    m,
	    0,
	    0,
	    0};
	ampcl_status s = ampcl_plot_write_png(path, &panel, 1, 1100, 620);
	free(lines), free(top), free(v);
	return s;
}

/* final.png: per configuration, the final accuracy's mean and sd over its finished runs. */
static ampcl_status plot_final(const char *path, const struct conf *confs, int m)
{
	struct ampcl_plot_line *bars = report_alloc((size_t)m, sizeof(*bars));
	double *v = report_alloc(3 * (size_t)m, sizeof(double));
	for (int c = 0; c < m; c++) {
		double *p = v + 3 * c;
		p[0] = c + 1, p[1] = confs[c].final.mean, p[2] = confs[c].final.sd;
		bars[c] =
		    (struct ampcl_plot_line){confs[c].label, p, p + 1, 1, p + 2, 0, NULL, NULL};
	}
	struct ampcl_plot_panel panel = {"final test accuracy: mean and sd over seeds",
					 "configuration",
					 "test accuracy (%)",
					 bars,
					 m,
					 1,
					 0,
					 0};
	ampcl_status s = ampcl_plot_write_png(path, &panel, 1, 1100, 620);
	free(bars), free(v);
	return s;
}

/* diff.png: per amplified configuration, the paired mean difference in final accuracy and its
 * 95% interval, against a line at 0 (no difference). */
static ampcl_status plot_diff(const char *path, const struct conf *confs, int m)
{
	struct ampcl_plot_line *lines = report_alloc((size_t)m + 1, sizeof(*lines));
	double *v = report_alloc(3 * (size_t)m + 4, sizeof(double));
	int k = 0;
	for (int c = 0; c < m; c++) {
		const struct summary *d = &confs[c].dfinal;
		if (!confs[c].amplified || d->n < 1)
			continue;
		double *p = v + 3 * k;
		p[0] = k + 1, p[1] = d->mean, p[2] = d->n > 1 ? d->hi - d->mean : NAN;
		lines[k++] =
		    (struct ampcl_plot_line){confs[c].label, p, p + 1, 1, p + 2, 1, NULL, NULL};
	}
	double *zx = v + 3 * m, *zy = zx + 2;
	zx[0] = 0, zx[1] = k + 1, zy[0] = zy[1] = 0; /* whole numbers: ticks at configurations */
	lines[k] = (struct ampcl_plot_line){"no difference", zx, zy, 2, NULL, 0, NULL, NULL};
	struct ampcl_plot_panel panel = {
	    "amplified - not amplified: final accuracy, mean and 95% CI over paired seeds",
	    "amplified configuration",
	    "difference (percentage points)",
	    lines,
	    k + 1,
	    0,
	    0,
	    0};
	ampcl_status s = ampcl_plot_write_png(path, &panel, 1, 1100, 620);
	free(lines), free(v);
	return s;
}

static ampcl_status write_plots(const char *dir, const struct ampcl_study_result *runs, int n,
				const struct conf *confs, int m)
{
	char path[4400];
	snprintf(path, sizeof(path), "%.4096s/accuracy.png", dir);
	ampcl_status s = plot_accuracy(path, runs, n, confs, m);
	snprintf(path, sizeof(path), "%.4096s/final.png", dir);
	if (!s)
		s = plot_final(path, confs, m);
	snprintf(path, sizeof(path), "%.4096s/diff.png", dir);
	if (!s && has_diff(confs, m))
		s = plot_diff(path, confs, m);
	return s;
}

ampcl_status report_study(const ampcl_study_config_t *sc, const struct ampcl_study_result *runs,
			  int done, int total)
{
	int m;
	struct conf *confs = collect(runs, done, &m);
	ampcl_status s = write_markdown(sc, runs, done, total, confs, m);
	/* the plots once every run is in: a long study's tables can be read while it goes on */
	if (!s && done == total) {
		char dir[4200];
		snprintf(dir, sizeof(dir), "%s",
			 report_setting(ampcl_study_config_base(sc), "out"));
		s = write_plots(dir, runs, done, confs, m);
	}
	free(confs);
	return s;
}
