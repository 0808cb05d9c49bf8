/* options.c: every verb's command line through getopt_long: the verb's options, --help, and
 * errors (an unknown option, a missing value, a stray argument) that name what was wrong. */
#include "cli.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Whether s is "--NAME" or "--NAME=..." for one of the verb's options, or --help. */
static int is_option(const struct cli_option *opts, const char *s)
{
	if (strncmp(s, "--", 2))
		return 0;
	size_t len = strcspn(s + 2, "=");
	if (len == 4 && !strncmp(s + 2, "help", 4))
		return 1;
	for (int i = 0; opts[i].name; i++)
		if (strlen(opts[i].name) == len && !strncmp(s + 2, opts[i].name, len))
			return 1;
	return 0;
}

int cli_parse(const char *verb, int argc, char **argv, const struct cli_option *opts,
	      int (*handle)(void *user, const char *name, const char *value), void *user)
{
	int n = 0;
	while (opts[n].name)
		n++;
	/* getopt_long's table: the verb's options, then --help; val is the index */
	struct option *lo = calloc((size_t)n + 2, sizeof(*lo));
	if (!lo)
		abort(); /* out of host memory */
	for (int i = 0; i < n; i++)
		lo[i] = (struct option){
		    opts[i].name, opts[i].has_value ? required_argument : no_argument, NULL, i};
	lo[n] = (struct option){"help", no_argument, NULL, n};
	optind = 1;
	opterr = 0; /* our messages, not getopt's */
	int rc = 0, c, index;
	while (!rc && (c = getopt_long(argc, argv, ":h", lo, &index)) != -1) {
		const char *arg = argv[optind - 1];
		if (c == 'h' || c == n)
			rc = CLI_HELP;
		else if (c == ':')
			rc = cli_usage_error(verb, "%s needs a value", arg);
		else if (c == '?')
			rc = cli_usage_error(verb, "unknown option '%s'", arg);
		else if (opts[c].has_value && optarg && is_option(opts, optarg))
			/* "--data --epochs 3": --data's value forgotten, not a folder named so */
			rc = cli_usage_error(verb, "--%s needs a value (it was followed by %s)",
					     opts[c].name, optarg);
		else
			rc = handle(user, opts[c].name, optarg);
	}
	if (!rc && optind < argc)
		rc = cli_usage_error(verb, "unexpected argument '%s': options start with --",
				     argv[optind]);
	free(lo);
	return rc;
}
