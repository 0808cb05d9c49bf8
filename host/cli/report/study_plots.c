/* study_plots.c: a study's plots, drawn once every run is done: accuracy.png (mean over seeds
 * with a band), train_loss.png, final.png (mean and sd) and diff.png (paired difference, 95% CI).
 */
#include "plot.h"
#include "study_report_internal.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>

/* accuracy.png: per configuration, the mean test accuracy over its finished runs against
 * epoch, the band from the lowest to the highest run. */
static ampcl_status plot_accuracy(const char *path, const struct ampcl_study_result *runs, int n,
				  const struct study_conf *confs, int m)
{
	struct ampcl_plot_line *lines = report_alloc((size_t)m, sizeof(*lines));
	int *top = report_alloc((size_t)m, sizeof(int));
	size_t points = 0;
	for (int c = 0; c < m; c++) {
		for (int i = 0; i < n; i++)
			if (runs[i].config == confs[c].index && study_run_finished(&runs[i]))
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
			if (runs[i].config != confs[c].index || !study_run_finished(&runs[i]))
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
static ampcl_status plot_final(const char *path, const struct study_conf *confs, int m)
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
static ampcl_status plot_diff(const char *path, const struct study_conf *confs, int m)
{
	struct ampcl_plot_line *lines = report_alloc((size_t)m + 1, sizeof(*lines));
	double *v = report_alloc(3 * (size_t)m + 4, sizeof(double));
	int k = 0;
	for (int c = 0; c < m; c++) {
		const struct study_summary *d = &confs[c].dfinal;
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

ampcl_status study_write_plots(const char *dir, const struct ampcl_study_result *runs, int n,
			       const struct study_conf *confs, int m)
{
	char path[4400];
	snprintf(path, sizeof(path), "%.4096s/accuracy.png", dir);
	ampcl_status s = plot_accuracy(path, runs, n, confs, m);
	snprintf(path, sizeof(path), "%.4096s/train_loss.png", dir);
	if (!s)
		s = study_plot_train_loss(path, dir, runs, n, confs, m);
	snprintf(path, sizeof(path), "%.4096s/final.png", dir);
	if (!s)
		s = plot_final(path, confs, m);
	snprintf(path, sizeof(path), "%.4096s/diff.png", dir);
	if (!s && study_has_diff(confs, m))
		s = plot_diff(path, confs, m);
	return s;
}
