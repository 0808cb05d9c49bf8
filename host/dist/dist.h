/* dist.h: the processes of one job under mpirun (Open MPI): starting and ending MPI, this
 * process's rank, and whole messages of bytes between ranks. Without MPI, one process alone. */
#ifndef AMPCL_DIST_H
#define AMPCL_DIST_H

#include "ampcl.h"

#include <stddef.h>

/* Whether a launcher (mpirun, srun) started this process as one of several. */
int ampcl_dist_launched(void);

/* Sends n bytes to rank dest with tag; the receiver gets them whole, however many there are. */
ampcl_status ampcl_dist_send(int dest, int tag, const void *buf, size_t n);
/* Receives one message from rank src with tag into a malloc'ed buffer (*out, *n bytes). */
ampcl_status ampcl_dist_recv(int src, int tag, void **out, size_t *n);

#endif
