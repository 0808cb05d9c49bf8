/* main.c: the `ampcl` program's entry: global flags (--help, --version) and the verb table.
 * Each verb lives in its own cmd_*.c and prints its own --help. */
#include "cli.h"

#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

struct verb {
	const char *name;
	int (*run)(int argc, char **argv);
	const char *summary;
};

static const struct verb verbs[] = {
    {"train", cmd_train, "train a network (--help lists the options)"},
    {"eval", cmd_eval, "test loss and accuracy of a checkpoint"},
    {"export", cmd_export, "a checkpoint's weights as PyTorch-named safetensors"},
    {"study", cmd_study, "sweep amplification settings; results table and plots"},
    {"devices", cmd_devices, "list OpenCL platforms and devices (--json for scripts)"},
    {"verify", cmd_verify, "check every op and a training replay against double precision"},
    {"selftest", cmd_selftest, "verify --quick (its former name)"},
    {"bench", cmd_bench, "check, then time every layer kernel on one device (--kernels)"},
    {"tune", cmd_tune, "measure the fastest GEMM variants of a model on one device"},
};

static void usage(FILE *out)
{
	fprintf(out, "usage: ampcl [--version] [--help] VERB [options]\n\n"
		     "Trains deep convolutional networks on any OpenCL device.\n\nverbs:\n");
	for (size_t i = 0; i < sizeof(verbs) / sizeof(verbs[0]); i++)
		fprintf(out, "  %-10s %s\n", verbs[i].name, verbs[i].summary);
	fprintf(out,
		"\n'ampcl VERB --help' describes a verb. Environment: AMPCL_DEVICE (device "
		"index or name), AMPCL_KERNEL_DIR (load cl/*.cl from a folder), AMPCL_CACHE=0 "
		"(no program cache), AMPCL_CACHE_DIR (cache folder), AMPCL_TUNE=off|quick|full "
		"(tuning, default quick; see 'ampcl tune --help').\n");
}

int main(int argc, char **argv)
{
	/* past a file-size limit a write then fails (EFBIG) and says so, instead of the process
	 * being killed half-way */
	signal(SIGXFSZ, SIG_IGN);
	if (argc < 2) {
		usage(stderr);
		return EXIT_USAGE;
	}
	if (cli_is_help(argv[1])) {
		usage(stdout);
		return EXIT_OK;
	}
	if (!strcmp(argv[1], "--version")) {
		printf("ampcl %s\n", ampcl_version());
		return EXIT_OK;
	}
	for (size_t i = 0; i < sizeof(verbs) / sizeof(verbs[0]); i++)
		if (!strcmp(argv[1], verbs[i].name))
			return verbs[i].run(argc - 1, argv + 1);
	fprintf(stderr, "ampcl: unknown verb '%s'\n", argv[1]);
	usage(stderr);
	return EXIT_USAGE;
}
