/* dist.h: the processes of one job under mpirun (Open MPI): starting and ending MPI, this
 * process's rank, and whole messages of bytes between ranks. Without MPI, one process alone. */
#ifndef AMPCL_DIST_H
#define AMPCL_DIST_H

#include "ampcl.h"

#include <stddef.h>

/* Whether a launcher (mpirun, srun) started this process as one of several. */
int ampcl_dist_launched(void);

/* Whether MPI may be called from another thread than the one that started it (one at a time). */
int ampcl_dist_any_thread(void);

/* Sends n bytes to rank dest with tag; the receiver gets them whole, however many there are. */
ampcl_status ampcl_dist_send(int dest, int tag, const void *buf, size_t n);
/* Receives one message from rank src with tag (negative: any) into a malloc'ed buffer (*out, *n
 * bytes). */
ampcl_status ampcl_dist_recv(int src, int tag, void **out, size_t *n);

/* The sum over every rank of n floats (doubles), in place; the same bits on every rank and from
 * run to run for a given rank count (Open MPI's reduction order is fixed by size and count). */
ampcl_status ampcl_dist_sum_floats(float *buf, size_t n);
ampcl_status ampcl_dist_sum_doubles(double *buf, size_t n);
/* The largest of every rank's value, in place (e.g. "any rank asks to stop"). */
ampcl_status ampcl_dist_max_int(int *v);
/* Every rank's n doubles, in rank order: all holds size * n. */
ampcl_status ampcl_dist_gather_doubles(const double *mine, double *all, size_t n);
/* Rank 0's n floats to every rank. */
ampcl_status ampcl_dist_broadcast_floats(float *buf, size_t n);

#endif
