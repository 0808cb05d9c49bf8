/* test_agree.c: the same training run on PoCL and on Mesa's rusticl (llvmpipe), two independent
 * OpenCL compilers and runtimes: the loss of every step agrees within float32's noise floor. */
#include "testutil.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { STEPS = 6 };

/* train_loss of each epoch from DIR/log.csv; returns the epochs read */
static int read_losses(const char *dir, double *train, int max)
{
	char path[2200], line[512];
	snprintf(path, sizeof(path), "%s/log.csv", dir);
	FILE *f = fopen(path, "r");
	int n = 0;
	while (f && fgets(line, sizeof(line), f) && n < max) {
		int epoch;
		double lr, tl, ta, vl;
		if (sscanf(line, "%d,%lf,%lf,%lf,%lf", &epoch, &lr, &tl, &ta, &vl) == 5)
			train[n++] = tl;
	}
	if (f)
		fclose(f);
	return n;
}

int main(void)
{
	char out[16384], args[2048];
	int rc = tu_run_cli("devices", out, sizeof(out));
	if (rc != 0 || !strstr(out, "llvmpipe") || !strstr(out, "PoCL")) {
		/* ./setup.sh test installs both; a machine with one of them has nothing to compare
		 */
		printf("SKIP: needs PoCL and rusticl's llvmpipe (apt-get install pocl-opencl-icd "
		       "mesa-opencl-icd; RUSTICL_ENABLE=llvmpipe)\n%s",
		       out);
		const char *require = getenv("AMPCL_REQUIRE_RUSTICL");
		return require && *require ? 1 : 0;
	}
	char dir[] = "/tmp/ampcl-agree-XXXXXX";
	if (!mkdtemp(dir))
		return 1;
	char data[600];
	snprintf(data, sizeof(data), "%s/data", dir);
	tu_write_tiny_cifar(data, 32, 32);
	/* PoCL with its own profile; PoCL with the GPU profile, whose kernels sum in other orders:
	 * the noise floor of float32 training; and rusticl's llvmpipe. One step an epoch (the
	 * subset is one batch), so log.csv holds the training loss of every step. The test losses
	 * are not compared: eval-mode BN with running statistics of a few steps magnifies any
	 * difference. */
	const char *devices[3] = {"Portable", "Portable", "llvmpipe"};
	const char *profiles[3] = {NULL, "gpu", NULL};
	const char *names[3] = {"pocl", "pocl-gpu", "llvmpipe"};
	double train[3][STEPS + 1];
	int n[3];
	for (int d = 0; d < 3; d++) {
		if (profiles[d])
			setenv("AMPCL_PROFILE", profiles[d], 1);
		else
			unsetenv("AMPCL_PROFILE");
		snprintf(args, sizeof(args),
			 "train --device %s --data %s --model resnet18 --width 4 --batch 32 "
			 "--subset 32 --augment none --epochs %d --lr 0.001 --amp-epochs 0-2 "
			 "--amp-ratio 0.5 --out %s/%s",
			 devices[d], data, STEPS, dir, names[d]);
		rc = tu_run_cli(args, out, sizeof(out));
		tu_check(rc == 0, "training runs", "%s on %s: exit %d\n%s", names[d], devices[d],
			 rc, out);
		snprintf(args, sizeof(args), "%s/%s", dir, names[d]);
		n[d] = read_losses(args, train[d], STEPS + 1);
	}
	unsetenv("AMPCL_PROFILE");
	/* run d's relative difference from PoCL's loss at step e, and the largest over the steps */
	double rel[3][STEPS + 1] = {{0}}, diff[3] = {0, 0, 0};
	for (int d = 1; d < 3; d++)
		for (int e = 0; e < n[0] && n[0] == n[d]; e++) {
			printf("step %d %-8s loss %.6f, PoCL %.6f\n", e, names[d], train[d][e],
			       train[0][e]);
			rel[d][e] = fabs(train[0][e] - train[d][e]) / fabs(train[0][e]);
			diff[d] = fmax(diff[d], rel[d][e]);
		}
	int all = n[0] == STEPS && n[1] == STEPS && n[2] == STEPS;
	/* the first step's loss is a forward pass from the same weights: well conditioned */
	tu_check(all && rel[2][0] <= 1e-5, "the first step's loss agrees",
		 "llvmpipe %.6f, PoCL %.6f", train[2][0], train[0][0]);
	/* the second comes after one update: within 4x the floor (the GPU profile's distance) */
	tu_check(all && rel[2][1] <= fmax(4 * rel[1][1], 1e-4),
		 "the second step's loss agrees within the float32 noise floor",
		 "llvmpipe %.2e from PoCL, the GPU profile %.2e", rel[2][1], rel[1][1]);
	/* later steps amplify any rounding difference (this tiny net at a high learning rate is
	 * chaotic: the GPU profile drifts by percent within six steps), so the whole curve only
	 * has to stay within 4x that drift or 5% */
	tu_check(all && diff[2] <= fmax(4 * diff[1], 5e-2),
		 "PoCL and rusticl give the same loss curve within float32's drift",
		 "%d, %d and %d steps; largest relative loss difference from PoCL: llvmpipe %.2e, "
		 "PoCL with the GPU profile %.2e (the floor)",
		 n[0], n[1], n[2], diff[2], diff[1]);
	tu_remove_tree(dir);
	return tu_finish();
}
