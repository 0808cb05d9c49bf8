/* study_stats.c: a study's statistics: per configuration mean, sd and 95% t interval over its
 * finished runs, and each amplified configuration minus its baseline paired by seed. */
#include "study_report_internal.h"

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

/* The mean, sd and 95% interval of n values (struct study_summary). */
static struct study_summary summarize(const double *v, int n)
{
	struct study_summary s = {n, NAN, NAN, NAN, NAN};
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

int study_run_finished(const struct ampcl_study_result *r)
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
static void pair(const struct ampcl_study_result *runs, int n, struct study_conf *a,
		 const struct study_conf *b)
{
	double *df = report_alloc((size_t)n, sizeof(double));
	double *db = report_alloc((size_t)n, sizeof(double));
	int k = 0;
	for (int i = 0; i < n; i++) {
		const struct ampcl_study_result *x = &runs[i];
		if (x->config != a->index || !study_run_finished(x) || !isfinite(x->final))
			continue;
		char seed[64];
		snprintf(seed, sizeof(seed), "%s", report_setting(x->cfg, "seed"));
		for (int j = 0; j < n; j++) {
			const struct ampcl_study_result *y = &runs[j];
			if (y->config != b->index || !study_run_finished(y) ||
			    !isfinite(y->final) || strcmp(seed, report_setting(y->cfg, "seed")))
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
struct study_conf *study_collect(const struct ampcl_study_result *runs, int n, int *nconf)
{
	int top = 0;
	for (int i = 0; i < n; i++)
		top = runs[i].config + 1 > top ? runs[i].config + 1 : top;
	struct study_conf *confs = report_alloc((size_t)top, sizeof(*confs));
	double *v = report_alloc((size_t)n * 3, sizeof(double));
	double *best = v + n, *secs = v + 2 * n;
	int m = 0;
	for (int c = 0; c < top; c++) {
		struct study_conf *k = &confs[m];
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
			if (!study_run_finished(r) || !isfinite(r->final))
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

int study_has_diff(const struct study_conf *confs, int m)
{
	for (int c = 0; c < m; c++)
		if (confs[c].amplified && confs[c].dfinal.n > 0)
			return 1;
	return 0;
}
