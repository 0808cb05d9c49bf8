/* study_report.c: a study's results.md (per configuration mean ± sd over seeds, every run) and
 * its plots: accuracy.png (every run's test accuracy), final.png (final accuracy per config). */
#include "plot.h"
#include "report.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Mean and sd over seeds of configuration `config`'s final accuracy, its mean best accuracy and
 * the mean epochs to the target of the runs that reached it. */
static void mean_std(const struct ampcl_study_result *runs, int n, int config, double *mean,
		     double *sd, double *best, double *reach, int *count)
{
	double s = 0, s2 = 0, b = 0, r = 0;
	int k = 0, kr = 0;
	for (int i = 0; i < n; i++)
		if (runs[i].config == config && isfinite(runs[i].final)) {
			s += runs[i].final, s2 += runs[i].final * runs[i].final, b += runs[i].best;
			k++;
			if (runs[i].reach >= 0)
				r += runs[i].reach, kr++;
		}
	*count = k;
	*mean = k ? s / k : NAN;
	*sd = k > 1 ? sqrt(fmax(0, (s2 - s * s / k) / (k - 1))) : 0;
	*best = k ? b / k : NAN;
	*reach = kr ? r / kr : NAN;
}

static int configs(const struct ampcl_study_result *runs, int n)
{
	int nconf = 0;
	for (int i = 0; i < n; i++)
		nconf = runs[i].config + 1 > nconf ? runs[i].config + 1 : nconf;
	return nconf;
}

static ampcl_status write_markdown(const ampcl_study_config_t *sc,
				   const struct ampcl_study_result *runs, int n)
{
	char path[4400];
	snprintf(path, sizeof(path), "%.4096s/results.md",
		 report_setting(ampcl_study_config_base(sc), "out"));
	ampcl_atomic_file_t *a;
	FILE *f;
	ampcl_status st = ampcl_atomic_file_open(path, &a, &f);
	if (st)
		return st;
	const ampcl_train_config_t *b = ampcl_study_config_base(sc);
	const char *subset = report_setting(b, "subset");
	fprintf(f, "# ampcl study\n\n%s width %s, batch %s, %s epochs, ",
		report_setting(b, "model"), report_setting(b, "width"), report_setting(b, "batch"),
		report_setting(b, "epochs"));
	fprintf(f, "lr schedule %s, data %s%s%s\n\n", report_setting(b, "lr_schedule"),
		report_setting(b, "data"), strcmp(subset, "0") ? ", subset " : "",
		strcmp(subset, "0") ? subset : "");
	fprintf(f, "| configuration | runs | final test acc (mean ± sd) | best test acc (mean) |");
	if (ampcl_study_config_target(sc) > 0)
		fprintf(f, " epochs to reach %.1f%% (mean of the runs that do) |",
			100 * ampcl_study_config_target(sc));
	fprintf(f, "\n|---|---:|---:|---:|%s\n", ampcl_study_config_target(sc) > 0 ? "---:|" : "");
	for (int c = 0; c < configs(runs, n); c++) {
		int first = -1;
		for (int i = 0; i < n && first < 0; i++)
			if (runs[i].config == c)
				first = i;
		if (first < 0)
			continue;
		double mean, sd, best, reach;
		int k;
		mean_std(runs, n, c, &mean, &sd, &best, &reach, &k);
		fprintf(f, "| %s | %d | %.2f%% ± %.2f | %.2f%% |", runs[first].label, k, 100 * mean,
			100 * sd, 100 * best);
		if (ampcl_study_config_target(sc) > 0) {
			if (isfinite(reach))
				fprintf(f, " %.1f |", reach);
			else
				fprintf(f, " never |");
		}
		fprintf(f, "\n");
	}
	fprintf(f, "\n## Runs\n\n| run | best | final | epochs to reach the target (-1: never) | "
		   "seconds |\n|---|---:|---:|---:|---:|\n");
	for (int i = 0; i < n; i++)
		fprintf(f, "| %s | %.2f%% | %.2f%% | %d | %.0f |\n", runs[i].name,
			100 * runs[i].best, 100 * runs[i].final, runs[i].reach, runs[i].seconds);
	fprintf(f, "\n![test accuracy against epoch](accuracy.png)\n\n"
		   "![final accuracy per configuration](final.png)\n");
	return ampcl_atomic_file_commit(a);
}

static ampcl_status write_plots(const char *dir, const struct ampcl_study_result *runs, int n)
{
	int nconf = configs(runs, n);
	size_t nl = n > 0 ? (size_t)n : 1, nb = nconf > 0 ? (size_t)nconf : 1;
	struct ampcl_plot_line *lines = report_alloc(nl, sizeof(*lines));
	struct ampcl_plot_line *bars = report_alloc(nb, sizeof(*bars));
	size_t points = 0;
	for (int i = 0; i < n; i++)
		points += runs[i].epochs > 0 ? (size_t)runs[i].epochs : 0;
	double *xy = report_alloc(2 * points + nb * 3 + 1, sizeof(double));
	double *p = xy;
	/* only the evaluated epochs (--eval-every), so each run is one joined line */
	for (int i = 0; i < n; i++) {
		int m = 0;
		for (int e = 0; e < runs[i].epochs; e++)
			m += isfinite(runs[i].history[e].test_acc);
		lines[i] = (struct ampcl_plot_line){runs[i].name, p, p + m, m, NULL, 0};
		for (int e = 0, j = 0; e < runs[i].epochs && j < m; e++)
			if (isfinite(runs[i].history[e].test_acc)) {
				p[j] = runs[i].history[e].epoch;
				p[m + j] = 100 * runs[i].history[e].test_acc;
				j++;
			}
		p += 2 * m;
	}
	for (int c = 0; c < nconf; c++) {
		double mean, sd, best, reach;
		int k;
		mean_std(runs, n, c, &mean, &sd, &best, &reach, &k);
		const char *label = "";
		for (int i = 0; i < n; i++)
			if (runs[i].config == c)
				label = runs[i].label;
		p[0] = c + 1, p[1] = 100 * mean, p[2] = 100 * sd;
		bars[c] = (struct ampcl_plot_line){label, p, p + 1, 1, p + 2, 0};
		p += 3;
	}
	struct ampcl_plot_panel curves = {
	    "test accuracy, every run", "epoch", "test accuracy (%)", lines, n, 0, 0, 0};
	struct ampcl_plot_panel final = {"final test accuracy: mean and sd over seeds",
					 "configuration",
					 "test accuracy (%)",
					 bars,
					 nconf,
					 1,
					 0,
					 0};
	char path[4400];
	snprintf(path, sizeof(path), "%.4096s/accuracy.png", dir);
	ampcl_status s = ampcl_plot_write_png(path, &curves, 1, 1100, 620);
	snprintf(path, sizeof(path), "%.4096s/final.png", dir);
	if (!s)
		s = ampcl_plot_write_png(path, &final, 1, 1100, 620);
	free(lines), free(bars), free(xy);
	return s;
}

ampcl_status report_study(const ampcl_study_config_t *sc, const struct ampcl_study_result *runs,
			  int done, int total)
{
	ampcl_status s = write_markdown(sc, runs, done);
	/* the plots once every run is in: a long study's table can be read while it goes on */
	if (!s && done == total)
		s = write_plots(report_setting(ampcl_study_config_base(sc), "out"), runs, done);
	return s;
}
