/* test_cifar_smoke.c: a real-data smoke run: a few hundred CIFAR-10 images (the JPEG-75 copy in
 * ../shared/data, made binary by tools/cifar10-prepare.py) train and the loss falls. */
#include "testutil.h"
#include "train_config.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int main(void)
{
	const char *src = getenv("AMPCL_SOURCE_DIR"), *python = getenv("AMPCL_PYTHON");
	char tarball[4096], cmd[8400], folder[4096] = "";
	snprintf(tarball, sizeof(tarball), "%s/../shared/data/cifar10-jpg.tar.gz", src ? src : ".");
	if (access(tarball, R_OK) != 0) {
		printf("SKIP: %s is not here, so there is no real CIFAR-10 to train on\n", tarball);
		return tu_finish();
	}
	if (!python || !python[0]) {
		printf("SKIP: no python3 with Pillow (AMPCL_PYTHON) to prepare %s\n", tarball);
		return tu_finish();
	}
	/* the script reuses the copy it prepared before in ~/.cache/ampcl and prints the folder */
	snprintf(cmd, sizeof(cmd), "'%s' '%s/tools/cifar10-prepare.py' '%s'", python,
		 src ? src : ".", tarball);
	FILE *p = popen(cmd, "r");
	if (p && fgets(folder, sizeof(folder), p))
		folder[strcspn(folder, "\n")] = 0;
	int rc = p ? pclose(p) : -1;
	tu_check(rc == 0 && folder[0], "CIFAR-10 binary files", "%s (exit %d)", folder, rc);
	if (rc != 0)
		return tu_finish();

	struct ampcl_context *ctx = tu_context();
	struct ampcl_train_config c;
	ampcl_train_config_defaults(&c);
	c.width = 4;
	snprintf(c.data, sizeof(c.data), "%s", folder);
	c.subset = 384;
	c.batch = 64;
	c.epochs = 4;
	c.eval_every = 4;
	c.lr = 0.05;
	c.augment = 0;
	ampcl_trainer_t *t;
	tu_ok(ampcl_trainer_create(ctx, &c, &t), "trainer on CIFAR-10");
	tu_ok(ampcl_trainer_run(t, NULL), "run");
	int n;
	const struct ampcl_epoch_record *h = ampcl_trainer_history(t, &n);
	tu_check(n == 4 && h[3].train_loss < 0.9 * h[0].train_loss && h[3].test_acc > 0.12,
		 "the loss falls on real data",
		 "train loss %.3f -> %.3f, test accuracy %.1f%% on "
		 "10000 images after 4 epochs of 384, %.0f img/s",
		 h[0].train_loss, n ? h[n - 1].train_loss : NAN, n ? 100 * h[n - 1].test_acc : NAN,
		 n ? h[n - 1].images_per_s : NAN);
	ampcl_trainer_free(t);
	ampcl_context_free(ctx);
	return tu_finish();
}
