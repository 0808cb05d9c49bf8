/* fuzz_checkpoint.c: the checkpoint reader (last.ampcl, best.ampcl) on any bytes: the metadata's
 * text, the checksum and the tensors are checked without a device. */
#include "checkpoint.h"
#include "fuzz_util.h"

#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ampcl_checkpoint *ck = NULL;
	struct ampcl_checkpoint_state st;
	if (ampcl_checkpoint_open(fuzz_write("c.ampcl", data, size), &ck, &st) == AMPCL_OK)
		ampcl_checkpoint_free(ck);
	free(st.history);
	return 0;
}
