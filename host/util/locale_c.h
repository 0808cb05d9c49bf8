/* locale_c.h: the "C" numeric locale for the calling thread while the library reads or writes
 * text (checkpoints, configurations, CSV, JSON), whatever locale the host program has set. */
#ifndef AMPCL_LOCALE_C_H
#define AMPCL_LOCALE_C_H

#include <locale.h>

/* Switches this thread to the C numeric locale; returns what to restore. */
locale_t ampcl_locale_c_begin(void);
/* Restores the locale ampcl_locale_c_begin returned. */
void ampcl_locale_c_end(locale_t previous);

#endif
