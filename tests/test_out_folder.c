/* test_out_folder.c: nothing outside the folder a user names is written: links planted at the
 * lock, at the temporaries' predictable names and at the appended logs are never followed. */
#include "files.h"
#include "testutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static char dir[] = "/tmp/ampcl-out-folder-XXXXXX";

/* The file planted links point at: its contents must never change. */
static char victim[600];
#define VICTIM_TEXT "not ampcl's\n"

static void write_victim(void)
{
	FILE *f = fopen(victim, "w");
	fputs(VICTIM_TEXT, f);
	fclose(f);
}

static int victim_intact(void)
{
	size_t n;
	char *text = tu_read_file(victim, &n);
	int same = text && n == strlen(VICTIM_TEXT) && !memcmp(text, VICTIM_TEXT, n);
	free(text);
	return same;
}

static int is_link(const char *path)
{
	struct stat sb;
	return lstat(path, &sb) == 0 && S_ISLNK(sb.st_mode);
}

int main(void)
{
	if (!mkdtemp(dir))
		return 1;
	char data[600], out[600], path[700], args[8192], text[16384];
	snprintf(victim, sizeof(victim), "%s/victim.txt", dir);
	snprintf(data, sizeof(data), "%s/data", dir);
	tu_write_tiny_cifar(data, 8, 8);

	/* links at the next temporaries' names: each is passed over, the file is written whole
	 * and in place, and the link's target is left alone */
	write_victim();
	snprintf(path, sizeof(path), "%s/result.json", dir);
	for (int serial = 0; serial < 3; serial++) {
		char tmp[800];
		snprintf(tmp, sizeof(tmp), "%s.tmp.%ld.%d", path, (long)getpid(), serial);
		tu_check(symlink(victim, tmp) == 0, "plant a link at a temporary's name", "%s", tmp);
	}
	struct ampcl_atomic a;
	ampcl_status st = ampcl_atomic_open(&a, path);
	if (!st) {
		fputs("{}\n", a.f);
		st = ampcl_atomic_commit(&a);
	}
	tu_check(st == AMPCL_OK && victim_intact() && !is_link(path),
		 "an atomic write passes over links at its temporary names",
		 "status %d, victim intact %d, result a link %d: %s", st, victim_intact(),
		 is_link(path), ampcl_last_error());

	/* a lock that is a link: refused, its target untouched */
	snprintf(out, sizeof(out), "%s/run-lock", dir);
	mkdir(out, 0755);
	snprintf(path, sizeof(path), "%s/.lock", out);
	tu_check(symlink(victim, path) == 0, "plant a link at the lock", "%s", path);
	snprintf(args, sizeof(args),
		 "train --data %s --model resnet18 --width 2 --batch 8 --epochs 1 --out %s", data,
		 out);
	int rc = tu_run_cli(args, text, sizeof(text));
	tu_check(rc == 2 && strstr(text, "symbolic link") && victim_intact(),
		 "a linked lock is refused", "exit %d, victim intact %d: %s", rc, victim_intact(),
		 text);

	/* a FIFO at the lock: refused at once, not waited on */
	snprintf(out, sizeof(out), "%s/run-fifo", dir);
	mkdir(out, 0755);
	snprintf(path, sizeof(path), "%s/.lock", out);
	mkfifo(path, 0644);
	snprintf(args, sizeof(args),
		 "train --data %s --model resnet18 --width 2 --batch 8 --epochs 1 --out %s", data,
		 out);
	rc = tu_run_cli(args, text, sizeof(text));
	tu_check(rc == 2 && strstr(text, "not a regular file"), "a FIFO lock is refused",
		 "exit %d: %s", rc, text);

	/* amp.log, appended each epoch, planted as a link: training goes on, the target stays */
	snprintf(out, sizeof(out), "%s/run-amp", dir);
	mkdir(out, 0755);
	snprintf(path, sizeof(path), "%s/amp.log", out);
	tu_check(symlink(victim, path) == 0, "plant a link at amp.log", "%s", path);
	snprintf(args, sizeof(args),
		 "train --data %s --model resnet18 --width 2 --batch 8 --epochs 1 --amp-epochs 0 "
		 "--out %s --overwrite",
		 data, out);
	rc = tu_run_cli(args, text, sizeof(text));
	tu_check(rc == 0 && victim_intact(), "a linked amp.log is not followed",
		 "exit %d, victim intact %d: %s", rc, victim_intact(), text);

	/* a newline in --out would add settings to the checkpoint's lines: refused before any
	 * folder is made; spaces and quotes round-trip through a resume */
	snprintf(args, sizeof(args),
		 "train --data %s --model resnet18 --width 2 --batch 8 --epochs 1 "
		 "--out \"$(printf '%s/inj\\nout %s/elsewhere\\nlr 7')\"",
		 data, dir, dir);
	rc = tu_run_cli(args, text, sizeof(text));
	snprintf(path, sizeof(path), "%s/elsewhere", dir);
	struct stat sb;
	tu_check(rc == 2 && strstr(text, "control character") && stat(path, &sb) != 0,
		 "a newline in --out is refused", "exit %d: %s", rc, text);
	snprintf(args, sizeof(args),
		 "train --data %s --model resnet18 --width 2 --batch 8 --epochs 1 "
		 "--out '%s/a b\"c d'",
		 data, dir);
	rc = tu_run_cli(args, text, sizeof(text));
	snprintf(args, sizeof(args), "train --resume '%s/a b\"c d/last.ampcl' --epochs 2", dir);
	int rc2 = tu_run_cli(args, text, sizeof(text));
	snprintf(path, sizeof(path), "%s/a b\"c d/log.csv", dir);
	tu_check(rc == 0 && rc2 == 0 && tu_count_lines(path) == 3,
		 "a folder with spaces and quotes resumes", "exit %d then %d, %d log lines: %s",
		 rc, rc2, tu_count_lines(path), text);

	/* a checkpoint kept from a run whose folder now holds another run (trained there with
	 * --overwrite): resuming it there is refused, elsewhere it goes on */
	snprintf(out, sizeof(out), "%s/reused", dir);
	snprintf(args, sizeof(args),
		 "train --data %s --model resnet18 --width 2 --batch 8 --epochs 1 --out %s "
		 "--overwrite && cp %s/last.ampcl %s/kept.ampcl && "
		 "'%s' train --data %s --model resnet18 --width 2 --batch 8 --epochs 1 --seed 9 "
		 "--out %s --overwrite",
		 data, out, out, dir, getenv("AMPCL_BIN"), data, out);
	rc = tu_run_cli(args, text, sizeof(text));
	snprintf(path, sizeof(path), "%s/last.ampcl", out);
	struct stat before;
	stat(path, &before);
	snprintf(args, sizeof(args), "train --resume %s/kept.ampcl --epochs 2", dir);
	rc2 = tu_run_cli(args, text, sizeof(text));
	struct stat after;
	stat(path, &after);
	tu_check(rc == 0 && rc2 == 2 && strstr(text, "now holds another run") &&
		     before.st_mtime == after.st_mtime && before.st_ino == after.st_ino,
		 "a resume into a folder that holds another run is refused", "exit %d then %d: %s",
		 rc, rc2, text);
	snprintf(args, sizeof(args), "train --resume %s/kept.ampcl --epochs 2 --out %s/moved", dir,
		 dir);
	rc = tu_run_cli(args, text, sizeof(text));
	tu_check(rc == 0, "the same resume with --out", "exit %d: %s", rc, text);

	tu_remove_tree(dir);
	return tu_finish();
}
