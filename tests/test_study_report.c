/* test_study_report.c: the study report fed made-up results (2 rates x baseline and amplified x
 * seeds, a failed run, amp.log files) checked against differences and t intervals worked here. */
#include "report.h"
#include "testutil.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

/* Configurations in the study's order: lr 0.1 baseline, amplified, amplified with automatic
 * selection; lr 0.05 baseline, amplified. */
enum { NCONF = 5, MAXSEEDS = 4, EPOCHS = 3, NRUNS = 17 };
static const char *labels[NCONF] = {
    "lr 0.1, no amplification", "lr 0.1, bn x2 ratio 0.3, epochs 0-1",
    "lr 0.1, bn x2 ratio 0.3, epochs 0-1, auto selection", "lr 0.05, no amplification",
    "lr 0.05, bn x2 ratio 0.3, epochs 0-1"};
static const char *names[NCONF] = {"lr0.1_off", "lr0.1_bn_f2_r0.3_e0-1",
				   "lr0.1_bn_f2_r0.3_e0-1_auto", "lr0.05_off",
				   "lr0.05_bn_f2_r0.3_e0-1"};
static const char *lrs[NCONF] = {"0.1", "0.1", "0.1", "0.05", "0.05"};
static const int nseeds[NCONF] = {3, 3, 3, 4, 4};
/* final test accuracy per seed: amplified - baseline is +1,+2,+3 points (config 1), +5,+5.5,+6
 * (config 2) and -3,-4,-5 (config 4); seed 4's baseline at lr 0.05 fails, its 0.99 is junk */
static const double finals[NCONF][MAXSEEDS] = {{0.50, 0.60, 0.70},
					       {0.51, 0.62, 0.73},
					       {0.55, 0.655, 0.76},
					       {0.40, 0.45, 0.50, 0.99},
					       {0.37, 0.41, 0.45, 0.90}};
/* best = final + this: the best-accuracy differences of config 1 are +2,+3,+4 */
static const double best_over_final[NCONF] = {0.01, 0.02, 0.01, 0.01, 0.01};
static const char *failure = "the training loss became nan at epoch 1 | diverged\nlower --lr";

static char dir[64];
static struct ampcl_study_result runs[NRUNS];
static ampcl_train_config_t *cfgs[NRUNS];
static struct ampcl_epoch_record history[NRUNS][EPOCHS];
static char run_names[NRUNS][64];

static void set(ampcl_train_config_t *c, const char *key, const char *value)
{
	char what[128];
	snprintf(what, sizeof(what), "set %s = %s", key, value);
	tu_ok(ampcl_train_config_set(c, key, value), what);
}

static void make_runs(void)
{
	int i = 0;
	for (int c = 0; c < NCONF; c++) {
		for (int s = 0; s < nseeds[c]; s++, i++) {
			struct ampcl_study_result *r = &runs[i];
			tu_ok(ampcl_train_config_create(&cfgs[i]), "config");
			ampcl_train_config_t *cfg = cfgs[i];
			char seed[8];
			snprintf(seed, sizeof(seed), "%d", s + 1);
			set(cfg, "lr", lrs[c]);
			set(cfg, "seed", seed);
			set(cfg, "amp_epochs", c == 0 || c == 3 ? "" : "0-1");
			set(cfg, "amp_select", c == 2 ? "auto" : "random");
			snprintf(run_names[i], sizeof(run_names[i]), "%s_s%d", names[c], s + 1);
			r->name = run_names[i];
			r->label = labels[c];
			r->config = c;
			r->cfg = cfg;
			r->final = finals[c][s];
			r->best = finals[c][s] + best_over_final[c];
			r->reach = r->best >= 0.55 ? 2 : -1;
			r->seconds = 10 + c;
			r->epochs = EPOCHS;
			r->history = history[i];
			for (int e = 0; e < EPOCHS; e++) {
				history[i][e] = (struct ampcl_epoch_record){.epoch = e};
				history[i][e].test_acc = r->final - 0.1 * (EPOCHS - 1 - e);
			}
			history[i][0].test_acc = s == 1 ? NAN : history[i][0].test_acc;
			r->error = c == 3 && s == 3 ? failure : NULL;
		}
	}
}

static void write_text(const char *run, const char *file, const char *text)
{
	char path[256];
	snprintf(path, sizeof(path), "%s/runs/%s", dir, run);
	mkdir(path, 0755);
	snprintf(path, sizeof(path), "%s/runs/%s/%s", dir, run, file);
	FILE *f = fopen(path, "w");
	if (!f) {
		tu_check(0, "write amp.log", "cannot write %s", path);
		return;
	}
	fputs(text, f);
	fclose(f);
}

/* Config 1: seed 1 two epochs, seed 2 epoch 0 logged twice (a resumed run: the last line
 * counts) and names with commas, seed 3 no amp.log: 4 selections, conv1.bn and layer1.0.bn2
 * 3 of 4, layer2.0.bn1 1 of 4, layer3.0.bn1 none. Config 2: automatic selection. Config 4:
 * one malformed amp.log, the others redrawn every step. */
static void make_amp_logs(void)
{
	char path[256];
	snprintf(path, sizeof(path), "%s/runs", dir);
	mkdir(path, 0755);
	write_text("lr0.1_bn_f2_r0.3_e0-1_s1", "amp.log",
		   "epoch 0 amplification: 2 of 20 eligible layers x2: conv1.bn layer1.0.bn2\n"
		   "epoch 1 amplification: 2 of 20 eligible layers x2: conv1.bn layer2.0.bn1\n");
	write_text("lr0.1_bn_f2_r0.3_e0-1_s2", "amp.log",
		   "epoch 0 amplification: 1 of 20 eligible layers x2: layer3.0.bn1\n"
		   "epoch 0 amplification: 2 of 20 eligible layers x2: conv1.bn, layer1.0.bn2\n"
		   "a line that is no selection\n"
		   "epoch 1 amplification: 1 of 20 eligible layers x2: layer1.0.bn2\n");
	for (int s = 1; s <= 3; s++) {
		char run[64];
		snprintf(run, sizeof(run), "lr0.1_bn_f2_r0.3_e0-1_auto_s%d", s);
		write_text(run, "amp.log",
			   s == 1 ? "epoch 0 amplification: chosen by the first step: 2 of 20 "
				    "eligible layers x2: layer4.1.bn2 layer4.0.bn1\n"
				    "epoch 1 amplification: chosen by the first step: 1 of 20 "
				    "eligible layers x2: layer4.1.bn2\n"
				  : "epoch 0 amplification: chosen by the first step: 1 of 20 "
				    "eligible layers x2: layer4.1.bn2\n");
	}
	write_text("lr0.05_bn_f2_r0.3_e0-1_s1", "amp.log", "garbage\nepoch x\n");
	for (int s = 2; s <= 4; s++) {
		char run[64];
		snprintf(run, sizeof(run), "lr0.05_bn_f2_r0.3_e0-1_s%d", s);
		write_text(run, "amp.log",
			   "epoch 0 amplification: redrawn every step, step 0: 1 of 20 eligible "
			   "layers x2: conv1.bn\n");
	}
}

/* The mean, sd and 95% interval of three values, worked out here: t(0.975, 2 df) = 4.3027. */
static void interval3(const double d[3], double *mean, double *sd, double *lo, double *hi)
{
	*mean = (d[0] + d[1] + d[2]) / 3;
	double ss = 0;
	for (int i = 0; i < 3; i++)
		ss += (d[i] - *mean) * (d[i] - *mean);
	*sd = sqrt(ss / 2);
	double half = 4.3027 * *sd / sqrt(3);
	*lo = *mean - half, *hi = *mean + half;
}

static char *read_md(void)
{
	char path[128];
	snprintf(path, sizeof(path), "%s/results.md", dir);
	char *md = tu_malloc(1 << 17);
	FILE *f = fopen(path, "r");
	size_t n = f ? fread(md, 1, (1 << 17) - 1, f) : 0;
	md[n] = 0;
	if (f)
		fclose(f);
	tu_check(n > 0, "results.md read", "%zu bytes from %s", n, path);
	return md;
}

static void expect(const char *md, const char *want, const char *name)
{
	tu_check(strstr(md, want) != NULL, name, "want \"%s\"", want);
}

static void expect_not(const char *md, const char *bad, const char *name)
{
	tu_check(strstr(md, bad) == NULL, name, "unwanted \"%s\"", bad);
}

static long file_size(const char *name)
{
	char path[128];
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	return tu_file_size(path);
}

/* Five runs done of 17, not a prefix of the study: config 1 has one seed paired, config 4 no
 * baseline yet, and no plot is drawn. */
static void test_partial(const ampcl_study_config_t *sc)
{
	struct ampcl_study_result part[5] = {runs[0], runs[1], runs[3], runs[5], runs[15]};
	tu_ok(report_study(sc, part, 5, NRUNS), "report_study, 5 of 17 runs");
	char *md = read_md();
	expect(md, "Runs: 5 of 17 done, 0 failed.", "partial: runs done");
	expect(md,
	       "- At lr 0.1, bn x2 ratio 0.3, epochs 0-1: could not be told apart from no "
	       "amplification: final accuracy +1.00 points on the one seed finished both ways, too "
	       "few for a confidence interval.",
	       "partial: one paired seed gives no interval");
	expect(md,
	       "| lr 0.1, bn x2 ratio 0.3, epochs 0-1 | 1 | +1.00 | - | n < 2: cannot be computed "
	       "|",
	       "partial: the difference table says n < 2");
	expect(md,
	       "- At lr 0.05, bn x2 ratio 0.3, epochs 0-1: no run without amplification at lr "
	       "0.05 to compare with.",
	       "partial: no baseline at the rate");
	expect_not(md, "auto selection", "partial: configurations not done are not listed");
	tu_check(file_size("accuracy.png") < 0 && file_size("final.png") < 0 &&
		     file_size("diff.png") < 0,
		 "partial: no plots before every run is done", "accuracy.png %ld, final.png %ld",
		 file_size("accuracy.png"), file_size("final.png"));
	free(md);
}

static void test_full(const ampcl_study_config_t *sc)
{
	tu_ok(report_study(sc, runs, NRUNS, NRUNS), "report_study, every run");
	char *md = read_md();
	char want[512];
	expect(md, "Runs: 17 of 17 done, 1 failed", "runs done and failed");

	/* per configuration: lr 0.05's baseline over its 3 finished seeds (0.40, 0.45, 0.50) */
	expect(md, "| lr 0.05, no amplification | 3 (+1 failed) | 45.00% ± 5.00 | 46.00% ± 5.00 |",
	       "configuration mean ± sd without the failed run");
	expect(md, "| 2.0 (2 of 3 reach it) |", "epochs to the target and how many reach it");
	expect(md, "epochs to reach 55.0%", "the target in the table header");

	/* the paired differences, by hand */
	static const double d1[3] = {1, 2, 3}, b1[3] = {2, 3, 4}, d2[3] = {5, 5.5, 6},
			    d4[3] = {-3, -4, -5};
	double m, sd, lo, hi, bm, bsd, blo, bhi;
	interval3(d1, &m, &sd, &lo, &hi);
	interval3(b1, &bm, &bsd, &blo, &bhi);
	tu_check(fabs(lo + 0.4842) < 1e-3 && fabs(hi - 4.4842) < 1e-3, "the worked interval",
		 "2 ± 4.3027/sqrt(3) = [%.4f, %.4f], want [-0.4842, 4.4842]", lo, hi);
	snprintf(want, sizeof(want),
		 "| %s | 3 | %+.2f | %.2f | %+.2f to %+.2f | %+.2f | %.2f | %+.2f to %+.2f |",
		 labels[1], m, sd, lo, hi, bm, bsd, blo, bhi);
	expect(md, want, "difference row: final and best mean, sd and 95% CI");
	snprintf(want, sizeof(want),
		 "- At %s: could not be told apart from no amplification: final accuracy %+.2f "
		 "points (95%% CI %+.2f to %+.2f, 3 seeds).",
		 labels[1], m, lo, hi);
	expect(md, want, "verdict: an interval containing 0");
	interval3(d2, &m, &sd, &lo, &hi);
	snprintf(want, sizeof(want),
		 "- At %s: amplification helped: final accuracy %+.2f points (95%% CI %+.2f to "
		 "%+.2f, 3 seeds).",
		 labels[2], m, lo, hi);
	expect(md, want, "verdict: helped");
	interval3(d4, &m, &sd, &lo, &hi);
	snprintf(want, sizeof(want),
		 "- At %s: amplification hurt: final accuracy %+.2f points (95%% CI %+.2f to "
		 "%+.2f, 3 seeds).",
		 labels[4], m, lo, hi);
	expect(md, want, "verdict: hurt, the failed baseline's seed left unpaired");
	expect(md, "\n- At lr 0.1, bn x2 ratio 0.3, epochs 0-1: could not",
	       "the verdicts come in the study's order");
	tu_check(strstr(md, labels[1]) && strstr(md, "- At lr 0.05") &&
		     strstr(md, "- At lr 0.1, bn x2") < strstr(md, "- At lr 0.05"),
		 "verdicts per rate in order", "lr 0.1 before lr 0.05");

	/* the layers */
	expect(md, "4 selections (one per run and amplified epoch) from 2 runs; 1 run: no amp.log.",
	       "layers: selections counted, a missing amp.log said");
	const char *sec = strstr(md, "### lr 0.1, bn x2 ratio 0.3, epochs 0-1\n");
	const char *a = sec ? strstr(sec, "| conv1.bn | 75% (3 of 4) |") : NULL;
	const char *b = sec ? strstr(sec, "| layer1.0.bn2 | 75% (3 of 4) |") : NULL;
	const char *c = sec ? strstr(sec, "| layer2.0.bn1 | 25% (1 of 4) |") : NULL;
	const char *end = sec ? strstr(sec + 1, "###") : NULL;
	tu_check(a && b && c && a < b && b < c && c < end, "layers: shares, most often first",
		 "conv1.bn 3/4, layer1.0.bn2 3/4 (ties in first-seen order), layer2.0.bn1 1/4");
	expect_not(md, "layer3.0.bn1", "layers: an epoch logged twice counts its last line");
	sec = strstr(md, "### lr 0.1, bn x2 ratio 0.3, epochs 0-1, auto selection\n");
	tu_check(sec && strstr(sec, "| layer4.1.bn2 | 100% (4 of 4) |") &&
		     strstr(sec, "| layer4.0.bn1 | 25% (1 of 4) |"),
		 "layers: automatic selection's lines", "layer4.1.bn2 4 of 4, layer4.0.bn1 1 of 4");
	sec = strstr(md, "### lr 0.05, bn x2 ratio 0.3, epochs 0-1\n");
	tu_check(sec && strstr(sec, "3 selections") && strstr(sec, "1 run: no amp.log line") &&
		     strstr(sec, "redrawn every step") &&
		     strstr(sec, "| conv1.bn | 100% (3 of 3) |"),
		 "layers: a malformed amp.log and per-step draws", "%.300s", sec ? sec : "(none)");

	/* the runs */
	expect(md,
	       "| lr0.05_off_s4 | 4 | failed: the training loss became nan at epoch 1 / diverged "
	       "lower --lr | - | - | - | - |",
	       "the failed run's row");
	expect(md, "| lr0.1_off_s2 | 2 | ok | 61.00% | 60.00% | 2 | 10 |", "a finished run's row");
	expect(md, "![amplified - not amplified, final accuracy](diff.png)", "diff.png linked");
	expect_not(md, "99.", "the failed run's accuracy is in no statistic");

	const char *png[3] = {"accuracy.png", "final.png", "diff.png"};
	for (int i = 0; i < 3; i++)
		tu_check(file_size(png[i]) > 1000, "plot written", "%s: %ld bytes", png[i],
			 file_size(png[i]));
	free(md);
}

int main(int argc, char **argv)
{
	snprintf(dir, sizeof(dir), "/tmp/ampcl-study-report-XXXXXX");
	if (!mkdtemp(dir))
		return 1;
	tu_check(report_t975(1) == 12.7062 && report_t975(2) == 4.3027 &&
		     report_t975(30) == 2.0423 && report_t975(31) == 1.96 && isnan(report_t975(0)),
		 "t quantiles", "t(1) %g, t(2) %g, t(30) %g, t(31) %g", report_t975(1),
		 report_t975(2), report_t975(30), report_t975(31));
	ampcl_train_config_t *base;
	tu_ok(ampcl_train_config_create(&base), "base config");
	set(base, "out", dir);
	set(base, "model", "resnet18");
	ampcl_study_config_t *sc;
	tu_ok(ampcl_study_config_create(base, &sc), "study config");
	tu_ok(ampcl_study_config_set_target(sc, 0.55), "target");
	make_runs();
	make_amp_logs();
	test_partial(sc);
	test_full(sc);
	for (int i = 0; i < NRUNS; i++)
		ampcl_train_config_free(cfgs[i]);
	ampcl_study_config_free(sc);
	ampcl_train_config_free(base);
	(void)argv;
	if (argc > 1) /* any argument keeps the folder for looking at */
		printf("results.md and plots kept in %s\n", dir);
	else
		tu_remove_tree(dir);
	return tu_finish();
}
