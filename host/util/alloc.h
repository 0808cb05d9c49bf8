/* alloc.h: allocation that aborts when host memory runs out (docs/design.md: running out of host
 * memory aborts; device memory is returned to the caller), so no call site checks for NULL. */
#ifndef AMPCL_ALLOC_H
#define AMPCL_ALLOC_H

#include <stddef.h>

void *ampcl_xmalloc(size_t bytes);              /* malloc; 0 bytes gives a valid pointer */
void *ampcl_xcalloc(size_t count, size_t size); /* calloc, the same */
void *ampcl_xrealloc(void *p, size_t bytes);    /* realloc, the same */
char *ampcl_xstrdup(const char *s);

#endif
