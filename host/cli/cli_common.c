/* cli_common.c: what every verb of ampcl and ampcl-bench shares: --help, Ctrl-C, the exit code
 * a status maps to (docs/design.md), usage errors that name the flag, and numbers parsed from flags. */
#include "cli.h"

#include <math.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

int cli_is_help(const char *arg)
{
	return !strcmp(arg, "--help") || !strcmp(arg, "-h");
}

int cli_terminal_columns(int fd)
{
	if (!isatty(fd))
		return 0;
	struct winsize ws;
	if (ioctl(fd, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0)
		return ws.ws_col;
	const char *env = getenv("COLUMNS");
	int c = env ? atoi(env) : 0;
	return c > 0 ? c : 80;
}

static volatile sig_atomic_t stop_signal;
static char stop_message[128];
static size_t stop_message_len;

static void on_stop_signal(int sig)
{
	if (stop_signal) {
		signal(sig, SIG_DFL);
		raise(sig);
		return;
	}
	stop_signal = sig;
	ssize_t w = write(2, stop_message, stop_message_len);
	(void)w;
}

void cli_stop_signals_begin(const char *verb)
{
	snprintf(stop_message, sizeof(stop_message),
		 "\nampcl %s: stopping after this step and saving last.ampcl (press Ctrl-C again "
		 "to quit at once)\n",
		 verb);
	stop_message_len = strlen(stop_message);
	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_stop_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
}

void cli_stop_signals_end(void)
{
	signal(SIGINT, SIG_DFL);
	signal(SIGTERM, SIG_DFL);
}

int cli_should_stop(void *user)
{
	(void)user;
	return stop_signal != 0;
}

int cli_stop_exit_code(void)
{
	return 128 + (stop_signal ? (int)stop_signal : SIGINT);
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

int cli_check_model(const char *verb, const char *v)
{
	size_t n = strlen(v);
	if (!strcmp(v, "resnet18") || !strcmp(v, "resnet34") || !strcmp(v, "vgg19") ||
	    (n > 5 && !strcmp(v + n - 5, ".onnx")))
		return 0;
	return cli_usage_error(verb,
			       "--model '%s': the valid values are resnet18, resnet34, vgg19 and "
			       "FILE.onnx",
			       v);
}

int cli_copy(const char *verb, const char *flag, const char *s, char *dst, size_t size)
{
	if (strlen(s) >= size)
		return cli_usage_error(verb, "%s: the value is longer than %zu characters", flag,
				       size - 1);
	memcpy(dst, s, strlen(s) + 1);
	return 0;
}
