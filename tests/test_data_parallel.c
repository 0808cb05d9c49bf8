/* test_data_parallel.c: `mpirun -np 2 ampcl train`: with --sync-bn one step of 2 ranks x 32
 * images is one step of 1 rank x 64; per-rank BN differs; resume across rank counts; a dead rank.
 */
#include "safetensors.h"
#include "testutil.h"

#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static char dir[] = "/tmp/ampcl-dp-XXXXXX";
static char data[600];
static char *out;

/* `ampcl train` on `ranks` ranks (1: without mpirun) into DIR/name; returns the exit status. */
static int train(int ranks, const char *name, const char *extra)
{
	char cmd[8192];
	const char *bin = getenv("AMPCL_BIN");
	if (ranks > 1)
		snprintf(cmd, sizeof(cmd),
			 "'%s' -np %d --oversubscribe '%s' train --data %s --model resnet18 "
			 "--width 4 --augment none --out %s/%s %s 2>&1",
			 getenv("AMPCL_MPIEXEC"), ranks, bin, data, dir, name, extra);
	else
		snprintf(
		    cmd, sizeof(cmd),
		    "'%s' train --data %s --model resnet18 --width 4 --augment none --out %s/%s "
		    "%s 2>&1",
		    bin, data, dir, name, extra);
	FILE *p = popen(cmd, "r");
	size_t n = p ? fread(out, 1, (1 << 16) - 1, p) : 0;
	out[n] = 0;
	int st = p ? pclose(p) : -1;
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

/* The largest difference between two runs' exported weights and BN statistics; -1 if a file
 * cannot be read or they hold different tensors. */
static double weights_diff(const char *a_run, const char *b_run)
{
	char cmd[2048], pa[700], pb[700];
	snprintf(pa, sizeof(pa), "%s/%s.safetensors", dir, a_run);
	snprintf(pb, sizeof(pb), "%s/%s.safetensors", dir, b_run);
	for (int k = 0; k < 2; k++) {
		snprintf(cmd, sizeof(cmd),
			 "'%s' export --checkpoint %s/%s/last.ampcl --out %s >/dev/null",
			 getenv("AMPCL_BIN"), dir, k ? b_run : a_run, k ? pb : pa);
		if (system(cmd))
			return -1;
	}
	struct ampcl_st_file *fa = NULL, *fb = NULL;
	double worst = -1;
	if (!ampcl_st_open(pa, &fa) && !ampcl_st_open(pb, &fb) &&
	    ampcl_st_count(fa) == ampcl_st_count(fb)) {
		worst = 0;
		for (int i = 0; i < ampcl_st_count(fa); i++) {
			const struct ampcl_st_tensor *ta = ampcl_st_get(fa, i),
						     *tb = ampcl_st_get(fb, i);
			if (strcmp(ta->name, tb->name) || ta->bytes != tb->bytes) {
				worst = -1;
				break;
			}
			if (strcmp(ta->dtype, "F32")) /* num_batches_tracked: counts, equal */
				continue;
			const float *x = ampcl_st_data(fa, ta), *y = ampcl_st_data(fb, tb);
			for (size_t j = 0; j < ta->bytes / 4; j++)
				worst = fmax(worst, fabs((double)x[j] - y[j]));
		}
	}
	ampcl_st_free(fa);
	ampcl_st_free(fb);
	return worst;
}

/* Whether two files hold the same bytes. */
static int same_bytes(const char *a, const char *b)
{
	size_t na, nb;
	char *x = tu_read_file(a, &na), *y = tu_read_file(b, &nb);
	int same = x && y && na == nb && !memcmp(x, y, na);
	free(x), free(y);
	return same;
}

/* A dead rank ends the job: mpirun stops the other within seconds instead of leaving it blocked
 * in an all-reduce. */
static void dead_rank(void)
{
	char cmd[8192];
	snprintf(cmd, sizeof(cmd),
		 "timeout 120 '%s' -np 2 --oversubscribe '%s' train --data %s --model resnet18 "
		 "--width 4 --batch 8 --epochs 100000 --out %s/killed >%s/killed.txt 2>&1 & "
		 "sleep 3; pkill -9 -n -f 'ampcl train .*%s/killed'; wait $!",
		 getenv("AMPCL_MPIEXEC"), getenv("AMPCL_BIN"), data, dir, dir, dir);
	time_t t0 = time(NULL);
	int st = system(cmd);
	int seconds = (int)(time(NULL) - t0);
	int rc = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
	tu_check(rc != 0 && rc != 124 && seconds < 60, "a killed rank ends the job",
		 "exit %d after %d s", rc, seconds);
}

int main(void)
{
	if (!mkdtemp(dir))
		return 1;
	out = tu_malloc(1 << 16);
	snprintf(data, sizeof(data), "%s/data", dir);
	/* 65 training images: one step of a batch of 64, or two of 32 */
	tu_write_tiny_cifar(data, 13, 12);
	const char *mpiexec = getenv("AMPCL_MPIEXEC");
	if (!ampcl_mpi_built()) {
		setenv("OMPI_COMM_WORLD_SIZE", "2", 1);
		int rc = train(1, "nompi", "--batch 64");
		unsetenv("OMPI_COMM_WORLD_SIZE");
		tu_check(rc == 1 && strstr(out, "built without MPI"),
			 "train under a launcher without MPI built in", "exit %d:\n%s", rc, out);
		tu_remove_tree(dir);
		return tu_finish();
	}
	if (!mpiexec || !*mpiexec) {
		printf("skip: no mpirun (AMPCL_MPIEXEC)\n");
		tu_remove_tree(dir);
		return tu_finish();
	}
	setenv("OMPI_ALLOW_RUN_AS_ROOT", "1", 1);
	setenv("OMPI_ALLOW_RUN_AS_ROOT_CONFIRM", "1", 1);

	int rc = train(1, "one", "--batch 64 --epochs 1");
	tu_check(rc == 0, "1 rank x 64", "exit %d:\n%s", rc, out);
	/* the float32 noise floor: the same step by other kernels (the GPU profile's BN
	 * reductions, im2col and GEMM tiles), which sum in other orders */
	setenv("AMPCL_PROFILE", "gpu", 1), setenv("AMPCL_GEMM", "own", 1);
	rc = train(1, "floor", "--batch 64 --epochs 1");
	unsetenv("AMPCL_PROFILE"), unsetenv("AMPCL_GEMM");
	double floor1 = weights_diff("one", "floor");
	tu_check(rc == 0 && floor1 > 0, "the noise floor of one step", "exit %d, %.3g", rc, floor1);
	rc = train(2, "sync", "--batch 64 --epochs 1 --sync-bn");
	tu_check(rc == 0 && strstr(out, "data-parallel over 2 ranks") &&
		     strstr(out, "gradient all-reduce"),
		 "2 ranks x 32 with --sync-bn", "exit %d:\n%s", rc, out);
	double d = weights_diff("one", "sync");
	tu_check(d >= 0 && d <= 3 * floor1,
		 "--sync-bn: one step equals one step of 1 rank x 64 (within 3x the noise floor)",
		 "largest difference of a weight or BN statistic %.3g, floor %.3g", d, floor1);

	rc = train(2, "local", "--batch 64 --epochs 1");
	tu_check(rc == 0, "2 ranks x 32, BN per rank", "exit %d:\n%s", rc, out);
	double dl = weights_diff("one", "local");
	tu_check(dl > 100 * floor1, "per-rank BN normalises each rank's 32 images: another step",
		 "largest difference %.3g, floor %.3g", dl, floor1);
	rc = train(2, "local2", "--batch 64 --epochs 1");
	char a[700], b[700];
	weights_diff("local", "local2");
	snprintf(a, sizeof(a), "%s/local.safetensors", dir);
	snprintf(b, sizeof(b), "%s/local2.safetensors", dir);
	tu_check(rc == 0 && same_bytes(a, b), "two runs on 2 ranks are bit-identical", "exit %d",
		 rc);

	/* two epochs of two steps: 2 ranks, then resumed for the second epoch by 1 rank; the
	 * floor of four steps grows as the differences feed back */
	rc = train(1, "one2", "--batch 32 --epochs 2");
	setenv("AMPCL_PROFILE", "gpu", 1), setenv("AMPCL_GEMM", "own", 1);
	int rcf = train(1, "floor2", "--batch 32 --epochs 2");
	unsetenv("AMPCL_PROFILE"), unsetenv("AMPCL_GEMM");
	double floor2 = weights_diff("one2", "floor2");
	int rc2 = train(2, "resumed", "--batch 32 --epochs 1 --sync-bn");
	char cmd[4096];
	snprintf(cmd, sizeof(cmd),
		 "'%s' train --resume %s/resumed/last.ampcl --epochs 2 >%s/resume.txt 2>&1",
		 getenv("AMPCL_BIN"), dir, dir);
	int rc3 = system(cmd);
	double dr = weights_diff("one2", "resumed");
	tu_check(rc == 0 && rcf == 0 && rc2 == 0 && rc3 == 0 && dr >= 0 && dr <= 10 * floor2,
		 "a run of 2 ranks resumed by 1 rank goes on as 1 rank would",
		 "exits %d %d %d %d, largest difference %.3g, floor %.3g", rc, rcf, rc2, rc3, dr,
		 floor2);

	/* --amp-select auto ranks the layers by statistics over every rank's share: with --sync-bn
	 * the same choice as one rank's */
	rc = train(1, "auto1", "--batch 64 --epochs 1 --amp-epochs 0 --amp-select auto");
	rc2 = train(2, "auto2", "--batch 64 --epochs 1 --amp-epochs 0 --amp-select auto --sync-bn");
	snprintf(a, sizeof(a), "%s/auto1/amp.log", dir);
	snprintf(b, sizeof(b), "%s/auto2/amp.log", dir);
	tu_check(rc == 0 && rc2 == 0 && tu_count_lines(a) == 1 && same_bytes(a, b),
		 "--amp-select auto on 2 ranks chooses as 1 rank", "exits %d %d", rc, rc2);

	/* rank 0 alone finds --out holding a run: the job ends instead of the other rank waiting
	 * in an all-reduce for ever */
	snprintf(cmd, sizeof(cmd),
		 "timeout 120 '%s' -np 2 --oversubscribe '%s' train --data %s --model resnet18 "
		 "--width 4 --batch 64 --epochs 1 --out %s/sync >%s/taken.txt 2>&1",
		 mpiexec, getenv("AMPCL_BIN"), data, dir, dir);
	int st = system(cmd);
	rc = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
	snprintf(a, sizeof(a), "%s/taken.txt", dir);
	size_t len;
	char *taken = tu_read_file(a, &len);
	tu_check(rc != 0 && rc != 124 && taken && strstr(taken, "--overwrite"),
		 "rank 0 refusing a taken --out ends the job", "exit %d: %s", rc,
		 taken ? taken : "");
	free(taken);

	rc = train(2, "odd", "--batch 63 --epochs 1");
	tu_check(rc != 0 && strstr(out, "--batch 63 is the global batch"),
		 "a batch that does not divide over the ranks", "exit %d:\n%s", rc, out);
	dead_rank();
	free(out);
	tu_remove_tree(dir);
	return tu_finish();
}
