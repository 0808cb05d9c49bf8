/* fuzz_cli.c: `ampcl train`'s command-line parsing on any argument vector (the input split at
 * NUL bytes): every flag parses into the configuration or is a usage error, and the configuration
 * check then accepts or refuses it with a message. */
#include "cli.h"
#include "train_config.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int on_option(void *user, const char *name, const char *v)
{
	char flag[80];
	snprintf(flag, sizeof(flag), "--%s", name);
	int rc = 0;
	if (!cli_train_flag("fuzz", user, flag, v ? v : "1", &rc))
		rc = 0; /* a verb's own option (--device, --resume): not the configuration's */
	return rc;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct cli_option opts[64] = {{"device", 1}, {"resume", 1},   {"epochs", 1},
					     {"out", 1},    {"nesterov", 0}, {"overwrite", 0}};
	if (!opts[6].name)
		for (int i = 0, n = 6; cli_train_options[i].name; i++)
			opts[n++] = cli_train_options[i];
	char *text = malloc(size + 1);
	memcpy(text, data, size);
	text[size] = 0;
	char *argv[34] = {"train"};
	int argc = 1;
	for (char *p = text; p < text + size && argc < 33; p += strlen(p) + 1)
		argv[argc++] = p;
	argv[argc] = NULL;
	ampcl_train_config_t *c;
	if (ampcl_train_config_create(&c))
		return 0;
	if (cli_parse("fuzz", argc, argv, opts, on_option, c) == 0)
		ampcl_train_config_check(c);
	ampcl_train_config_free(c);
	free(text);
	return 0;
}
