/* curves.c: a run's curves.png, loss and accuracy against epochs trained side by side, drawn by
 * the program after every epoch from steps.csv (training) and the trainer's history (test). */
#include "plot.h"
#include "report.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>

const char *report_setting(const ampcl_train_config_t *cfg, const char *key)
{
	static char ring[8][4200];
	static int next;
	char *buf = ring[next++ % 8];
	if (ampcl_train_config_get(cfg, key, buf, sizeof(ring[0])))
		buf[0] = 0;
	return buf;
}

void report_curves_lines(const struct ampcl_epoch_record *history, int n,
			 const struct report_steps *steps, struct ampcl_plot_line lines[4],
			 double **values)
{
	int rows = steps && steps->n ? steps->n : n;
	double *v = report_alloc(3 * (size_t)rows + 3 * (size_t)n, sizeof(double));
	double *x = v, *trl = v + rows, *tra = v + 2 * rows;
	double *ex = v + 3 * rows, *tel = ex + n, *tea = ex + 2 * n;
	for (int i = 0; i < rows; i++) {
		if (steps && steps->n)
			x[i] = steps->x[i], trl[i] = steps->loss[i], tra[i] = steps->acc[i];
		else
			x[i] = history[i].epoch + 1, trl[i] = history[i].train_loss,
			tra[i] = 100 * history[i].train_acc;
	}
	/* a test point is the model at its epoch's end; unevaluated epochs (NaN) are left out */
	int k = 0;
	for (int i = 0; i < n; i++)
		if (isfinite(history[i].test_acc) || isfinite(history[i].test_loss)) {
			ex[k] = history[i].epoch + 1, tel[k] = history[i].test_loss;
			tea[k] = 100 * history[i].test_acc, k++;
		}
	lines[0] = (struct ampcl_plot_line){"train", x, trl, rows, NULL, 0, NULL, NULL};
	lines[1] = (struct ampcl_plot_line){"test", ex, tel, k, NULL, 0, NULL, NULL};
	lines[2] = (struct ampcl_plot_line){"train", x, tra, rows, NULL, 0, NULL, NULL};
	lines[3] = (struct ampcl_plot_line){"test", ex, tea, k, NULL, 0, NULL, NULL};
	*values = v;
}

ampcl_status report_curves(const char *dir, const ampcl_train_config_t *cfg,
			   const struct ampcl_epoch_record *history, int n)
{
	struct report_steps steps;
	report_steps_read(dir, &steps);
	struct ampcl_plot_line lines[4];
	double *values;
	report_curves_lines(history, n, &steps, lines, &values);
	char title[160];
	snprintf(title, sizeof(title), "%s width %s: accuracy", report_setting(cfg, "model"),
		 report_setting(cfg, "width"));
	struct ampcl_plot_panel panels[2] = {
	    {"loss", "epochs trained", "cross-entropy", lines, 2, 0, 0, 0},
	    {title, "epochs trained", "accuracy (%)", lines + 2, 2, 0, 0, 0},
	};
	char path[4200];
	snprintf(path, sizeof(path), "%.4096s/curves.png", dir);
	ampcl_status s = ampcl_plot_write_png(path, panels, 2, 1200, 480);
	free(values);
	report_steps_free(&steps);
	return s;
}
