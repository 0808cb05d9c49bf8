/* test_verify.c: `ampcl verify` passes on the test device, writes its JSON report and the mark
 * train looks for, and fails, naming the op, when AMPCL_VERIFY_BREAK makes any one family's
 * results wrong (a check that cannot fail is a defect); selftest is verify --quick; train hints
 * at verify until it has passed. */
#include "testutil.h"
#include "verify.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static char dir[] = "/tmp/ampcl-verify-XXXXXX";

/* "ampcl verify: N of M checks FAILED": N, or -1 */
static int failed_count(const char *out)
{
	const char *line = strstr(out, "ampcl verify: ");
	return line && strstr(line, " checks FAILED") ? atoi(line + strlen("ampcl verify: ")) : -1;
}

static void broken(const char *family, const char *extra)
{
	static char out[1 << 20];
	char args[512], name[128], needle[64];
	setenv("AMPCL_VERIFY_BREAK", family, 1);
	snprintf(args, sizeof(args), "verify %s", extra);
	int rc = tu_run_cli(args, out, sizeof(out));
	unsetenv("AMPCL_VERIFY_BREAK");
	/* every failure listed is of this family: "  family: op at shape: ..." */
	snprintf(needle, sizeof(needle), "\n  %s: ", family);
	int named = tu_count_substr(out, needle), failed = failed_count(out);
	snprintf(name, sizeof(name), "AMPCL_VERIFY_BREAK=%s verify %s", family, extra);
	tu_check(rc == 1 && failed > 0 && named == failed, name,
		 "exit %d (want 1), %d failures listed, %d of them naming %s", rc, failed, named,
		 family);
	if (rc != 1 || named != failed)
		fprintf(stderr, "%s\n", out);
}

int main(void)
{
	static char out[1 << 20];
	char args[512], path[600];
	if (!mkdtemp(dir))
		return 1;
	/* a cache of its own: the mark is written there */
	snprintf(path, sizeof(path), "%s/cache", dir);
	setenv("AMPCL_CACHE_DIR", path, 1);

	/* train on a device that never passed verify here: one line says so, training goes on */
	snprintf(path, sizeof(path), "%s/data", dir);
	tu_write_tiny_cifar(path, 8, 8);
	snprintf(
	    args, sizeof(args),
	    "train --data %s/data --model resnet18 --width 2 --batch 8 --epochs 1 --out %s/run1",
	    dir, dir);
	int rc = tu_run_cli(args, out, sizeof(out));
	tu_check(rc == 0 && tu_count_substr(out, "has not passed 'ampcl verify'") == 1,
		 "train's hint before verify", "exit %d:\n%.3000s", rc, out);

	/* every check passes, the report is written, the mark stored */
	snprintf(args, sizeof(args), "verify --json %s/report.json", dir);
	rc = tu_run_cli(args, out, sizeof(out));
	tu_check(rc == 0 && strstr(out, "verify passed"), "verify passes", "exit %d:\n%s", rc, out);
	snprintf(path, sizeof(path), "%s/report.json", dir);
	size_t n;
	char *json = tu_read_file(path, &n);
	tu_check(json && strstr(json, "\"passed\": true") && strstr(json, "\"driver_version\"") &&
		     strstr(json, "\"conv2d_backward dw\"") &&
		     strstr(json, "\"replay loss, step 8\"") && strstr(json, "\"ampcl_version\"") &&
		     strstr(json, "\"tolerance_from\""),
		 "the JSON report", "%s: %zu bytes", path, json ? n : 0);
	free(json);
	snprintf(args, sizeof(args), "ls %s/cache | grep -c '^verified-'", dir);
	FILE *p = popen(args, "r");
	int marks = 0;
	if (p) {
		if (fscanf(p, "%d", &marks) != 1)
			marks = 0;
		pclose(p);
	}
	tu_check(marks == 1, "the mark beside the program cache", "%d marks in %s/cache", marks,
		 dir);

	snprintf(
	    args, sizeof(args),
	    "train --data %s/data --model resnet18 --width 2 --batch 8 --epochs 1 --out %s/run2",
	    dir, dir);
	rc = tu_run_cli(args, out, sizeof(out));
	tu_check(rc == 0 && !strstr(out, "ampcl verify"), "no hint after verify passed",
		 "exit %d:\n%.3000s", rc, out);

	/* selftest is verify --quick */
	rc = tu_run_cli("selftest", out, sizeof(out));
	tu_check(rc == 0 && strstr(out, "verify passed") && strstr(out, "(quick"), "selftest",
		 "exit %d:\n%.2000s", rc, out);

	/* each family broken in turn fails, naming it: at the quick shapes, and one at the
	 * model's */
	static const char *families[] = {
	    "probe",   "gemm",        "conv_forward", "conv_backward", "conv_general", "bn_forward",
	    "bn_eval", "bn_backward", "maxpool",      "avgpool",       "pool_general", "relu",
	    "clip",    "add",         "concat",       "slice",         "dropout",      "linear",
	    "loss",    "amplify",     "sgd",          "replay"};
	for (size_t i = 0; i < sizeof(families) / sizeof(families[0]); i++)
		broken(families[i], "--quick");
	broken("conv_backward", "");
	/* the list above is the library's, so a new family cannot go untested */
	char list[512] = "";
	for (size_t i = 0; i < sizeof(families) / sizeof(families[0]); i++)
		snprintf(list + strlen(list), sizeof(list) - strlen(list), "%s%s", i ? " " : "",
			 families[i]);
	tu_check(!strcmp(list, vf_families()), "every family broken once",
		 "tested: %s; the library's: %s", list, vf_families());

	setenv("AMPCL_VERIFY_BREAK", "nonsense", 1);
	rc = tu_run_cli("verify --quick", out, sizeof(out));
	unsetenv("AMPCL_VERIFY_BREAK");
	tu_check(rc != 0 && strstr(out, "AMPCL_VERIFY_BREAK='nonsense'"), "an unknown family",
		 "exit %d: %.500s", rc, out);
	rc = tu_run_cli("verify --quick --width 4", out, sizeof(out));
	tu_check(rc == 2 && strstr(out, "--quick"), "--quick with --width", "exit %d: %s", rc, out);
	tu_remove_tree(dir);
	return tu_finish();
}
