/* test_locale.c: a program under de_DE (decimal comma, built with localedef): log.csv, JSON and
 * checkpoints still use '.', and a run written under it resumes with the same learning rate. */
#include "testutil.h"
#include "train_config.h"

#include <jansson.h>
#include <locale.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static char dir[] = "/tmp/ampcl-locale-XXXXXX";

static char *slurp(const char *path)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return NULL;
	fseek(f, 0, SEEK_END);
	long n = ftell(f);
	fseek(f, 0, SEEK_SET);
	char *s = tu_malloc((size_t)n + 1);
	s[fread(s, 1, (size_t)n, f)] = 0;
	fclose(f);
	return s;
}

int main(void)
{
	if (!mkdtemp(dir))
		return 1;
	char path[600], cmd[1400];
	snprintf(path, sizeof(path), "%s/locales", dir);
	snprintf(cmd, sizeof(cmd),
		 "mkdir -p '%s' && localedef -i de_DE -f UTF-8 '%s/de_DE.UTF-8' 2>&1", path, path);
	int made = system(cmd) == 0;
	tu_check(made, "localedef builds de_DE.UTF-8 (Debian's locales package)", "%s", cmd);
	setenv("LOCPATH", path, 1);
	const char *set = setlocale(LC_ALL, "de_DE.UTF-8");
	char probe[32];
	snprintf(probe, sizeof(probe), "%g", 0.5);
	tu_check(set && !strcmp(probe, "0,5"), "the host program's locale writes 0,5", "%s", probe);

	snprintf(path, sizeof(path), "%s/data", dir);
	tu_write_tiny_cifar(path, 8, 6);
	struct ampcl_context *ctx = tu_context();
	struct ampcl_train_config c;
	ampcl_train_config_defaults(&c);
	snprintf(c.model, sizeof(c.model), "resnet18");
	c.width = 2;
	snprintf(c.data, sizeof(c.data), "%s", path);
	c.epochs = 1;
	c.batch = 8;
	c.lr = 0.05;
	c.weight_decay = 2.5e-4;
	snprintf(c.out, sizeof(c.out), "%s/run", dir);
	ampcl_trainer_t *t;
	tu_ok(ampcl_trainer_create(ctx, &c, &t), "create");
	tu_ok(ampcl_trainer_run(t, NULL), "train under de_DE");
	ampcl_trainer_free(t);

	snprintf(path, sizeof(path), "%s/run/log.csv", dir);
	char *csv = slurp(path);
	tu_check(csv && strstr(csv, ",0.05,") && !strstr(csv, "0,05"), "log.csv uses '.'", "%s",
		 csv ? csv : "(missing)");
	free(csv);
	snprintf(path, sizeof(path), "%s/run/summary.json", dir);
	char *json = slurp(path);
	json_error_t jerr;
	json_t *doc = json ? json_loads(json, 0, &jerr) : NULL;
	tu_check(doc != NULL, "summary.json parses", "%.200s", json ? json : "(missing)");
	json_decref(doc);
	free(json);

	/* the checkpoint's text was written and is read back in the C locale */
	snprintf(path, sizeof(path), "%s/run/last.ampcl", dir);
	tu_ok(ampcl_trainer_resume(ctx, path, 2, NULL, &t), "resume under de_DE");
	const struct ampcl_train_config *r = ampcl_trainer_config(t);
	tu_check(r->lr == 0.05 && r->weight_decay == 2.5e-4, "the configuration survives",
		 "lr %.17g, weight decay %.17g", r->lr, r->weight_decay);
	tu_ok(ampcl_trainer_run(t, NULL), "resumed epoch");
	int n;
	const struct ampcl_epoch_record *h = ampcl_trainer_history(t, &n);
	tu_check(n == 2 && h[1].lr == 0.05, "the resumed epoch's learning rate", "%d epochs, lr %g",
		 n, n == 2 ? h[1].lr : NAN);
	ampcl_trainer_free(t);
	snprintf(probe, sizeof(probe), "%g", 0.5);
	tu_check(!strcmp(probe, "0,5"), "the host's locale is left as it was", "%s", probe);
	ampcl_context_free(ctx);
	tu_remove_tree(dir);
	return tu_finish();
}
