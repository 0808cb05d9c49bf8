/* study_report_internal.h: what the pieces of a study's report share (report_study in
 * study_report.c): the statistics per configuration, the layers tally, results.md and the plots. */
#ifndef AMPCL_STUDY_REPORT_INTERNAL_H
#define AMPCL_STUDY_REPORT_INTERNAL_H

#include "report.h"

/* Mean, sample sd and a 95% t interval of n values; sd, lo and hi are NaN for n < 2. */
struct study_summary {
	int n;
	double mean, sd, lo, hi;
};

/* One configuration of the study with at least one run done. */
struct study_conf {
	int index; /* the study's configuration index */
	const char *label;
	double lr;
	int amplified;      /* amp_epochs is neither empty nor "none" */
	int done, finished; /* runs done, and those of them that did not fail */
	struct study_summary final, best, seconds; /* accuracies in percent, over finished runs */
	int reached;                               /* finished runs that reached the target */
	double reach_mean;                         /* their mean epochs to it */
	int baseline; /* amplified: the baseline at the same rate (into confs); -1 none */
	struct study_summary dfinal, dbest; /* amplified - baseline, points, paired by seed */
};

/* study_stats.c: whether run r finished (has no error); a failed run is in no statistic. */
int study_run_finished(const struct ampcl_study_result *r);

/* study_stats.c: the configurations of the n runs with a run done, in the study's order, with
 * their statistics; *nconf of them, freed by the caller. */
struct study_conf *study_collect(const struct ampcl_study_result *runs, int n, int *nconf);

/* study_stats.c: whether any amplified configuration has a paired difference (diff.png). */
int study_has_diff(const struct study_conf *confs, int m);

struct study_layer_count {
	char *name;
	int count, order;
};

/* The layers one configuration chose, most often first (ties in first-seen order). */
struct study_layer_tally {
	struct study_layer_count *layers;
	int n, cap;
	int selections; /* (run, epoch) selections read */
	int runs, missing, malformed, redrawn;
};

/* study_layers.c: tallies OUT/runs/NAME/amp.log of configuration k's finished runs into t
 * (zeroed by the caller); study_layers_free frees what it holds. */
void study_layers_tally(struct study_layer_tally *t, const char *out,
			const struct ampcl_study_result *runs, int n, const struct study_conf *k);
void study_layers_free(struct study_layer_tally *t);

/* study_markdown.c: OUT/results.md from the n of total runs done and their m configurations. */
ampcl_status study_write_markdown(const ampcl_study_config_t *sc,
				  const struct ampcl_study_result *runs, int n, int total,
				  const struct study_conf *confs, int m);

/* study_steps.c: path (train_loss.png) from the steps.csv of the runs' folders under out/runs. */
ampcl_status study_plot_train_loss(const char *path, const char *out,
				   const struct ampcl_study_result *runs, int n,
				   const struct study_conf *confs, int m);

/* study_plots.c: dir/accuracy.png, dir/train_loss.png, dir/final.png and, with a paired difference,
 * dir/diff.png. */
ampcl_status study_write_plots(const char *dir, const struct ampcl_study_result *runs, int n,
			       const struct study_conf *confs, int m);

#endif
