/* dist.c: MPI's start and end under a launcher, the rank and local rank, and byte messages
 * between ranks; built without MPI, a launched process is told so and everything is one rank. */
#include "dist.h"
#include "alloc.h"
#include "error.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifdef AMPCL_HAVE_MPI
#include <mpi.h>
#endif

static struct ampcl_mpi_info info = {0, 1, 0, 1, 0};
static int serialized; /* MPI may be called from any one thread at a time */

int ampcl_dist_any_thread(void)
{
	return serialized;
}

/* The variables launchers set: Open MPI's, PMIx's, MPICH's (PMI) and Slurm's. */
static int env_int(const char *const *names, int fallback)
{
	for (int i = 0; names[i]; i++) {
		const char *v = getenv(names[i]);
		if (v && *v)
			return atoi(v);
	}
	return fallback;
}

int ampcl_dist_launched(void)
{
	static const char *const sizes[] = {"OMPI_COMM_WORLD_SIZE", "PMI_SIZE", "PMIX_SIZE",
					    "SLURM_NTASKS", NULL};
	return env_int(sizes, 1) > 1;
}

ampcl_status ampcl_mpi_begin(int *argc, char ***argv)
{
	if (!ampcl_dist_launched() || info.active)
		return AMPCL_OK;
#ifdef AMPCL_HAVE_MPI
	/* serialized: the data-parallel all-reduce runs in a thread of its own while the main
	 * thread queues the backward pass */
	int provided;
	if (MPI_Init_thread(argc, argv, MPI_THREAD_SERIALIZED, &provided) != MPI_SUCCESS)
		return ampcl_error_set(AMPCL_ERR_UNSUPPORTED, "MPI_Init_thread failed");
	MPI_Comm_rank(MPI_COMM_WORLD, &info.rank);
	MPI_Comm_size(MPI_COMM_WORLD, &info.size);
	/* the local rank from the ranks sharing this machine's memory */
	MPI_Comm local;
	MPI_Comm_split_type(MPI_COMM_WORLD, MPI_COMM_TYPE_SHARED, info.rank, MPI_INFO_NULL, &local);
	MPI_Comm_rank(local, &info.local_rank);
	MPI_Comm_size(local, &info.local_size);
	MPI_Comm_free(&local);
	info.active = 1;
	serialized = provided >= MPI_THREAD_SERIALIZED;
	return AMPCL_OK;
#else
	(void)argc, (void)argv;
	return ampcl_error_set(AMPCL_ERR_UNSUPPORTED,
			       "this process was started by mpirun (or another launcher) as one of "
			       "several, but this ampcl was built without MPI: install Open MPI "
			       "(apt-get install libopenmpi-dev openmpi-bin) and build again, or "
			       "run it without mpirun");
#endif
}

void ampcl_mpi_end(void)
{
#ifdef AMPCL_HAVE_MPI
	if (info.active)
		MPI_Finalize();
#endif
	info = (struct ampcl_mpi_info){0, 1, 0, 1, 0};
}

void ampcl_mpi_abort(int code)
{
#ifdef AMPCL_HAVE_MPI
	if (info.active)
		MPI_Abort(MPI_COMM_WORLD, code);
#endif
	exit(code);
}

void ampcl_mpi_get_info(struct ampcl_mpi_info *out)
{
	*out = info;
}

int ampcl_mpi_launched(void)
{
	return ampcl_dist_launched();
}

int ampcl_mpi_built(void)
{
#ifdef AMPCL_HAVE_MPI
	return 1;
#else
	return 0;
#endif
}

#ifdef AMPCL_HAVE_MPI
static ampcl_status mpi_failed(const char *what, int code, int rank)
{
	char text[MPI_MAX_ERROR_STRING];
	int len = 0;
	if (MPI_Error_string(code, text, &len) != MPI_SUCCESS)
		snprintf(text, sizeof(text), "code %d", code);
	if (rank < 0)
		return ampcl_error_set(AMPCL_ERR_IO, "MPI %s failed: %s", what, text);
	return ampcl_error_set(AMPCL_ERR_IO, "MPI %s with rank %d failed: %s", what, rank, text);
}
#endif

ampcl_status ampcl_dist_send(int dest, int tag, const void *buf, size_t n)
{
#ifdef AMPCL_HAVE_MPI
	if (n > (size_t)0x7fffffff)
		return ampcl_error_set(AMPCL_ERR_INVALID_ARG,
				       "an MPI message of %zu bytes: at most 2 GiB", n);
	int rc = MPI_Send(buf, (int)n, MPI_BYTE, dest, tag, MPI_COMM_WORLD);
	return rc == MPI_SUCCESS ? AMPCL_OK : mpi_failed("send", rc, dest);
#else
	(void)dest, (void)tag, (void)buf, (void)n;
	return ampcl_error_set(AMPCL_ERR_UNSUPPORTED, "built without MPI");
#endif
}

ampcl_status ampcl_dist_recv(int src, int tag, void **out, size_t *n)
{
#ifdef AMPCL_HAVE_MPI
	MPI_Status status;
	int rc = MPI_Probe(src, tag < 0 ? MPI_ANY_TAG : tag, MPI_COMM_WORLD, &status), count = 0;
	if (rc != MPI_SUCCESS)
		return mpi_failed("probe", rc, src);
	MPI_Get_count(&status, MPI_BYTE, &count);
	*out = ampcl_xmalloc(count ? (size_t)count : 1);
	rc =
	    MPI_Recv(*out, count, MPI_BYTE, src, status.MPI_TAG, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
	if (rc != MPI_SUCCESS) {
		free(*out), *out = NULL;
		return mpi_failed("receive", rc, src);
	}
	*n = (size_t)count;
	return AMPCL_OK;
#else
	(void)src, (void)tag;
	*out = NULL, *n = 0;
	return ampcl_error_set(AMPCL_ERR_UNSUPPORTED, "built without MPI");
#endif
}

#ifdef AMPCL_HAVE_MPI
/* MPI counts are ints: large buffers go in pieces of at most 2^30 elements. */
static ampcl_status in_pieces(const char *what, void *buf, size_t n, size_t elem,
			      int (*op)(void *piece, int count))
{
	const size_t piece = (size_t)1 << 30;
	for (size_t at = 0; at < n; at += piece) {
		int count = (int)(n - at < piece ? n - at : piece);
		int rc = op((char *)buf + at * elem, count);
		if (rc != MPI_SUCCESS)
			return mpi_failed(what, rc, -1);
	}
	return AMPCL_OK;
}

static int sum_floats(void *piece, int count)
{
	return MPI_Allreduce(MPI_IN_PLACE, piece, count, MPI_FLOAT, MPI_SUM, MPI_COMM_WORLD);
}

static int sum_doubles(void *piece, int count)
{
	return MPI_Allreduce(MPI_IN_PLACE, piece, count, MPI_DOUBLE, MPI_SUM, MPI_COMM_WORLD);
}

static int bcast_floats(void *piece, int count)
{
	return MPI_Bcast(piece, count, MPI_FLOAT, 0, MPI_COMM_WORLD);
}
#endif

/* A collective over n elements of buf when MPI runs; one process alone keeps buf as it is. */
#ifdef AMPCL_HAVE_MPI
#define COLLECTIVE(what, buf, n, op)                                                               \
	(info.active ? in_pieces(what, buf, n, sizeof(*(buf)), op) : AMPCL_OK)
#else
#define COLLECTIVE(what, buf, n, op) ((void)(buf), (void)(n), AMPCL_OK)
#endif

ampcl_status ampcl_dist_sum_floats(float *buf, size_t n)
{
	return COLLECTIVE("all-reduce", buf, n, sum_floats);
}

ampcl_status ampcl_dist_sum_doubles(double *buf, size_t n)
{
	return COLLECTIVE("all-reduce", buf, n, sum_doubles);
}

ampcl_status ampcl_dist_broadcast_floats(float *buf, size_t n)
{
	return COLLECTIVE("broadcast", buf, n, bcast_floats);
}

ampcl_status ampcl_dist_max_int(int *v)
{
#ifdef AMPCL_HAVE_MPI
	if (info.active) {
		int rc = MPI_Allreduce(MPI_IN_PLACE, v, 1, MPI_INT, MPI_MAX, MPI_COMM_WORLD);
		return rc == MPI_SUCCESS ? AMPCL_OK : mpi_failed("all-reduce", rc, -1);
	}
#endif
	(void)v;
	return AMPCL_OK;
}

ampcl_status ampcl_dist_gather_doubles(const double *mine, double *all, size_t n)
{
#ifdef AMPCL_HAVE_MPI
	if (info.active) {
		if (n > (size_t)0x7fffffff)
			return ampcl_error_set(AMPCL_ERR_INVALID_ARG, "gathering %zu doubles", n);
		int rc = MPI_Allgather(mine, (int)n, MPI_DOUBLE, all, (int)n, MPI_DOUBLE,
				       MPI_COMM_WORLD);
		return rc == MPI_SUCCESS ? AMPCL_OK : mpi_failed("all-gather", rc, -1);
	}
#endif
	memcpy(all, mine, n * sizeof(double));
	return AMPCL_OK;
}
