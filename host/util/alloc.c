/* alloc.c: malloc, calloc, realloc and strdup that abort instead of returning NULL, the one
 * place ampcl decides what running out of host memory does. */
#include "alloc.h"

#include <stdlib.h>
#include <string.h>

void *ampcl_xmalloc(size_t bytes)
{
	void *p = malloc(bytes ? bytes : 1);
	if (!p)
		abort();
	return p;
}

void *ampcl_xcalloc(size_t count, size_t size)
{
	void *p = calloc(count ? count : 1, size ? size : 1);
	if (!p)
		abort();
	return p;
}

void *ampcl_xrealloc(void *p, size_t bytes)
{
	p = realloc(p, bytes ? bytes : 1);
	if (!p)
		abort();
	return p;
}

char *ampcl_xstrdup(const char *s)
{
	size_t n = strlen(s) + 1;
	return memcpy(ampcl_xmalloc(n), s, n);
}
