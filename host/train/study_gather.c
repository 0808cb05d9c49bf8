/* study_gather.c: a study under mpirun: each rank sends its runs' outcomes (history, summary,
 * failure) to rank 0, which takes them from every rank in turn, and the ranks' last words. */
#include "alloc.h"
#include "dist.h"
#include "error.h"
#include "study.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Message tags: a finished run's outcome, and a rank's last word (its status). */
enum { TAG_RUN = 1, TAG_END = 2 };
struct run_header {
	int index, failed, epochs, error_len;
	double best, final, seconds;
	int reach;
};

/* A rank other than 0 sends each of its finished runs, then its status and message. */
ampcl_status study_send_outcomes(const struct study_pool *p, ampcl_status status)
{
	ampcl_status s = AMPCL_OK;
	for (int q = 0; q < p->nqueue && !s; q++) {
		const struct study_run *x = &p->runs[p->queue[q]];
		if (!x->finished)
			continue;
		struct run_header h = {
		    p->queue[q], x->error != NULL, x->n,       x->error ? (int)strlen(x->error) : 0,
		    x->best,     x->final,         x->seconds, x->reach};
		size_t hist = (size_t)x->n * sizeof(*x->history), len = sizeof(h) + hist;
		char *buf = ampcl_xmalloc(len + (size_t)h.error_len + 1);
		memcpy(buf, &h, sizeof(h));
		memcpy(buf + sizeof(h), x->history, hist);
		memcpy(buf + len, x->error ? x->error : "", (size_t)h.error_len);
		s = ampcl_dist_send(0, TAG_RUN, buf, len + (size_t)h.error_len);
		free(buf);
	}
	const char *msg = status ? ampcl_last_error() : "";
	struct run_header end = {-1, status, 0, (int)strlen(msg), 0, 0, 0, 0};
	char *buf = ampcl_xmalloc(sizeof(end) + strlen(msg) + 1);
	memcpy(buf, &end, sizeof(end));
	memcpy(buf + sizeof(end), msg, strlen(msg));
	if (!s)
		s = ampcl_dist_send(0, TAG_END, buf, sizeof(end) + strlen(msg));
	free(buf);
	return s;
}

/* Rank 0 takes every other rank's outcomes; the first rank that stopped gives *stop and its
 * message (malloc'ed). The status is the transport's. */
ampcl_status study_gather_outcomes(struct study_pool *p, int size, ampcl_status *stop,
				   char **message)
{
	for (int r = 1; r < size; r++)
		for (;;) {
			/* a run's outcome or the rank's end, whichever comes: both from rank r */
			void *buf = NULL;
			size_t n = 0;
			ampcl_status s = ampcl_dist_recv(r, -1, &buf, &n);
			struct run_header h;
			if (!s && n < sizeof(h))
				s = ampcl_error_set(AMPCL_ERR_IO, "rank %d sent %zu bytes", r, n);
			if (s) {
				free(buf);
				return s;
			}
			memcpy(&h, buf, sizeof(h));
			/* a rank's runs are every size-th from its rank on; a message that says
			 * otherwise, or is shorter than it says, is not one of ours */
			size_t want = sizeof(h) +
				      (h.index >= 0 && h.epochs > 0
					   ? (size_t)h.epochs * sizeof(*p->runs[0].history)
					   : 0) +
				      (h.error_len > 0 ? (size_t)h.error_len : 0);
			if ((h.index >= 0 &&
			     (h.index >= p->nruns || h.index % size != r || h.epochs < 0)) ||
			    h.error_len < 0 || n < want) {
				free(buf);
				return ampcl_error_set(AMPCL_ERR_IO,
						       "rank %d sent a study message that is not "
						       "one (%zu bytes, run %d)",
						       r, n, h.index);
			}
			size_t hist =
			    h.index >= 0 ? (size_t)h.epochs * sizeof(*p->runs[0].history) : 0;
			const char *text = (const char *)buf + sizeof(h) + hist;
			if (h.index < 0) {
				if (h.failed && !*stop) {
					*stop = h.failed;
					*message = ampcl_xmalloc((size_t)h.error_len + 32);
					snprintf(*message, (size_t)h.error_len + 32,
						 "rank %d: %.*s", r, h.error_len, text);
				}
				free(buf);
				break;
			}
			struct study_run *x = &p->runs[h.index];
			x->n = h.epochs, x->best = h.best, x->final = h.final;
			x->seconds = h.seconds, x->reach = h.reach;
			x->history = ampcl_xmalloc(hist ? hist : 1);
			memcpy(x->history, (char *)buf + sizeof(h), hist);
			if (h.failed) {
				x->error = ampcl_xmalloc((size_t)h.error_len + 1);
				memcpy(x->error, text, (size_t)h.error_len);
				x->error[h.error_len] = 0;
			}
			x->finished = 1;
			free(buf);
		}
	return AMPCL_OK;
}
