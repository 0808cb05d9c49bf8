/* cli.h: what the verbs of the `ampcl` program share: exit codes (docs/design.md: 0 ok, 1 runtime
 * failure, 2 bad usage or input), error printing, and the verb table. */
#ifndef AMPCL_CLI_H
#define AMPCL_CLI_H

#include "ampcl.h"

enum { EXIT_OK = 0, EXIT_RUNTIME = 1, EXIT_USAGE = 2 };

/* Prints "ampcl VERB: <last error>" and returns the exit code the status maps to. */
int cli_fail(const char *verb, int status);
/* Prints "ampcl VERB: message" and returns EXIT_USAGE. */
int cli_usage_error(const char *verb, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
int cli_is_help(const char *arg);
/* Columns of the terminal on fd (its size, else COLUMNS, else 80); 0 when fd is no terminal
 * (a pipe or a file gets whole lines). */
int cli_terminal_columns(int fd);

/* SIGINT / SIGTERM between begin and end: the first asks the trainer to stop after the current
 * step and save (cli_should_stop, a should_stop callback); a second of either ends the process
 * at once. cli_stop_exit_code: the shell's 128 + the signal's number. */
void cli_stop_signals_begin(const char *verb);
void cli_stop_signals_end(void);
int cli_should_stop(void *user);
int cli_stop_exit_code(void);

/* One option of a verb, without its leading "--". */
struct cli_option {
	const char *name;
	int has_value;
};
/* What cli_parse returns when the user asked for --help (the verb prints it and exits 0). */
#define CLI_HELP (-1)
/* Parses argv with getopt_long over opts (a table ended by {NULL}; --help and -h are added):
 * handle(user, name, value) for each option given, value NULL for a flag; returns 0, CLI_HELP,
 * or an exit code: handle's, or EXIT_USAGE for an unknown option, a missing value or an
 * argument that is not an option (each named in the message). */
int cli_parse(const char *verb, int argc, char **argv, const struct cli_option *opts,
	      int (*handle)(void *user, const char *name, const char *value), void *user);
/* The options cli_train_flag takes, for the verbs' tables. */
extern const struct cli_option cli_train_options[];

/* train_flags.c: one option of the training configuration; returns 1 if it was one (with *rc
 * an exit code if its value was bad), 0 if the flag is not a training option. */
int cli_train_flag(const char *verb, ampcl_train_config_t *c, const char *flag, const char *value,
		   int *rc);
int cli_parse_int(const char *verb, const char *flag, const char *s, long lo, long hi, int *out);
int cli_parse_double(const char *verb, const char *flag, const char *s, double *out);
int cli_copy(const char *verb, const char *flag, const char *s, char *dst, size_t size);
/* --model's value checked: a built-in model or a file ending in .onnx (read when the net is
 * built); 0, or 2 after a usage error naming the valid values. */
int cli_check_model(const char *verb, const char *v);

/* The trainer's outputs callback: draws OUT/curves.png (a failure is reported, training goes on).
 */
void cli_draw_curves(void *user, const ampcl_train_config_t *cfg,
		     const struct ampcl_epoch_record *history, int epochs);

int cmd_devices(int argc, char **argv);
int cmd_verify(int argc, char **argv);
int cmd_selftest(int argc, char **argv);
int cmd_bench(int argc, char **argv);
int cmd_train(int argc, char **argv);
int cmd_eval(int argc, char **argv);
int cmd_export(int argc, char **argv);
int cmd_study(int argc, char **argv);
int cmd_tune(int argc, char **argv);

#endif
