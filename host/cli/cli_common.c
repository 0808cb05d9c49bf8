/* cli_common.c: what every verb of ampcl and ampcl-bench shares: --help, the exit code a status
 * maps to (DESIGN.md), usage errors that name the flag, and numbers parsed from flags. */
#include "cli.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int cli_is_help(const char *arg)
{
	return !strcmp(arg, "--help") || !strcmp(arg, "-h");
}

int cli_fail(const char *verb, int status)
{
	fprintf(stderr, "ampcl %s: %s\n", verb, ampcl_last_error());
	switch (status) {
	case AMPCL_ERR_INVALID_ARG:
	case AMPCL_ERR_DEVICE_NOT_FOUND:
	case AMPCL_ERR_BAD_FILE:
	case AMPCL_ERR_IO:
		return EXIT_USAGE;
	default:
		return EXIT_RUNTIME;
	}
}

int cli_usage_error(const char *verb, const char *fmt, ...)
{
	va_list ap;
	fprintf(stderr, "ampcl %s: ", verb);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\n(see 'ampcl %s --help')\n", verb);
	return EXIT_USAGE;
}

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
