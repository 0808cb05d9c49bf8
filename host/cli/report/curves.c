/* curves.c: a run's curves.png, loss and accuracy against epoch side by side, drawn by the
 * program after every epoch from the trainer's history. */
#include "plot.h"
#include "report.h"

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

ampcl_status report_curves(const char *dir, const struct ampcl_train_config *cfg,
			   const struct ampcl_epoch_record *history, int n)
{
	double *x = report_alloc(1, sizeof(double) * 5 * (size_t)(n ? n : 1));
	double *trl = x + n, *tel = x + 2 * n, *tra = x + 3 * n, *tea = x + 4 * n;
	for (int i = 0; i < n; i++) {
		const struct ampcl_epoch_record *r = &history[i];
		x[i] = r->epoch;
		trl[i] = r->train_loss, tel[i] = r->test_loss;
		tra[i] = 100 * r->train_acc, tea[i] = 100 * r->test_acc;
	}
	struct ampcl_plot_line loss[2] = {{"train", x, trl, n, NULL, 0, NULL, NULL},
					  {"test", x, tel, n, NULL, 0, NULL, NULL}};
	struct ampcl_plot_line acc[2] = {{"train", x, tra, n, NULL, 0, NULL, NULL},
					 {"test", x, tea, n, NULL, 0, NULL, NULL}};
	char title[160];
	snprintf(title, sizeof(title), "%s width %s: accuracy", report_setting(cfg, "model"),
		 report_setting(cfg, "width"));
	struct ampcl_plot_panel panels[2] = {
	    {"loss", "epoch", "cross-entropy", loss, 2, 0, 0, 0},
	    {title, "epoch", "accuracy (%)", acc, 2, 0, 0, 0},
	};
	char path[4200];
	snprintf(path, sizeof(path), "%.4096s/curves.png", dir);
	ampcl_status s = ampcl_plot_write_png(path, panels, 2, 1200, 480);
	free(x);
	return s;
}
