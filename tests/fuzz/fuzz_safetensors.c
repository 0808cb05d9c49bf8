/* fuzz_safetensors.c: the safetensors reader (weights, --init, checkpoints' container) on any
 * bytes: it opens or refuses, and what it opens can be walked in full. */
#include "fuzz_util.h"
#include "safetensors.h"

#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ampcl_st_file *f;
	if (ampcl_st_open(fuzz_write("w.safetensors", data, size), &f) == AMPCL_OK) {
		volatile unsigned char sum = 0;
		for (int i = 0; i < ampcl_st_count(f); i++) {
			const struct ampcl_st_tensor *t = ampcl_st_get(f, i);
			const unsigned char *b = ampcl_st_data(f, t);
			for (size_t k = 0; k < t->bytes; k++)
				sum ^= b[k];
		}
		ampcl_st_free(f);
		(void)sum;
	}
	return 0;
}
