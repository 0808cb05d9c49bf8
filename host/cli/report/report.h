/* report.h: what the program draws and writes for people from the library's data: a run's
 * curves.png, and a study's results.md, accuracy.png, train_loss.png, final.png and diff.png. */
#ifndef AMPCL_REPORT_H
#define AMPCL_REPORT_H

#include "ampcl.h"
#include "plot.h"

#include "report_alloc.h"

/* A setting of cfg as text (ampcl_train_config_get), in one of 8 rotating buffers: valid until
 * the eighth call after (so one printf may take up to 8 of them). */
const char *report_setting(const ampcl_train_config_t *cfg, const char *key);

/* A run's steps.csv: n rows of the training loss and accuracy (in percent) at fractional
 * epochs x, rising. */
struct report_steps {
	int n;
	double *x, *loss, *acc;
};
/* Reads DIR/steps.csv into s; a missing or unreadable file gives no rows (n = 0). */
void report_steps_read(const char *dir, struct report_steps *s);
void report_steps_free(struct report_steps *s);

/* The curves' four series against epochs trained: the training loss and accuracy at each of
 * steps's rows (without rows, each epoch's means at its end) and the test loss and accuracy at the
 * end of each evaluated epoch, so a one-epoch run shows its learning curve. lines[0..1] are the
 * loss panel's (train, test), lines[2..3] the accuracy panel's; they point into *values (free it).
 */
void report_curves_lines(const struct ampcl_epoch_record *history, int n,
			 const struct report_steps *steps, struct ampcl_plot_line lines[4],
			 double **values);

/* OUT/curves.png: loss and accuracy against epochs trained, train (from OUT/steps.csv) and test,
 * from a run's history. */
ampcl_status report_curves(const char *dir, const ampcl_train_config_t *cfg,
			   const struct ampcl_epoch_record *history, int n);

/* OUT/results.md from the done of total runs of study sc (any subset of the study, in its
 * order; a run with an error is listed as failed and left out of every statistic): per
 * configuration mean ± sd over seeds, each amplified configuration minus the baseline at its
 * learning rate paired by seed with a 95% t interval, a verdict per rate, the layers each
 * amplified configuration chose (OUT/runs/NAME/amp.log), and every run. Once done == total also
 * accuracy.png (mean over seeds, band lowest to highest), final.png and diff.png. */
ampcl_status report_study(const struct ampcl_study_config *sc,
			  const struct ampcl_study_result *runs, int done, int total);

/* Student's t distribution's 0.975 quantile for df degrees of freedom (a table to 30, 1.96
 * beyond; NaN for df < 1): a 95% interval is mean ± report_t975(n - 1) * sd / sqrt(n). */
double report_t975(int df);

#endif
