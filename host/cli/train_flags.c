/* train_flags.c: the options `ampcl train` and `ampcl study` share, parsed into a training
 * configuration with a usage error (exit 2) that names the flag and value. */
#include "cli.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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

/* Sets key to v after the flag's own check passed (rc 0); a value the configuration refuses
 * (too long) is a usage error too. */
static int set(const char *verb, ampcl_train_config_t *c, const char *key, const char *v, int rc)
{
	if (rc)
		return rc;
	if (ampcl_train_config_set(c, key, v))
		return cli_usage_error(verb, "%s", ampcl_last_error());
	return 0;
}

int cli_train_flag(const char *verb, ampcl_train_config_t *c, const char *a, const char *v, int *rc)
{
	/* the setting's key: the flag without "--", '-' as '_' (--schedule sets schedule_file) */
	char key[64];
	snprintf(key, sizeof(key), "%s", a + 2);
	for (char *p = key; *p; p++)
		if (*p == '-')
			*p = '_';
	if (!strcmp(key, "schedule"))
		snprintf(key, sizeof(key), "schedule_file");
	char buf[16];
	int n;
	double d;
	*rc = 0;
	size_t vlen = strlen(v);
	if (!strcmp(a, "--model") && vlen > 5 && !strcmp(v + vlen - 5, ".onnx"))
		*rc = set(verb, c, key, v, 0); /* the file is read when the net is built */
	else if (!strcmp(a, "--model"))
		*rc = set(verb, c, key, v,
			  word(verb, a, v, "resnet18|resnet34|vgg19|FILE.onnx", buf, sizeof(buf)));
	else if (!strcmp(a, "--width"))
		*rc = set(verb, c, key, v, cli_parse_int(verb, a, v, 1, 1024, &n));
	else if (!strcmp(a, "--dataset"))
		*rc = set(verb, c, key, v,
			  word(verb, a, v, "cifar10|mnist|fashion-mnist|folder", buf, sizeof(buf)));
	else if (!strcmp(a, "--batch"))
		*rc = set(verb, c, key, v, cli_parse_int(verb, a, v, 1, 65536, &n));
	else if (!strcmp(a, "--lr") || !strcmp(a, "--momentum") || !strcmp(a, "--weight-decay") ||
		 !strcmp(a, "--amp-ratio") || !strcmp(a, "--amp-factor"))
		*rc = set(verb, c, key, v, cli_parse_double(verb, a, v, &d));
	else if (!strcmp(a, "--warmup-epochs"))
		*rc = set(verb, c, key, v, cli_parse_int(verb, a, v, 0, 100000, &n));
	else if (!strcmp(a, "--seed")) {
		char *end;
		errno = 0;
		strtoull(v, &end, 10);
		*rc = set(verb, c, key, v,
			  end == v || *end || *v == '-' || errno == ERANGE
			      ? cli_usage_error(verb, "--seed '%s': give a whole number", v)
			      : 0);
	} else if (!strcmp(a, "--eval-every"))
		*rc = set(verb, c, key, v, cli_parse_int(verb, a, v, 1, 100000, &n));
	else if (!strcmp(a, "--subset"))
		*rc = set(verb, c, key, v, cli_parse_int(verb, a, v, 0, 1000000000, &n));
	else if (!strcmp(a, "--augment"))
		*rc = set(verb, c, key, !strcmp(v, "standard") ? "1" : "0",
			  word(verb, a, v, "standard|none", buf, sizeof(buf)));
	else if (!strcmp(a, "--amp-redraw"))
		*rc = set(verb, c, key, v, word(verb, a, v, "epoch|iter|once", buf, sizeof(buf)));
	else if (!strcmp(a, "--amp-target"))
		*rc = set(verb, c, key, v, word(verb, a, v, "input|params|both", buf, sizeof(buf)));
	else if (!strcmp(a, "--amp-select"))
		*rc = set(verb, c, key, v, word(verb, a, v, "random|auto", buf, sizeof(buf)));
	else if (!strcmp(a, "--amp-types") && strlen(v) >= 64)
		*rc = cli_usage_error(verb,
				      "--amp-types '%.80s': give a comma list of relu, bn, "
				      "conv and linear",
				      v);
	else if (!strcmp(a, "--data") || !strcmp(a, "--lr-schedule") || !strcmp(a, "--init") ||
		 !strcmp(a, "--amp-types") || !strcmp(a, "--amp-epochs") ||
		 !strcmp(a, "--image-size") || /* checked with the configuration */
		 !strcmp(a, "--schedule") || !strcmp(a, "--out") || !strcmp(a, "--epochs") ||
		 !strcmp(a, "--nesterov") || !strcmp(a, "--overwrite") || !strcmp(a, "--sync-bn"))
		*rc = set(verb, c, key, v, 0);
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
    {"amp-select", 1},    {"schedule", 1},     {"image-size", 1},
    {NULL, 0},
};
