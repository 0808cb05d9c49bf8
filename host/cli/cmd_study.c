/* cmd_study.c: `ampcl study`: a sweep of amplification settings, learning rates and seeds on one
 * device, from lists on the command line or a grid file; results as Markdown, CSV and plots. */
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
	    "usage: ampcl study --data PATH --out DIR [sweep lists] [training options]\n\n"
	    "Trains every combination of the lists below (once per seed), one run after another,\n"
	    "each in DIR/runs/NAME; finished runs are skipped and interrupted ones resume when "
	    "the\n"
	    "study is started again. Writes DIR/results.md, DIR/results.csv, DIR/accuracy.png\n"
	    "(test accuracy against epoch, every run) and DIR/final.png (final accuracy per\n"
	    "configuration, mean and spread over seeds).\n\n"
	    "sweep lists (comma-separated; for types and epochs ';' separates the values):\n"
	    "  --amp-factor 1,2,4      --amp-ratio 0.1,0.3      --lr 0.1,0.2\n"
	    "  --amp-types 'bn;relu;bn,relu'                    --seeds 1,2,3\n"
	    "  --amp-epochs 'none;0-9' (none: a baseline without amplification)\n"
	    "  --grid FILE             the same as lines 'NAME VALUE VALUE ...' (NAME: "
	    "amp-factor,\n"
	    "                          amp-ratio, amp-types, amp-epochs, lr, seeds; '#' comments)\n"
	    "  --target ACC            report the first epoch reaching this test accuracy (e.g. "
	    "0.8)\n"
	    "every other `ampcl train` option sets the base of all runs (see ampcl train "
	    "--help).\n");
}

static int parse_numbers(const char *flag, const char *s, double *out, int *n)
{
	char buf[1024], *save = NULL;
	snprintf(buf, sizeof(buf), "%s", s);
	*n = 0;
	for (char *t = strtok_r(buf, ", ", &save); t; t = strtok_r(NULL, ", ", &save)) {
		char *end;
		double v = strtod(t, &end);
		if (*end || end == t || !isfinite(v) || *n >= AMPCL_STUDY_MAX_VALUES)
			return cli_usage_error("study",
					       "%s '%s': give up to %d numbers separated by "
					       "commas",
					       flag, s, AMPCL_STUDY_MAX_VALUES);
		out[(*n)++] = v;
	}
	return *n ? 0 : cli_usage_error("study", "%s is empty", flag);
}

static int parse_strings(const char *flag, const char *s, char (*out)[256], size_t size, int *n)
{
	char buf[2048], *save = NULL;
	snprintf(buf, sizeof(buf), "%s", s);
	*n = 0;
	for (char *t = strtok_r(buf, "; ", &save); t; t = strtok_r(NULL, "; ", &save)) {
		if (*n >= AMPCL_STUDY_MAX_VALUES || strlen(t) >= size)
			return cli_usage_error("study",
					       "%s '%s': give up to %d values separated by ';'",
					       flag, s, AMPCL_STUDY_MAX_VALUES);
		snprintf(out[(*n)++], size, "%s", t);
	}
	return *n ? 0 : cli_usage_error("study", "%s is empty", flag);
}

/* One sweep list, from the command line or a grid line. Returns -1 if name is not a list. */
static int sweep(struct ampcl_study_config *sc, const char *name, const char *value)
{
	char tmp[AMPCL_STUDY_MAX_VALUES][256];
	double nums[AMPCL_STUDY_MAX_VALUES];
	int rc, n;
	if (!strcmp(name, "--amp-factor"))
		return parse_numbers(name, value, sc->factors, &sc->nfactors);
	if (!strcmp(name, "--amp-ratio"))
		return parse_numbers(name, value, sc->ratios, &sc->nratios);
	if (!strcmp(name, "--lr"))
		return parse_numbers(name, value, sc->lrs, &sc->nlrs);
	if (!strcmp(name, "--seeds")) {
		if ((rc = parse_numbers(name, value, nums, &n)))
			return rc;
		for (int i = 0; i < n; i++) {
			if (nums[i] < 0 || nums[i] != floor(nums[i]))
				return cli_usage_error("study", "--seeds: %g is not a whole number",
						       nums[i]);
			sc->seeds[i] = (unsigned long long)nums[i];
		}
		sc->nseeds = n;
		return 0;
	}
	if (!strcmp(name, "--amp-types") || !strcmp(name, "--amp-epochs")) {
		int types = !strcmp(name, "--amp-types");
		if ((rc = parse_strings(name, value, tmp, types ? 64 : 256, &n)))
			return rc;
		for (int i = 0; i < n; i++) {
			if (types)
				snprintf(sc->types[i], sizeof(sc->types[i]), "%.63s", tmp[i]);
			else
				snprintf(sc->amp_epochs[i], sizeof(sc->amp_epochs[i]), "%.255s",
					 tmp[i]);
		}
		*(types ? &sc->ntypes : &sc->namp_epochs) = n;
		return 0;
	}
	return -1;
}

static int read_grid(struct ampcl_study_config *sc, const char *path)
{
	FILE *f = fopen(path, "r");
	if (!f)
		return cli_usage_error("study", "cannot read --grid '%s': %s", path,
				       strerror(errno));
	char line[2048];
	int lineno = 0, rc = 0;
	while (!rc && fgets(line, sizeof(line), f)) {
		lineno++;
		char *hash = strchr(line, '#');
		if (hash)
			*hash = 0;
		char name[64], flag[70];
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
		snprintf(flag, sizeof(flag), "--%s", name);
		rc = sweep(sc, flag, values);
		if (rc < 0)
			rc = cli_usage_error(
			    "study",
			    "--grid '%s' line %d: '%s' is not a sweep list "
			    "(amp-factor, amp-ratio, amp-types, amp-epochs, lr, seeds)",
			    path, lineno, name);
	}
	fclose(f);
	return rc;
}

static void on_run(void *user, int index, int total, const char *name, int done)
{
	(void)user;
	printf("[%d/%d] %s%s\n", index + 1, total, name, done ? ": done already, skipped" : "");
	fflush(stdout);
}

static void on_epoch(void *user, const struct ampcl_epoch_record *r, int is_best)
{
	(void)user;
	(void)is_best;
	printf("  epoch %d: train loss %.4f acc %.2f%%", r->epoch, r->train_loss,
	       100 * r->train_acc);
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

struct study_args {
	struct ampcl_study_config *sc;
	ampcl_train_config_t *base; /* the configuration sc->base points at */
	const char *device;
};

static int study_option(void *user, const char *name, const char *v)
{
	struct study_args *a = user;
	struct ampcl_study_config *sc = a->sc;
	char flag[64];
	snprintf(flag, sizeof(flag), "--%s", name);
	int rc = 0;
	if (!strcmp(name, "nesterov"))
		cli_train_flag("study", a->base, flag, "1", &rc);
	else if (!strcmp(name, "device"))
		a->device = v;
	else if (!strcmp(name, "grid"))
		rc = read_grid(sc, v);
	else if (!strcmp(name, "target"))
		rc = cli_parse_double("study", flag, v, &sc->target_acc);
	else if (!strcmp(name, "epochs")) {
		int n;
		if (!(rc = cli_parse_int("study", flag, v, 1, 100000, &n)))
			cli_train_flag("study", a->base, flag, v, &rc);
	} else if (!strcmp(name, "out"))
		cli_train_flag("study", a->base, flag, v, &rc);
	else if ((rc = sweep(sc, flag, v)) >= 0)
		;
	else
		cli_train_flag("study", a->base, flag, v, &rc);
	return rc;
}

int cmd_study(int argc, char **argv)
{
	struct ampcl_study_config sc;
	memset(&sc, 0, sizeof(sc));
	ampcl_train_config_t *base = ampcl_train_config_create();
	sc.base = base;
	const char *device = NULL;
	int rc = 0;
	struct study_args sa = {&sc, base, NULL};
	static struct cli_option opts[64] = {{"device", 1}, {"grid", 1}, {"target", 1},
					     {"epochs", 1}, {"out", 1},  {"nesterov", 0},
					     {"seeds", 1}};
	if (!opts[7].name)
		for (int i = 0, n = 7; cli_train_options[i].name; i++)
			opts[n++] = cli_train_options[i];
	rc = cli_parse("study", argc, argv, opts, study_option, &sa);
	device = sa.device;
	char out[4200], value[300];
	ampcl_train_config_get(base, "out", out, sizeof(out));
	if (!rc && !out[0])
		rc = cli_usage_error("study", "give --out DIR for the runs and results");
	if (!rc && !(sc.target_acc >= 0 && sc.target_acc < 1))
		rc = cli_usage_error("study", "--target %g: give an accuracy between 0 and 1",
				     sc.target_acc);
	if (rc) {
		ampcl_train_config_free(base);
		if (rc == CLI_HELP)
			help();
		return rc == CLI_HELP ? EXIT_OK : rc;
	}
	/* lists left out sweep nothing: the base configuration's value */
	struct {
		const char *key;
		int *n;
	} lists[] = {
	    {"amp_factor", &sc.nfactors},    {"amp_ratio", &sc.nratios}, {"amp_types", &sc.ntypes},
	    {"amp_epochs", &sc.namp_epochs}, {"lr", &sc.nlrs},           {"seed", &sc.nseeds}};
	for (size_t i = 0; i < sizeof(lists) / sizeof(lists[0]); i++) {
		if (*lists[i].n)
			continue;
		ampcl_train_config_get(base, lists[i].key, value, sizeof(value));
		if (!strcmp(lists[i].key, "amp_factor"))
			sc.factors[0] = atof(value);
		else if (!strcmp(lists[i].key, "amp_ratio"))
			sc.ratios[0] = atof(value);
		else if (!strcmp(lists[i].key, "amp_types"))
			snprintf(sc.types[0], sizeof(sc.types[0]), "%.63s", value);
		else if (!strcmp(lists[i].key, "amp_epochs"))
			snprintf(sc.amp_epochs[0], sizeof(sc.amp_epochs[0]), "%.255s", value);
		else if (!strcmp(lists[i].key, "lr"))
			sc.lrs[0] = atof(value);
		else
			sc.seeds[0] = strtoull(value, NULL, 10);
		*lists[i].n = 1;
	}

	ampcl_context_t *ctx;
	int st = ampcl_context_create(device, &ctx);
	if (st) {
		ampcl_train_config_free(base);
		return cli_fail("study", st);
	}
	struct ampcl_train_callbacks tcb = {NULL, NULL, on_epoch, NULL, cli_draw_curves};
	struct ampcl_study_callbacks cb = {&sc, on_run, &tcb, on_results};
	st = ampcl_study_run(ctx, &sc, &cb);
	int code = st ? cli_fail("study", st) : EXIT_OK;
	if (!st)
		printf("results: %s/results.md, %s/results.csv, %s/accuracy.png, %s/final.png\n",
		       out, out, out, out);
	ampcl_context_free(ctx);
	ampcl_train_config_free(base);
	return code;
}
