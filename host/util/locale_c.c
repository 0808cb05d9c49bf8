/* locale_c.c: a per-thread switch to the C numeric locale (uselocale), so "%g" writes and strtod
 * reads '.' even in a program that called setlocale(LC_ALL, "") under a ',' locale. */
#include "locale_c.h"

#include <pthread.h>
#include <stdlib.h>

static locale_t c_locale;
static pthread_once_t once = PTHREAD_ONCE_INIT;

static void make_c_locale(void)
{
	c_locale = newlocale(LC_NUMERIC_MASK, "C", (locale_t)0);
	if (!c_locale)
		abort(); /* out of host memory: "C" always exists */
}

locale_t ampcl_locale_c_begin(void)
{
	pthread_once(&once, make_c_locale);
	return uselocale(c_locale);
}

void ampcl_locale_c_end(locale_t previous)
{
	uselocale(previous);
}
