/* cmd_study.c: `ampcl study`: a sweep of amplification settings, learning rates and seeds, run by
 * several jobs, devices or mpirun's ranks; results as Markdown, CSV and plots. */
#include "cli.h"
#include "report.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void help(void)
{
	printf(
	    "usage: ampcl study --data PATH --out DIR [--jobs N] [--devices LIST] [sweep lists]\n"
	    "                   [training options]\n"
	    "       mpirun -np K ampcl study ...   (the runs spread over the K ranks)\n\n"
	    "Trains every combination of the lists below (once per seed), each in DIR/runs/NAME;\n"
	    "finished runs are skipped and interrupted ones resume when the study is started\n"
	    "again; a run that fails is reported and the others go on. Writes DIR/results.md\n"
	    "(per configuration mean and sd over seeds, amplified minus not amplified paired by\n"
	    "seed with a 95%% confidence interval, a verdict per learning rate, the layers\n"
	    "amplified), DIR/results.csv and plots (accuracy.png, train_loss.png, final.png,\n"
	    "diff.png).\n\n"
	    "  --jobs N                N runs at once, each with its own context (default: one\n"
	    "                          per --devices entry, else 1); the results are those of the\n"
	    "                          runs one after another\n"
	    "  --devices 0,1,...       devices (indexes or names) the jobs take in turn; under\n"
	    "                          mpirun each rank starts at its local rank's share\n"
	    "  --device N|SUBSTRING    the one device (default: under mpirun the local rank's "
	    "GPU,\n"
	    "                          else as ampcl train)\n\n"
	    "sweep lists (comma-separated; for types and epochs ';' separates the values):\n"
	    "  --amp-factor 1,2,4      --amp-ratio 0.1,0.3      --lr 0.1,0.2\n"
	    "  --amp-types 'bn;relu;bn,relu'                    --seeds 1,2,3\n"
	    "  --amp-epochs 'none;0-9' (none: a baseline without amplification)\n"
	    "  --amp-select random,auto  layers drawn at random, or chosen by their gradients\n"
	    "  --grid FILE             the same as lines 'NAME VALUE VALUE ...' (NAME: "
	    "amp-factor,\n"
	    "                          amp-ratio, amp-types, amp-epochs, amp-select, lr, seeds)\n"
	    "  --target ACC            report the first epoch reaching this test accuracy (e.g. "
	    "0.8)\n"
	    "  --overwrite             train again the runs whose folder holds other settings or\n"
	    "                          a damaged checkpoint (refused otherwise)\n"
	    "every other `ampcl train` option sets the base of all runs (see ampcl train "
	    "--help).\n");
}

/* A sweep list from the command line or a grid line, applied once the base is complete. */
struct sweep {
	char key[16], flag[72]; /* the library's key, and the flag or grid name it came as */
	char values[2048];
};

struct study_args {
	ampcl_train_config_t *base;
	struct sweep sweeps[32];
	int nsweeps;
	double target;
	const char *device;
	const char *devices;
	int jobs;
};

/* The list a flag or grid name sweeps ("amp-factor", "seeds"), or NULL if it is none. */
static const char *sweep_key(const char *name)
{
	static const char *const names[][2] = {{"amp-factor", "amp_factor"},
					       {"amp-ratio", "amp_ratio"},
					       {"amp-types", "amp_types"},
					       {"amp-epochs", "amp_epochs"},
					       {"amp-select", "amp_select"},
					       {"lr", "lr"},
					       {"seeds", "seed"}};
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (!strcmp(name, names[i][0]))
			return names[i][1];
	return NULL;
}

static int add_sweep(struct study_args *a, const char *name, const char *key, const char *values)
{
	if (a->nsweeps == (int)(sizeof(a->sweeps) / sizeof(a->sweeps[0])))
		return cli_usage_error("study", "more than %d sweep lists",
				       (int)(sizeof(a->sweeps) / sizeof(a->sweeps[0])));
	struct sweep *w = &a->sweeps[a->nsweeps++];
	snprintf(w->key, sizeof(w->key), "%s", key);
	snprintf(w->flag, sizeof(w->flag), "--%s", name);
	snprintf(w->values, sizeof(w->values), "%s", values);
	return 0;
}

static int read_grid(struct study_args *a, const char *path)
{
	FILE *f;
	ampcl_status st = ampcl_input_open(path, "--grid", &f);
	if (st)
		return cli_usage_error("study", "%s", ampcl_last_error());
	char line[2048];
	int lineno = 0, rc = 0;
	while (!rc && fgets(line, sizeof(line), f)) {
		lineno++;
		char *hash = strchr(line, '#');
		if (hash)
			*hash = 0;
		char name[64];
		int used = 0;
		if (sscanf(line, "%63s %n", name, &used) != 1)
			continue;
		char *values = line + used;
		values[strcspn(values, "\n")] = 0;
		/* values on a grid line are separated by spaces; the lists use , and ; */
		for (char *p = values; *p; p++)
			if (*p == ' ')
				*p = strcmp(name, "amp-types") && strcmp(name, "amp-epochs") ? ','
											     : ';';
		const char *key = sweep_key(name);
		rc = key ? add_sweep(a, name, key, values)
			 : cli_usage_error("study",
					   "--grid '%s' line %d: '%s' is not a sweep list "
					   "(amp-factor, amp-ratio, amp-types, amp-epochs, "
					   "amp-select, lr, seeds)",
					   path, lineno, name);
	}
	fclose(f);
	return rc;
}

/* With several runs at once, each epoch's line names its run: the job's thread runs it. */
static _Thread_local const char *current_run;
static int name_runs; /* several jobs or ranks */
static char rank_prefix[32];

static void on_run(void *user, int index, int total, const char *name, int done)
{
	(void)user;
	current_run = name;
	printf("%s[%d/%d] %s%s\n", rank_prefix, index + 1, total, name,
	       done ? ": done already, skipped" : "");
	fflush(stdout);
}

static void on_epoch(void *user, const struct ampcl_epoch_record *r, int is_best)
{
	(void)user;
	(void)is_best;
	printf("%s  %s%sepoch %d: train loss %.4f acc %.2f%%", rank_prefix,
	       name_runs && current_run ? current_run : "", name_runs ? " " : "", r->epoch,
	       r->train_loss, 100 * r->train_acc);
	if (isfinite(r->test_acc))
		printf("  test acc %.2f%%", 100 * r->test_acc);
	printf("  %.0f img/s\n", r->images_per_s);
	fflush(stdout);
}

/* results.md and the plots after every run (report.h) */
static ampcl_status on_results(void *user, const struct ampcl_study_result *runs, int done,
			       int total)
{
	return report_study(user, runs, done, total);
}

static int study_option(void *user, const char *name, const char *v)
{
	struct study_args *a = user;
	char flag[64];
	snprintf(flag, sizeof(flag), "--%s", name);
	const char *key = sweep_key(name);
	int rc = 0;
	if (!strcmp(name, "nesterov") || !strcmp(name, "overwrite"))
		cli_train_flag("study", a->base, flag, "1", &rc);
	else if (!strcmp(name, "device"))
		a->device = v;
	else if (!strcmp(name, "devices") && !v[0])
		rc = cli_usage_error("study", "--devices '': give device indexes or names "
					      "separated by commas");
	else if (!strcmp(name, "devices"))
		a->devices = v;
	else if (!strcmp(name, "jobs"))
		rc = cli_parse_int("study", flag, v, 1, 256, &a->jobs);
	else if (!strcmp(name, "grid"))
		rc = read_grid(a, v);
	else if (!strcmp(name, "target"))
		rc = cli_parse_double("study", flag, v, &a->target);
	else if (!strcmp(name, "epochs")) {
		int n;
		if (!(rc = cli_parse_int("study", flag, v, 1, 100000, &n)))
			cli_train_flag("study", a->base, flag, v, &rc);
	} else if (key)
		rc = add_sweep(a, name, key, v);
	else
		cli_train_flag("study", a->base, flag, v, &rc);
	return rc;
}

int cmd_study(int argc, char **argv)
{
	static struct cli_option opts[64] = {{"device", 1}, {"grid", 1},    {"target", 1},
					     {"epochs", 1}, {"out", 1},     {"nesterov", 0},
					     {"seeds", 1},  {"devices", 1}, {"jobs", 1},
					     {"overwrite", 0}};
	if (!opts[10].name)
		for (int i = 0, n = 10; cli_train_options[i].name; i++)
			opts[n++] = cli_train_options[i];
	/* under mpirun, every rank runs this; rank 0 writes the results */
	ampcl_status mst = ampcl_mpi_begin(&argc, &argv);
	if (mst)
		return cli_fail("study", mst);
	struct ampcl_mpi_info mpi;
	ampcl_mpi_get_info(&mpi);
	struct study_args a = {0};
	if ((mst = ampcl_train_config_create(&a.base)))
		return cli_fail("study", mst);
	ampcl_study_config_t *sc = NULL;
	int rc = cli_parse("study", argc, argv, opts, study_option, &a);
	char out[4200];
	ampcl_train_config_get(a.base, "out", out, sizeof(out));
	if (!rc && !out[0])
		rc = cli_usage_error("study", "give --out DIR for the runs and results");
	if (!rc) {
		if (ampcl_study_config_create(a.base, &sc))
			rc = cli_fail("study", AMPCL_ERR_INVALID_ARG);
		else if (ampcl_study_config_set_target(sc, a.target))
			rc = cli_usage_error("study", "--%s", ampcl_last_error());
		else if (ampcl_study_config_set_jobs(sc, a.jobs, a.devices))
			rc = cli_usage_error("study", "--%s", ampcl_last_error());
		else if (a.device && a.devices)
			rc = cli_usage_error("study", "give --device or --devices, not both");
		for (int i = 0; i < a.nsweeps && !rc; i++)
			if (ampcl_study_config_sweep(sc, a.sweeps[i].key, a.sweeps[i].values)) {
				/* the message names the list by its key: say the flag instead */
				const char *msg = ampcl_last_error();
				size_t k = strlen(a.sweeps[i].key);
				rc = cli_usage_error("study", "%s%s", a.sweeps[i].flag,
						     strncmp(msg, a.sweeps[i].key, k) ? msg
										      : msg + k);
			}
	}
	ampcl_train_config_free(a.base);
	if (rc) {
		ampcl_study_config_free(sc);
		if (rc == CLI_HELP)
			help();
		return rc == CLI_HELP ? EXIT_OK : rc;
	}

	/* the first job's device: --device, the list's first, under mpirun the local rank's */
	char spec[64] = "";
	int index, st = AMPCL_OK;
	if (a.device)
		snprintf(spec, sizeof(spec), "%s", a.device);
	else if (a.devices)
		snprintf(spec, sizeof(spec), "%.*s", (int)strcspn(a.devices, ","), a.devices);
	else if (mpi.size > 1 && !(st = ampcl_device_for_local_rank(mpi.local_rank, &index)))
		snprintf(spec, sizeof(spec), "%d", index);
	ampcl_context_t *ctx = NULL;
	if (!st)
		st = ampcl_context_create(spec[0] ? spec : NULL, &ctx);
	if (st) {
		ampcl_study_config_free(sc);
		return cli_fail("study", st);
	}
	name_runs = a.jobs > 1 || mpi.size > 1 || (a.devices && strchr(a.devices, ','));
	if (mpi.size > 1)
		snprintf(rank_prefix, sizeof(rank_prefix), "rank %d: ", mpi.rank);
	struct ampcl_train_callbacks tcb = {NULL,           NULL, on_epoch, NULL, cli_draw_curves,
					    cli_should_stop};
	struct ampcl_study_callbacks cb = {sc, on_run, &tcb, on_results};
	cli_stop_signals_begin("study");
	st = ampcl_study_run(ctx, sc, &cb);
	cli_stop_signals_end();
	int code = EXIT_OK;
	if (st == AMPCL_ERR_INTERRUPTED) {
		fprintf(stderr, "%sampcl study: %s; start the same command again to go on\n",
			rank_prefix, ampcl_last_error());
		code = cli_stop_exit_code();
	} else if (st) {
		code = cli_fail("study", st);
	}
	if (!mpi.rank && (!st || st == AMPCL_ERR_CHECK_FAILED))
		printf("results: %s/results.md, %s/results.csv, %s/accuracy.png, "
		       "%s/train_loss.png, %s/final.png, %s/diff.png\n",
		       out, out, out, out, out, out);
	/* failed runs are reported by rank 0 once every rank has sent its own; any other failure
	 * may be one rank's alone, and the others would wait for it: the job ends */
	if (st && st != AMPCL_ERR_INTERRUPTED && st != AMPCL_ERR_CHECK_FAILED && mpi.size > 1)
		ampcl_mpi_abort(code);
	ampcl_context_free(ctx);
	ampcl_study_config_free(sc);
	ampcl_mpi_end();
	return code;
}
