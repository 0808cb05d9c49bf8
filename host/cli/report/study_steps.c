/* study_steps.c: a study's train_loss.png: per configuration, the training loss of its finished
 * runs' steps.csv against epochs trained, the mean over seeds with a band lowest to highest. */
#include "plot.h"
#include "study_report_internal.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>

/* Configuration c's curve from its runs' rows (steps[i] for run i): at each row of its first run
 * with rows, the mean, lowest and highest loss of the runs that have a row at that epoch. */
static void mean_curve(const struct ampcl_study_result *runs, int n,
		       const struct report_steps *steps, const struct study_conf *conf,
		       struct ampcl_plot_line *line, double **values)
{
	const struct report_steps *first = NULL;
	for (int i = 0; i < n && !first; i++)
		if (runs[i].config == conf->index && study_run_finished(&runs[i]) && steps[i].n)
			first = &steps[i];
	int rows = first ? first->n : 0;
	double *v = report_alloc(4 * (size_t)rows + 1, sizeof(double));
	double *x = v, *mean = v + rows, *lo = v + 2 * rows, *hi = v + 3 * rows;
	for (int k = 0; k < rows; k++) {
		double sum = 0;
		int count = 0;
		x[k] = first->x[k], lo[k] = INFINITY, hi[k] = -INFINITY;
		for (int i = 0; i < n; i++) {
			const struct report_steps *s = &steps[i];
			/* runs of one configuration differ only in seed: their rows fall alike */
			if (runs[i].config != conf->index || !study_run_finished(&runs[i]) ||
			    k >= s->n || fabs(s->x[k] - x[k]) > 1e-9 * (1 + x[k]))
				continue;
			sum += s->loss[k], count++;
			lo[k] = fmin(lo[k], s->loss[k]), hi[k] = fmax(hi[k], s->loss[k]);
		}
		mean[k] = count ? sum / count : NAN;
	}
	*line = (struct ampcl_plot_line){conf->label, x, mean, rows, NULL, 0, lo, hi};
	*values = v;
}

ampcl_status study_plot_train_loss(const char *path, const char *out,
				   const struct ampcl_study_result *runs, int n,
				   const struct study_conf *confs, int m)
{
	struct report_steps *steps = report_alloc((size_t)n, sizeof(*steps));
	for (int i = 0; i < n; i++) {
		char dir[4400];
		snprintf(dir, sizeof(dir), "%.4096s/runs/%.200s", out, runs[i].name);
		report_steps_read(dir, &steps[i]);
	}
	struct ampcl_plot_line *lines = report_alloc((size_t)m, sizeof(*lines));
	double **values = report_alloc((size_t)m, sizeof(*values));
	for (int c = 0; c < m; c++)
		mean_curve(runs, n, steps, &confs[c], &lines[c], &values[c]);
	struct ampcl_plot_panel panel = {
	    "training loss every few steps: mean over seeds, band from lowest to highest",
	    "epochs trained",
	    "training loss (cross-entropy)",
	    lines,
	    m,
	    0,
	    0,
	    0};
	ampcl_status s = ampcl_plot_write_png(path, &panel, 1, 1100, 620);
	for (int c = 0; c < m; c++)
		free(values[c]);
	for (int i = 0; i < n; i++)
		report_steps_free(&steps[i]);
	free(values), free(lines), free(steps);
	return s;
}
