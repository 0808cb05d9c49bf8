/* test_verify.c: `ampcl verify` passes on the test device, writes its JSON report and the mark
 * train looks for, and fails, naming the op, when AMPCL_VERIFY_BREAK makes any one family's
 * results wrong (a check that cannot fail is a defect); selftest is verify --quick; train hints
 * at verify until it has passed. */
#include "testutil.h"
#include "verify.h"
#include "ampcl.h"

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

/* The report's checks of family whose shape starts with shape: how many, and how many passed. */
static int checks_at(const struct ampcl_verify_report *r, const char *family, const char *shape,
		     int *passed)
{
	int n = 0;
	*passed = 0;
	for (int i = 0; i < r->nchecks; i++)
		if (!strcmp(r->checks[i].family, family) &&
		    !strncmp(r->checks[i].shape, shape, strlen(shape))) {
			n++;
			*passed += r->checks[i].passed;
		}
	return n;
}

static const char *fact(const struct ampcl_verify_report *r, const char *name)
{
	for (int i = 0; i < r->nfacts; i++)
		if (!strcmp(r->facts[i].name, name))
			return r->facts[i].value;
	return NULL;
}

/* A MobileNet-like net of the layer types ONNX models brought, built through the public API:
 * `ampcl verify --model` checks each layer at its shape (vf_ops_net), forward and backward,
 * with the betas the net's forks take; broken, the conv_general checks fail. */
static void model_layers(void)
{
	struct ampcl_context *ctx = tu_context();
	ampcl_net_t *net;
	int l[10];
	struct ampcl_conv2d_options stem = {8, 3, 3, 2, 2, 1, 1, 1, 1, 1, 1, 1, 0};
	struct ampcl_conv2d_options dw = {8, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 8, 1};
	struct ampcl_pool2d_options pool = {2, 2, 1, 1, 0, 0, 0, 0, 0, 0};
	struct ampcl_pool2d_options gap = {4, 4, 4, 4, 0, 0, 0, 0, 0, 0};
	struct ampcl_linear_options fc = {5, 1, 1, NULL, NULL};
	tu_ok(ampcl_net_create(ctx, 3, 10, 10, &net), "net");
	tu_ok(ampcl_net_conv2d_general(net, "stem", 0, &stem, &l[1]), "stem");
	tu_ok(ampcl_net_clip(net, "relu6", l[1], 0.0f, 6.0f, &l[2]), "relu6");
	tu_ok(ampcl_net_conv2d_general(net, "dw", l[2], &dw, &l[3]), "dw");
	tu_ok(ampcl_net_pool2d(net, "pool", l[3], 0, &pool, &l[4]), "pool");
	tu_ok(ampcl_net_slice(net, "half", l[4], 2, 3, &l[5]), "half");
	tu_ok(ampcl_net_concat(net, "cat", l[4], l[5], &l[6]), "cat");
	tu_ok(ampcl_net_dropout(net, "drop", l[6], 0.25f, &l[7]), "drop");
	tu_ok(ampcl_net_pool2d(net, "gap", l[7], 1, &gap, &l[8]), "gap");
	tu_ok(ampcl_net_linear_general(net, "fc", l[8], &fc, &l[9]), "fc");
	/* family, the shape at batch 2, the checks (outputs) */
	static const struct {
		const char *family, *shape;
		int checks;
	} want[] = {
	    {"conv_general", "n2 c3 10x10 k8 3x3 g1 s2x2 p1,1,1,1 d1x1 no dx", 2},
	    {"clip", "400 elements, 0..6", 2},
	    {"conv_general", "n2 c8 5x5 k8 3x3 g8 s1x1 p1,1,1,1 d1x1 bias", 4},
	    {"pool_general", "n2 c8 5x5 window 2x2 s1x1 p0,0,0,0", 2},
	    {"slice", "n2 channels 2..5 of 8 hw16 dx+=", 2}, /* pool feeds two layers */
	    {"concat", "n2 c8+3 hw16 da+=", 3},
	    {"dropout", "352 elements, p 0.25 (", 2},
	    {"pool_general", "n2 c11 4x4 window 4x4 s4x4 p0,0,0,0", 2},
	    {"linear", "n2 in11 out5 w(in,out) bias", 4},
	};
	for (int round = 0; round < 2; round++) {
		struct vf_report *owner = calloc(1, sizeof(*owner));
		struct vf_run v = {.ctx = ctx,
				   .rep = &owner->pub,
				   .brk = round ? "conv_general" : "",
				   .rng = 20240611};
		tu_ok(vf_ops_net(&v, net, 2, NULL, NULL), "vf_ops_net");
		struct ampcl_verify_report *r = &owner->pub;
		int conv_checks = 0;
		for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
			int passed, n = checks_at(r, want[i].family, want[i].shape, &passed);
			conv_checks += !strcmp(want[i].family, "conv_general") ? n : 0;
			if (!round)
				tu_check(n == want[i].checks && passed == n, want[i].shape,
					 "%s: %d checks (want %d), %d passed", want[i].family, n,
					 want[i].checks, passed);
		}
		const char *checked = fact(r, "model layers checked");
		if (!round) {
			tu_check(r->nchecks == 23 && !r->failed, "every check of the net's layers",
				 "%d checks (want 23), %d failed", r->nchecks, r->failed);
			tu_check(checked && !strcmp(checked, "9 of 9, at 9 distinct shapes") &&
				     !fact(r, "model layers NOT checked"),
				 "every layer checked", "%s", checked ? checked : "no fact");
		} else {
			tu_check(r->failed == conv_checks && conv_checks == 6,
				 "the net's conv_general checks broken", "%d failed, want %d of 6",
				 r->failed, conv_checks);
		}
		ampcl_verify_report_free(r);
	}
	ampcl_net_free(net);
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

	model_layers();

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
