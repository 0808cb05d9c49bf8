/* study.h: the study engine's runs (configuration, folder, history, outcome) and the pool that
 * trains a process's share of them, several at once, each job on its own context. */
#ifndef AMPCL_STUDY_H
#define AMPCL_STUDY_H

#include "study_config.h"

#include <pthread.h>

struct study_run {
	struct ampcl_train_config cfg;
	char name[400];  /* folder under runs/ */
	char label[400]; /* the configuration without its seed */
	int config;      /* index of that configuration */
	struct ampcl_epoch_record *history;
	int n;
	double best, final, seconds;
	int reach; /* epochs trained when the test accuracy first reached the target; -1: never */
	int finished; /* trained (or found done), or failed */
	char *error;  /* why it failed (malloc'ed); NULL: it finished */
};

/* A process's share of a study, trained by `jobs` threads. */
struct study_pool {
	const struct ampcl_study_config *sc;
	const struct ampcl_study_callbacks *cb;
	struct study_run *runs; /* every run of the study, in its order */
	int nruns;
	const int *queue; /* the indexes of this process's runs, in the order they start */
	int nqueue, next;
	ampcl_context_t **contexts; /* one per job */
	int jobs;
	pthread_mutex_t mu; /* guards next, the runs' outcomes, stop and every callback */
	ampcl_status stop;  /* an interruption or a failure to write results: no run starts */
	char *stop_message;
	/* called under mu after each run finished or failed (results.csv, the report) */
	ampcl_status (*after_run)(struct study_pool *p, int index);
};

/* ampcl_trainer_resume for a run of this process alone, even under mpirun, into out (the
 * study's folder for it, wherever the checkpoint says it was trained) (trainer.c). */
ampcl_status ampcl_trainer_resume_alone(ampcl_context_t *ctx, const char *checkpoint, int epochs,
					const char *out, ampcl_trainer_t **result);
/* Before a study trains: each run folder that holds a checkpoint must hold this run's (settings
 * equal to x's but for the epochs); a damaged one, or another run's, is AMPCL_ERR_INVALID_ARG
 * naming the folder and what differs, unless the study's base has overwrite, which clears the
 * folder (study_jobs.c). */
ampcl_status study_check_run_folder(struct study_run *x, int overwrite);

/* Trains every run of the queue (the pool's fields above set, mu initialised); returns the
 * first stop (AMPCL_ERR_INTERRUPTED, a write failure) or AMPCL_OK. Failed runs do not stop it. */
ampcl_status study_pool_run(struct study_pool *p);

/* Under mpirun (study_gather.c): a rank other than 0 sends each of its finished runs, then its
 * status (AMPCL_OK or its stop) with the message; rank 0 takes every other rank's into p's
 * runs, the first stop into *stop and *message (malloc'ed). The status is the transport's. */
ampcl_status study_send_outcomes(const struct study_pool *p, ampcl_status status);
ampcl_status study_gather_outcomes(struct study_pool *p, int size, ampcl_status *stop,
				   char **message);

#endif
