/* fuzz_dataset.c: the data set readers on any bytes, by the input's first byte: CIFAR-10 (the
 * rest as every batch file), MNIST idx (images and labels files split at the second byte's
 * fraction, gzipped or not as they come) or an image folder (the rest as each PNG). */
#include "dataset.h"
#include "fuzz_util.h"

#include <stdio.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 2)
		return 0;
	int kind = data[0] % 3;
	char dir[512];
	const char *k = NULL;
	if (kind == 0) {
		static const char *const names[] = {"data_batch_1.bin", "data_batch_2.bin",
						    "data_batch_3.bin", "data_batch_4.bin",
						    "data_batch_5.bin", "test_batch.bin"};
		for (int i = 0; i < 6; i++) {
			char name[64];
			snprintf(name, sizeof(name), "cifar/%s", names[i]);
			fuzz_write(name, data + 1, size - 1);
		}
		fuzz_path(dir, sizeof(dir), "cifar");
		k = "cifar10";
	} else if (kind == 1) {
		size_t cut = 2 + (size - 2) * data[1] / 256;
		fuzz_write("idx/train-images-idx3-ubyte", data + 2, cut - 2);
		fuzz_write("idx/train-labels-idx1-ubyte", data + cut, size - cut);
		fuzz_write("idx/t10k-images-idx3-ubyte", data + 2, cut - 2);
		fuzz_write("idx/t10k-labels-idx1-ubyte", data + cut, size - cut);
		fuzz_path(dir, sizeof(dir), "idx");
		k = "mnist";
	} else {
		fuzz_write("png/train/a/1.png", data + 1, size - 1);
		fuzz_write("png/train/b/1.png", data + 1, size - 1);
		fuzz_write("png/test/a/1.png", data + 1, size - 1);
		fuzz_write("png/test/b/1.png", data + 1, size - 1);
		fuzz_path(dir, sizeof(dir), "png");
		k = "folder";
	}
	for (int train = 0; train < 2; train++) {
		struct ampcl_dataset *ds = NULL;
		if (ampcl_dataset_load(dir, k, train, 0, &ds) == AMPCL_OK)
			ampcl_dataset_free(ds);
	}
	return 0;
}
