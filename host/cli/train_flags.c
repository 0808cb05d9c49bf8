/* train_flags.c: the options `ampcl train` and `ampcl study` share, parsed into a training
 * configuration with a usage error (exit 2) that names the flag and value. */
#include "cli.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int cli_parse_int(const char *verb, const char *flag, const char *s, long lo, long hi, int *out)
{
	char *end;
	long v = strtol(s, &end, 10);
	if (end == s || *end || v < lo || v > hi)
		return cli_usage_error(verb, "%s '%s': give a whole number from %ld to %ld", flag,
				       s, lo, hi);
	*out = (int)v;
	return 0;
}

int cli_parse_double(const char *verb, const char *flag, const char *s, double *out)
{
	char *end;
	double v = strtod(s, &end);
	if (end == s || *end || !isfinite(v))
		return cli_usage_error(verb, "%s '%s': give a number", flag, s);
	*out = v;
	return 0;
}

int cli_copy(const char *verb, const char *flag, const char *s, char *dst, size_t size)
{
	if (strlen(s) >= size)
		return cli_usage_error(verb, "%s: the value is longer than %zu characters", flag,
				       size - 1);
	memcpy(dst, s, strlen(s) + 1);
	return 0;
}

/* A flag whose value is one of a few words ("input|params|both"): anything else is a usage
 * error that lists them all. */
static int word(const char *verb, const char *flag, const char *v, const char *words, char *dst,
		size_t size)
{
	char list[256] = "", buf[128];
	snprintf(buf, sizeof(buf), "%s", words);
	int n = 0, found = 0;
	for (const char *w = buf; *w; n++) {
		const char *bar = strchr(w, '|');
		size_t len = bar ? (size_t)(bar - w) : strlen(w);
		found |= strlen(v) == len && !strncmp(v, w, len);
		w += len + (bar != NULL);
	}
	if (found)
		return cli_copy(verb, flag, v, dst, size);
	/* "a, b and c" */
	int i = 0;
	for (char *w = buf, *bar; w; w = bar, i++) {
		bar = strchr(w, '|');
		if (bar)
			*bar++ = 0;
		size_t len = strlen(list);
		snprintf(list + len, sizeof(list) - len, "%s%s",
			 i == 0       ? ""
			 : i == n - 1 ? " and "
				      : ", ",
			 w);
	}
	return cli_usage_error(verb, "%s '%s': the valid values are %s", flag, v, list);
}

int cli_train_flag(const char *verb, struct ampcl_train_config *c, const char *a, const char *v,
		   int *rc)
{
	*rc = 0;
	if (!strcmp(a, "--model"))
		*rc = word(verb, a, v, "resnet18|resnet34|vgg19", c->model, sizeof(c->model));
	else if (!strcmp(a, "--width"))
		*rc = cli_parse_int(verb, a, v, 1, 1024, &c->width);
	else if (!strcmp(a, "--data"))
		*rc = cli_copy(verb, a, v, c->data, sizeof(c->data));
	else if (!strcmp(a, "--dataset"))
		*rc = word(verb, a, v, "cifar10|mnist|fashion-mnist|folder", c->dataset,
			   sizeof(c->dataset));
	else if (!strcmp(a, "--batch"))
		*rc = cli_parse_int(verb, a, v, 1, 65536, &c->batch);
	else if (!strcmp(a, "--lr"))
		*rc = cli_parse_double(verb, a, v, &c->lr);
	else if (!strcmp(a, "--momentum"))
		*rc = cli_parse_double(verb, a, v, &c->momentum);
	else if (!strcmp(a, "--weight-decay"))
		*rc = cli_parse_double(verb, a, v, &c->weight_decay);
	else if (!strcmp(a, "--lr-schedule"))
		*rc = cli_copy(verb, a, v, c->lr_schedule, sizeof(c->lr_schedule));
	else if (!strcmp(a, "--warmup-epochs"))
		*rc = cli_parse_int(verb, a, v, 0, 100000, &c->warmup_epochs);
	else if (!strcmp(a, "--seed")) {
		char *end;
		c->seed = strtoull(v, &end, 10);
		if (end == v || *end)
			*rc = cli_usage_error(verb, "--seed '%s': give a whole number", v);
	} else if (!strcmp(a, "--eval-every"))
		*rc = cli_parse_int(verb, a, v, 1, 100000, &c->eval_every);
	else if (!strcmp(a, "--subset"))
		*rc = cli_parse_int(verb, a, v, 1, 1000000000, &c->subset);
	else if (!strcmp(a, "--augment")) {
		char buf[16];
		*rc = word(verb, a, v, "standard|none", buf, sizeof(buf));
		c->augment = !strcmp(v, "standard");
	} else if (!strcmp(a, "--init"))
		*rc = cli_copy(verb, a, v, c->init, sizeof(c->init));
	else if (!strcmp(a, "--amp-types")) {
		if (strlen(v) >= sizeof(c->amp_types))
			*rc = cli_usage_error(verb,
					      "--amp-types '%.80s': give a comma list of relu, "
					      "bn, conv and linear",
					      v);
		else
			*rc = cli_copy(verb, a, v, c->amp_types, sizeof(c->amp_types));
	} else if (!strcmp(a, "--amp-ratio"))
		*rc = cli_parse_double(verb, a, v, &c->amp_ratio);
	else if (!strcmp(a, "--amp-factor"))
		*rc = cli_parse_double(verb, a, v, &c->amp_factor);
	else if (!strcmp(a, "--amp-epochs"))
		*rc = cli_copy(verb, a, v, c->amp_epochs, sizeof(c->amp_epochs));
	else if (!strcmp(a, "--amp-redraw"))
		*rc = word(verb, a, v, "epoch|iter|once", c->amp_redraw, sizeof(c->amp_redraw));
	else if (!strcmp(a, "--amp-target"))
		*rc = word(verb, a, v, "input|params|both", c->amp_target, sizeof(c->amp_target));
	else if (!strcmp(a, "--amp-select"))
		*rc = word(verb, a, v, "random|auto", c->amp_select, sizeof(c->amp_select));
	else if (!strcmp(a, "--schedule"))
		*rc = cli_copy(verb, a, v, c->schedule_file, sizeof(c->schedule_file));
	else
		return 0;
	return 1;
}

const struct cli_option cli_train_options[] = {
    {"model", 1},         {"width", 1},        {"data", 1},
    {"dataset", 1},       {"batch", 1},        {"lr", 1},
    {"momentum", 1},      {"weight-decay", 1}, {"lr-schedule", 1},
    {"warmup-epochs", 1}, {"seed", 1},         {"eval-every", 1},
    {"subset", 1},        {"augment", 1},      {"init", 1},
    {"amp-types", 1},     {"amp-ratio", 1},    {"amp-factor", 1},
    {"amp-epochs", 1},    {"amp-redraw", 1},   {"amp-target", 1},
    {"amp-select", 1},    {"schedule", 1},     {NULL, 0},
};
