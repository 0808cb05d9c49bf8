/* tune.h: per-device tuning: for each shape an op meets, the variant measured fastest on this
 * device, kept in a file beside the program cache (keyed the same way) and read by later runs. */
#ifndef AMPCL_TUNE_H
#define AMPCL_TUNE_H

#include "ampcl.h"
#include "tune_table.h"

struct ampcl_context;

/* Parses AMPCL_TUNE ("" is quick); an unknown value is AMPCL_ERR_INVALID_ARG naming it. */
ampcl_status ampcl_tune_init(struct ampcl_context *ctx, const char *setting);
void ampcl_tune_free(struct ampcl_context *ctx);
/* Whether value is a choice the op could have stored at `level` (the table is a file anyone can
 * edit: a value no variant of the op has must never reach a kernel). */
typedef int (*ampcl_tune_valid_fn)(const struct ampcl_context *ctx, const int *value, int level,
				   const void *arg);
/* The stored choice for key, measured at `level` or above (the file was read when the context
 * was made) and valid by valid(ctx, value, its level, arg); 1 and value filled when there is
 * one, 0 otherwise (always 0 when tuning is off). A stored choice that is not valid is passed
 * over, and the first such is kept in ampcl_tune_warning naming the file and line. */
int ampcl_tune_lookup(const struct ampcl_context *ctx, const char *key, int level, int *value,
		      ampcl_tune_valid_fn valid, const void *arg);
/* The first table line passed over ("" when none). */
const char *ampcl_tune_warning(const struct ampcl_context *ctx);
/* Records a choice (measured at the context's level); written out by ampcl_tune_save. */
void ampcl_tune_store(struct ampcl_context *ctx, const char *key, const int *value);
/* Writes the table to its file (atomically) if it changed, merged under a lock with what
 * another process stored there meanwhile; a cache that cannot be written is no error, as for
 * program binaries. */
void ampcl_tune_save(struct ampcl_context *ctx);

/* Times run(arg) on the device: one warm-up (it may compile), then the best of `reps` runs into
 * *seconds; run's status if it fails. */
ampcl_status ampcl_tune_time(struct ampcl_context *ctx, ampcl_status (*run)(void *), void *arg,
			     int reps, double *seconds);

#endif
