/* test_study_parallel.c: a study run by several jobs, over a device list and under mpirun's two
 * ranks gives the results of the same runs one after another; failed runs do not stop it. */
#include "testutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* A file's lines with the comma-separated columns whose bit is set in `drop` left out (times,
 * rates), sorted by nothing: the files are compared line by line. NULL if unreadable. */
static char *without_columns(const char *path, unsigned drop)
{
	size_t n;
	char *text = tu_read_file(path, &n);
	if (!text)
		return NULL;
	char *out = tu_malloc(n + 1), *o = out;
	int column = 0;
	for (const char *p = text; *p; p++) {
		if (*p == '\n')
			column = -1;
		if (column < 0 || !(drop >> column & 1))
			*o++ = *p;
		if (*p == ',' || *p == '\n')
			column++;
	}
	*o = 0;
	free(text);
	return out;
}

/* Whether two files are the same but for the dropped columns. */
static int same_but(const char *a, const char *b, unsigned drop)
{
	char *x = without_columns(a, drop), *y = without_columns(b, drop);
	int same = x && y && !strcmp(x, y);
	free(x), free(y);
	return same;
}

static const char *const run_names[] = {"lr0.05_off_s1",
					"lr0.05_off_s2",
					"lr0.05_bn_f2_r0.5_e0-1_s1",
					"lr0.05_bn_f2_r0.5_e0-1_s2",
					"lr0.05_bn_f2_r0.5_e0-1_auto_s1",
					"lr0.05_bn_f2_r0.5_e0-1_auto_s2"};

/* Study `name` against the one-after-another study "seq": results.csv but for the seconds
 * (column 12), each run's log.csv but for seconds, images/s and data wait (6-8). */
static void compare(const char *dir, const char *name)
{
	char a[700], b[700];
	snprintf(a, sizeof(a), "%s/seq/results.csv", dir);
	snprintf(b, sizeof(b), "%s/%s/results.csv", dir, name);
	tu_check(same_but(a, b, 1u << 12), name, "results.csv differs from the sequential study's");
	int same = 1;
	for (size_t i = 0; i < sizeof(run_names) / sizeof(run_names[0]); i++) {
		snprintf(a, sizeof(a), "%s/seq/runs/%s/log.csv", dir, run_names[i]);
		snprintf(b, sizeof(b), "%s/%s/runs/%s/log.csv", dir, name, run_names[i]);
		if (!same_but(a, b, 7u << 6)) {
			tu_check(0, name, "%s: log.csv differs from the sequential run's",
				 run_names[i]);
			same = 0;
		}
	}
	if (same)
		tu_check(1, name, "every run's log.csv is the sequential one's");
}

int main(void)
{
	char dir[] = "/tmp/ampcl-study-par-XXXXXX";
	if (!mkdtemp(dir))
		return 1;
	char data[600], sweep[2048], args[4096], path[700];
	snprintf(data, sizeof(data), "%s/data", dir);
	tu_write_tiny_cifar(data, 8, 12);
	/* 1 baseline + random and auto selection, 2 seeds, at a rate that trains and one that
	 * diverges at once (its 6 runs fail) */
	snprintf(
	    sweep, sizeof(sweep),
	    "--data %s --model resnet18 --width 2 --batch 8 --epochs 2 --amp-epochs 'none;0-1' "
	    "--amp-ratio 0.5 --amp-select random,auto --lr 0.05,1e30 --seeds 1,2",
	    data);
	char *out = tu_malloc(1 << 17);

	snprintf(args, sizeof(args), "study %s --out %s/seq", sweep, dir);
	int rc = tu_run_cli(args, out, 1 << 17);
	tu_check(rc == 1 && strstr(out, "[12/12]") && strstr(out, "6 of 12 runs failed") &&
		     strstr(out, "diverged"),
		 "failed runs are reported and the others go on", "exit %d:\n%s", rc, out);
	snprintf(path, sizeof(path), "%s/seq/results.csv", dir);
	size_t csv_len;
	char *csv = tu_read_file(path, &csv_len);
	tu_check(csv && tu_count_substr(csv, ",ok\n") == 6 &&
		     tu_count_substr(csv, ",failed\n") == 6 && tu_count_substr(csv, ",auto,") == 4,
		 "results.csv: 6 ok, 6 failed, 4 with auto selection", "%s", csv ? csv : "(none)");
	free(csv);

	snprintf(args, sizeof(args), "study %s --out %s/jobs --jobs 3", sweep, dir);
	rc = tu_run_cli(args, out, 1 << 17);
	tu_check(rc == 1 && strstr(out, "lr0.05_off_s1 epoch 1"), "--jobs 3 runs", "exit %d:\n%s",
		 rc, out);
	compare(dir, "jobs");

	/* the default device (AMPCL_DEVICE may pick another than 0) twice, by index */
	int device = 0;
	ampcl_device_resolve(NULL, &device);
	snprintf(args, sizeof(args), "study %s --out %s/devices --devices %d,%d", sweep, dir,
		 device, device);
	rc = tu_run_cli(args, out, 1 << 17);
	tu_check(rc == 1, "--devices N,N runs", "exit %d:\n%s", rc, out);
	compare(dir, "devices");

	/* started again: the finished runs are skipped, the failed ones tried again */
	snprintf(args, sizeof(args), "study %s --out %s/jobs --jobs 2", sweep, dir);
	rc = tu_run_cli(args, out, 1 << 17);
	tu_check(rc == 1 && tu_count_substr(out, "skipped") == 6,
		 "a restarted parallel study skips", "%d:\n%s", rc, out);

	snprintf(args, sizeof(args), "study %s --out %s/bad --devices 0,nosuchdevice", sweep, dir);
	rc = tu_run_cli(args, out, 1 << 17);
	tu_check(rc == 2 && strstr(out, "nosuchdevice"), "a device list naming no device",
		 "exit %d:\n%s", rc, out);
	snprintf(args, sizeof(args), "study %s --out %s/bad --jobs 0", sweep, dir);
	rc = tu_run_cli(args, out, 1 << 17);
	tu_check(rc == 2 && strstr(out, "--jobs"), "--jobs 0", "exit %d:\n%s", rc, out);

	const char *mpiexec = getenv("AMPCL_MPIEXEC");
	if (ampcl_mpi_built() && mpiexec && *mpiexec) {
		/* two ranks on this machine's one device; Open MPI refuses root unless told */
		setenv("OMPI_ALLOW_RUN_AS_ROOT", "1", 1);
		setenv("OMPI_ALLOW_RUN_AS_ROOT_CONFIRM", "1", 1);
		char cmd[8192];
		snprintf(cmd, sizeof(cmd),
			 "'%s' -np 2 --oversubscribe '%s' study %s --out %s/mpi 2>&1", mpiexec,
			 getenv("AMPCL_BIN"), sweep, dir);
		FILE *p = popen(cmd, "r");
		size_t n = p ? fread(out, 1, (1 << 17) - 1, p) : 0;
		out[n] = 0;
		int st = p ? pclose(p) : -1;
		tu_check(st != 0 && strstr(out, "rank 1: [2/12]") &&
			     strstr(out, "rank 0: [1/12]") &&
			     tu_count_substr(out, "6 of 12 runs failed") == 1,
			 "mpirun -np 2: the runs shared out, rank 0 reports the failed ones",
			 "status %d:\n%s", st, out);
		compare(dir, "mpi");
	} else if (!ampcl_mpi_built()) {
		/* built without MPI, a launched process says so instead of running alone */
		snprintf(args, sizeof(args), "study %s --out %s/nompi", sweep, dir);
		setenv("OMPI_COMM_WORLD_SIZE", "2", 1);
		rc = tu_run_cli(args, out, 1 << 17);
		unsetenv("OMPI_COMM_WORLD_SIZE");
		tu_check(rc == 1 && strstr(out, "built without MPI"),
			 "under a launcher without MPI built in", "exit %d:\n%s", rc, out);
	} else {
		printf("skip: mpirun not given (AMPCL_MPIEXEC)\n");
	}
	free(out);
	tu_remove_tree(dir);
	return tu_finish();
}
