/* workspace.h: the space ops use inside one call (BN partial sums, split-k products): a net's
 * planned view while lent for its passes, else a grow-only buffer of the context. */
#ifndef AMPCL_WORKSPACE_H
#define AMPCL_WORKSPACE_H

#include "context.h"

/* floats of workspace for `who` (named in an out-of-memory message): *mem and *offset (bytes). */
ampcl_status ampcl_workspace_get(struct ampcl_context *ctx, size_t floats, const char *who,
				 cl_mem *mem, size_t *offset);
/* Lends floats at (mem, offset) until ampcl_workspace_lend(ctx, NULL, 0, 0). */
void ampcl_workspace_lend(struct ampcl_context *ctx, cl_mem mem, size_t offset, size_t floats);
/* Releases the context's own buffer (context teardown). */
void ampcl_workspace_free(struct ampcl_context *ctx);

#endif
