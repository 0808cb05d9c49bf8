/* kprof.h: the device time of every kernel launched while a recording is on, summed per kernel
 * (`ampcl bench --model M --profile`); off, it costs one pointer test per launch. */
#ifndef AMPCL_KPROF_H
#define AMPCL_KPROF_H

#include "context.h"

/* One kernel's launches in the recording. */
struct ampcl_kprof_row {
	char name[64];
	int calls;
	double seconds; /* device time, CL_PROFILING_COMMAND_START to _END, summed */
};

/* Starts recording the launches on ctx's queue (a recording already on is restarted). */
void ampcl_kprof_start(struct ampcl_context *ctx);

/* Records one enqueued command under name; takes over the event (releases it later). */
void ampcl_kprof_record(struct ampcl_context *ctx, const char *name, cl_event event);

/* Ends the recording: waits for its commands and returns one row per kernel name, the most
 * time first (*rows to free), and the time of all of them in *total_s. */
ampcl_status ampcl_kprof_stop(struct ampcl_context *ctx, struct ampcl_kprof_row **rows, int *nrows,
			      double *total_s);

/* Ends a recording, if one is on, without reading it (context teardown). */
void ampcl_kprof_discard(struct ampcl_context *ctx);

#endif
