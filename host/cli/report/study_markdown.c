/* study_markdown.c: a study's results.md: the configurations, the paired differences, a verdict
 * per rate, the layers amplified, every run, and links to the plots. */
#include "study_report_internal.h"

#include <stdio.h>
#include <string.h>

/* "mean ± sd" in percent, "mean" alone for one value, "-" for none. */
static void put_mean_sd(FILE *f, const struct study_summary *s, const char *unit)
{
	if (s->n < 1)
		fprintf(f, " - |");
	else if (s->n < 2)
		fprintf(f, " %.2f%s |", s->mean, unit);
	else
		fprintf(f, " %.2f%s ± %.2f |", s->mean, unit, s->sd);
}

static void put_difference(FILE *f, const struct study_summary *s)
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
static void put_verdict(FILE *f, const struct study_conf *k)
{
	const struct study_summary *d = &k->dfinal;
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

/* The layers listed per configuration; the others are counted in one sentence. */
#define TOP_LAYERS 8

/* The layers configuration k chose, as a section: a sentence on what was read, then a table. */
static void put_layers(FILE *f, const char *out, const struct ampcl_study_result *runs, int n,
		       const struct study_conf *k)
{
	struct study_layer_tally t = {0};
	study_layers_tally(&t, out, runs, n, k);
	fprintf(f, "### %s\n\n", k->label);
	if (!t.selections) {
		fprintf(f, "no amp.log with a selection in its %d finished run%s%s.\n\n",
			k->finished, k->finished == 1 ? "" : "s",
			t.malformed ? " (an amp.log without a readable line counts as none)" : "");
		study_layers_free(&t);
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
	for (int i = 0; i < t.n && i < TOP_LAYERS; i++)
		fprintf(f, "| %s | %.0f%% (%d of %d) |\n", t.layers[i].name,
			100.0 * t.layers[i].count / t.selections, t.layers[i].count, t.selections);
	if (t.n > TOP_LAYERS)
		fprintf(f, "\nand %d other layer%s chosen less often.\n", t.n - TOP_LAYERS,
			t.n - TOP_LAYERS == 1 ? "" : "s");
	fprintf(f, "\n");
	study_layers_free(&t);
}

/* A failed run's message on one table row: '|' and line breaks would end the cell. */
static void put_cell(FILE *f, const char *s)
{
	for (; *s; s++)
		fputc(*s == '|' ? '/' : *s == '\n' || *s == '\r' ? ' ' : *s, f);
}

ampcl_status study_write_markdown(const ampcl_study_config_t *sc,
				  const struct ampcl_study_result *runs, int n, int total,
				  const struct study_conf *confs, int m)
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
		failed += !study_run_finished(&runs[i]);
	fprintf(f, "Runs: %d of %d done, %d failed%s.\n\n", n, total, failed,
		failed ? " (left out of every statistic and plot)" : "");

	fprintf(
	    f, "## Configurations\n\nTest accuracy over the finished runs (one per seed).\n\n"
	       "| configuration | runs | final test acc (mean ± sd) | best test acc (mean ± sd) |");
	if (target > 0)
		fprintf(f, " epochs to reach %.1f%% (mean of the runs that do) |", 100 * target);
	fprintf(f, " seconds (mean) |\n|---|---:|---:|---:|%s---:|\n", target > 0 ? "---:|" : "");
	for (int c = 0; c < m; c++) {
		const struct study_conf *k = &confs[c];
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
		const struct study_conf *k = &confs[c];
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
		if (study_run_finished(r)) {
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
		"![training loss against epochs trained](train_loss.png)\n\n"
		"![final accuracy per configuration](final.png)\n",
		n < total ? "Plots (drawn once every run is done):\n\n" : "");
	if (study_has_diff(confs, m))
		fprintf(f, "\n![amplified - not amplified, final accuracy](diff.png)\n");
	return ampcl_atomic_file_commit(a);
}
