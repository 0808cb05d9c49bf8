/* test_study.c: `ampcl study` on a tiny CIFAR-format set: every combination trained once per
 * seed, the baseline once, results.md/csv and plots written, finished runs skipped on restart. */
#include "testutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>

int main(void)
{
	char dir[] = "/tmp/ampcl-study-XXXXXX";
	if (!mkdtemp(dir))
		return 1;
	char data[600], args[2048], path[700];
	snprintf(data, sizeof(data), "%s/data", dir);
	tu_write_tiny_cifar(data, 8, 12);
	snprintf(args, sizeof(args),
		 "study --data %s --out %s/study --model resnet18 --width 2 --batch 8 --epochs 2 "
		 "--amp-factor 2,4 --amp-types 'bn;relu' --amp-epochs 'none;0-1' --lr 0.05 "
		 "--seeds 1,2 --target 0.5",
		 data, dir);
	char *out = tu_malloc(1 << 16);
	int rc = tu_run_cli(args, out, 1 << 16);
	/* 2 factors x 2 types amplified + 1 baseline = 5 configurations, x 2 seeds */
	tu_check(rc == 0 && tu_count_substr(out, "/10] ") == 10 && strstr(out, "[10/10]"),
		 "study runs", "exit %d, %d runs:\n%s", rc, tu_count_substr(out, "/10] "), out);
	snprintf(path, sizeof(path), "%s/study/results.csv", dir);
	tu_check(tu_count_lines(path) == 11, "results.csv", "%d lines (want header + 10)",
		 tu_count_lines(path));
	snprintf(path, sizeof(path), "%s/study/results.md", dir);
	FILE *f = fopen(path, "r");
	char *md = tu_malloc(1 << 16);
	size_t len = f ? fread(md, 1, (1 << 16) - 1, f) : 0;
	md[len] = 0;
	if (f)
		fclose(f);
	tu_check(strstr(md, "no amplification") && strstr(md, "bn x4 ratio 0.3") &&
		     strstr(md, "epochs to reach 50.0%"),
		 "results.md", "%zu bytes", len);
	struct stat sb;
	snprintf(path, sizeof(path), "%s/study/accuracy.png", dir);
	int png = stat(path, &sb) == 0 && sb.st_size > 1000;
	snprintf(path, sizeof(path), "%s/study/final.png", dir);
	png &= stat(path, &sb) == 0 && sb.st_size > 1000;
	tu_check(png, "plots written", "accuracy.png and final.png");

	rc = tu_run_cli(args, out, 1 << 16);
	tu_check(rc == 0 && tu_count_substr(out, "skipped") == 10 && !strstr(out, "epoch 0"),
		 "a restarted study skips finished runs", "exit %d, %d skipped", rc,
		 tu_count_substr(out, "skipped"));

	snprintf(args, sizeof(args),
		 "study --data %s --out %s/bad --amp-epochs 0-1 --amp-ratio 0.5,1.5", data, dir);
	rc = tu_run_cli(args, out, 1 << 16);
	tu_check(rc == 2 && strstr(out, "--amp-ratio 1.5"), "a bad value fails before any run",
		 "exit %d: %s", rc, out);
	snprintf(args, sizeof(args), "study --data %s --out %s/bad --amp-factor 2,x", data, dir);
	rc = tu_run_cli(args, out, 1 << 16);
	tu_check(rc == 2 && strstr(out, "--amp-factor"), "a malformed list", "exit %d: %s", rc,
		 out);
	free(out);
	free(md);
	tu_remove_tree(dir);
	return tu_finish();
}
