/* test_study_inputs.c: a study never counts one run twice and writes only under its --out:
 * duplicate values refused, a restart with other settings or a damaged or planted checkpoint
 * refused, a moved study extended in place; `--resume DIR` continues a run folder. */
#include "testutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static char dir[] = "/tmp/ampcl-study-inputs-XXXXXX";
static char data[600], args[4096], *out;

static int study(const char *folder, const char *flags)
{
	snprintf(args, sizeof(args),
		 "study --data %s --out %s/%s --model resnet18 --width 2 --batch 8 --epochs 1 "
		 "--lr 0.05 %s",
		 data, dir, folder, flags);
	return tu_run_cli(args, out, 1 << 16);
}

static int exists(const char *folder)
{
	char path[900];
	struct stat sb;
	snprintf(path, sizeof(path), "%s/%s", dir, folder);
	return stat(path, &sb) == 0;
}

int main(void)
{
	if (!mkdtemp(dir))
		return 1;
	out = tu_malloc(1 << 16);
	snprintf(data, sizeof(data), "%s/data", dir);
	tu_write_tiny_cifar(data, 8, 8);

	/* one value given twice, however it is spelled, or two that share a folder name */
	static const char *const twice[] = {
	    "--lr 0.1,0.1",         "--lr 0.1,0.10",         "--seeds 1,1",
	    "--amp-factor 2,2.0",   "--amp-epochs '0;0'",    "--seeds 1,1,1 --amp-epochs 'none;0'",
	    "--lr 0.1000001,0.1000002", "--amp-epochs '0-2;0,1,2'", "--amp-epochs '0,1;none;1-1,0'",
	    "--amp-epochs 0 --amp-types 'bn,relu;relu,bn'"};
	for (size_t i = 0; i < sizeof(twice) / sizeof(twice[0]); i++) {
		int rc = study("dup", twice[i]);
		tu_check(rc == 2 && (strstr(out, "twice") || strstr(out, "share the folder")) &&
			     !exists("dup/runs"),
			 "a duplicate is refused before any run", "%s: exit %d: %s", twice[i], rc,
			 out);
	}

	/* a seed above 2^53 is kept exactly */
	int rc = study("big", "--seeds 9007199254740993");
	tu_check(rc == 0 && exists("big/runs/lr0.05_off_s9007199254740993"),
		 "a seed above 2^53 is kept", "exit %d: %s", rc, out);

	/* a restart with another width: refused naming it, then --overwrite trains again */
	rc = study("big", "--seeds 9007199254740993 --width 3");
	tu_check(rc == 2 && strstr(out, "other settings") && strstr(out, "width"),
		 "a restart with other settings is refused", "exit %d: %s", rc, out);
	rc = study("big", "--seeds 9007199254740993 --width 3 --overwrite");
	tu_check(rc == 0 && !strstr(out, "skipped"), "--overwrite trains it again", "exit %d: %s",
		 rc, out);

	/* two seeds; then seed 2's checkpoint replaced by seed 1's: refused, nothing retrained */
	rc = study("two", "--seeds 1,2");
	char from[900], to[900], cmd[2048];
	snprintf(from, sizeof(from), "%s/two/runs/lr0.05_off_s1/last.ampcl", dir);
	snprintf(to, sizeof(to), "%s/two/runs/lr0.05_off_s2/last.ampcl", dir);
	snprintf(cmd, sizeof(cmd), "cp '%s' '%s'", from, to);
	int planted = rc == 0 && system(cmd) == 0;
	rc = study("two", "--seeds 1,2");
	tu_check(planted && rc == 2 && strstr(out, "seed"), "another run's checkpoint is refused",
		 "exit %d: %s", rc, out);
	/* a damaged checkpoint: refused, not trained again from scratch */
	FILE *f = fopen(to, "r+");
	int damaged = f && fputs("garbage", f) >= 0;
	if (f)
		fclose(f);
	rc = study("two", "--seeds 1,2");
	tu_check(damaged && rc == 2 && strstr(out, "cannot be read"),
		 "a damaged checkpoint is refused", "exit %d: %s", rc, out);

	/* a study moved elsewhere and extended: its runs go on in the new folder, the old one
	 * is left as it was */
	rc = study("moved-from", "--seeds 1");
	snprintf(cmd, sizeof(cmd), "mv '%s/moved-from' '%s/moved-to'", dir, dir);
	int moved = rc == 0 && system(cmd) == 0;
	snprintf(args, sizeof(args),
		 "study --data %s --out %s/moved-to --model resnet18 --width 2 --batch 8 --epochs 2 "
		 "--lr 0.05 --seeds 1",
		 data, dir);
	rc = tu_run_cli(args, out, 1 << 16);
	char log[900];
	snprintf(log, sizeof(log), "%s/moved-to/runs/lr0.05_off_s1/log.csv", dir);
	tu_check(moved && rc == 0 && tu_count_lines(log) == 3 && !exists("moved-from"),
		 "a moved study is extended where it is", "exit %d, %d log lines: %s", rc,
		 tu_count_lines(log), out);

	/* --resume with a run folder, as the messages on a stop advise */
	snprintf(args, sizeof(args), "train --resume %s/moved-to/runs/lr0.05_off_s1 --epochs 3",
		 dir);
	rc = tu_run_cli(args, out, 1 << 16);
	tu_check(rc == 0 && tu_count_lines(log) == 4, "--resume takes a run folder",
		 "exit %d, %d log lines: %s", rc, tu_count_lines(log), out);

	free(out);
	tu_remove_tree(dir);
	return tu_finish();
}
