/* study_jobs.c: trains a process's runs of a study, one after another or several at once (one
 * thread and context per job), skipping finished runs; callbacks are called one at a time. */
#include "study.h"
#include "train_config.h"
#include "alloc.h"
#include "checkpoint.h"
#include "error.h"
#include "locale_c.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* One job: its thread's pool and context, and the training callbacks passed on under the lock. */
struct job {
	struct study_pool *pool;
	ampcl_context_t *ctx;
	struct ampcl_train_callbacks train;
};

static const struct ampcl_train_callbacks *user_train(const struct job *j)
{
	return j->pool->cb ? j->pool->cb->train : NULL;
}

static void on_step(void *user, const struct ampcl_progress *p)
{
	struct job *j = user;
	pthread_mutex_lock(&j->pool->mu);
	user_train(j)->step(user_train(j)->user, p);
	pthread_mutex_unlock(&j->pool->mu);
}

static void on_epoch(void *user, const struct ampcl_epoch_record *r, int is_best)
{
	struct job *j = user;
	pthread_mutex_lock(&j->pool->mu);
	user_train(j)->epoch(user_train(j)->user, r, is_best);
	pthread_mutex_unlock(&j->pool->mu);
}

static void on_message(void *user, const char *line)
{
	struct job *j = user;
	pthread_mutex_lock(&j->pool->mu);
	user_train(j)->message(user_train(j)->user, line);
	pthread_mutex_unlock(&j->pool->mu);
}

static void on_outputs(void *user, const struct ampcl_train_config *cfg,
		       const struct ampcl_epoch_record *history, int epochs)
{
	struct job *j = user;
	pthread_mutex_lock(&j->pool->mu);
	user_train(j)->outputs(user_train(j)->user, cfg, history, epochs);
	pthread_mutex_unlock(&j->pool->mu);
}

/* polled after every step: the study's own stop (another job was interrupted) or the user's */
static int should_stop(void *user)
{
	struct job *j = user;
	pthread_mutex_lock(&j->pool->mu);
	int stop = j->pool->stop == AMPCL_ERR_INTERRUPTED;
	const struct ampcl_train_callbacks *t = user_train(j);
	if (!stop && t && t->should_stop)
		stop = t->should_stop(t->user);
	pthread_mutex_unlock(&j->pool->mu);
	return stop;
}

static void wrap_callbacks(struct job *j)
{
	const struct ampcl_train_callbacks *t = user_train(j);
	j->train = (struct ampcl_train_callbacks){j,
						  t && t->step ? on_step : NULL,
						  t && t->epoch ? on_epoch : NULL,
						  t && t->message ? on_message : NULL,
						  t && t->outputs ? on_outputs : NULL,
						  should_stop};
}

/* The first setting (but those a resume may change) in which a and b differ, as "key: A, not
 * B" into why; 0 when none does. */
static int settings_differ(const struct ampcl_train_config *a, const struct ampcl_train_config *b,
			   char *why, size_t size)
{
	static const char *const free_keys[] = {"out", "epochs", "overwrite", "data_parallel",
						"data"};
	char *ta = NULL, *tb = NULL;
	size_t na = 0, nb = 0;
	FILE *fa = open_memstream(&ta, &na), *fb = open_memstream(&tb, &nb);
	ampcl_train_config_write_text(a, fa);
	ampcl_train_config_write_text(b, fb);
	fclose(fa);
	fclose(fb);
	int differ = 0;
	char *sa = NULL, *sb = NULL;
	for (char *la = strtok_r(ta, "\n", &sa), *lb = strtok_r(tb, "\n", &sb); la && lb && !differ;
	     la = strtok_r(NULL, "\n", &sa), lb = strtok_r(NULL, "\n", &sb)) {
		size_t key = strcspn(la, " ");
		int skip = 0;
		for (size_t k = 0; k < sizeof(free_keys) / sizeof(free_keys[0]); k++)
			skip |= strlen(free_keys[k]) == key && !strncmp(la, free_keys[k], key);
		if (!skip && strcmp(la, lb)) {
			snprintf(why, size, "%.*s is %.200s there, %.200s in this study", (int)key,
				 la, la[key] ? la + key + 1 : "", lb[key] ? lb + key + 1 : "");
			differ = 1;
		}
	}
	free(ta);
	free(tb);
	return differ;
}

ampcl_status study_check_run_folder(struct study_run *x, int overwrite)
{
	char ckpt[4400];
	snprintf(ckpt, sizeof(ckpt), "%s/last.ampcl", x->cfg.out);
	struct stat sb;
	if (lstat(ckpt, &sb) != 0)
		return AMPCL_OK; /* nothing trained there yet */
	struct ampcl_checkpoint_state st = {0};
	struct ampcl_checkpoint *ck = NULL;
	ampcl_status s = ampcl_checkpoint_open(ckpt, &ck, &st);
	ampcl_checkpoint_free(ck);
	char why[512] = "";
	int other = !s && settings_differ(&st.cfg, &x->cfg, why, sizeof(why));
	ampcl_checkpoint_state_release(&st);
	if (!s && !other)
		return AMPCL_OK;
	if (overwrite) {
		static const char *const files[] = {"last.ampcl", "best.ampcl",   "log.csv",
						    "amp.log",    "summary.json", "curves.png"};
		for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
			char path[4400];
			snprintf(path, sizeof(path), "%.4000s/%s", x->cfg.out, files[i]);
			unlink(path);
		}
		return AMPCL_OK;
	}
	if (s)
		return ampcl_error_wrap(AMPCL_ERR_INVALID_ARG,
					"study run '%s': its folder holds a checkpoint that cannot be "
					"read, so it would be trained again from the start; remove "
					"'%s' (or give --overwrite) to do so: ",
					x->name, ckpt);
	return ampcl_error_set(AMPCL_ERR_INVALID_ARG,
			       "study run '%s': its folder '%s' holds a run with other settings "
			       "(%s); give another --out, or --overwrite to train it again",
			       x->name, x->cfg.out, why);
}

/* Trains (or resumes, or just reads) one run and fills its history. */
static ampcl_status do_run(struct job *j, struct study_run *x, int index)
{
	struct study_pool *p = j->pool;
	char ckpt[4400];
	snprintf(ckpt, sizeof(ckpt), "%s/last.ampcl", x->cfg.out);
	struct ampcl_checkpoint_state st = {0};
	struct ampcl_checkpoint *ck = NULL;
	/* study_check_run_folder found it whole and this run's, or found none */
	int have = access(ckpt, F_OK) == 0;
	ampcl_status s = have ? ampcl_checkpoint_open(ckpt, &ck, &st) : AMPCL_OK;
	ampcl_checkpoint_free(ck);
	if (s)
		return ampcl_error_wrap(s, "study run '%s': ", x->name);
	int done = have && st.next_epoch >= x->cfg.epochs;
	if (p->cb && p->cb->run) {
		pthread_mutex_lock(&p->mu);
		p->cb->run(p->cb->user, index, p->nruns, x->name, done);
		pthread_mutex_unlock(&p->mu);
	}
	if (done) {
		x->history = st.history, x->n = st.nhistory;
		return AMPCL_OK;
	}
	ampcl_checkpoint_state_release(&st);
	ampcl_trainer_t *t = NULL;
	/* a run folder without a checkpoint is started over */
	x->cfg.overwrite = 1;
	s = have ? ampcl_trainer_resume_alone(j->ctx, ckpt, x->cfg.epochs, x->cfg.out, &t)
		 : ampcl_trainer_create(j->ctx, &x->cfg, &t);
	if (!s)
		s = ampcl_trainer_run(t, &j->train);
	if (!s) {
		int n;
		const struct ampcl_epoch_record *h = ampcl_trainer_history(t, &n);
		x->history = ampcl_xmalloc((size_t)(n ? n : 1) * sizeof(*h));
		memcpy(x->history, h, (size_t)n * sizeof(*h));
		x->n = n;
	}
	ampcl_trainer_free(t);
	return s ? ampcl_error_wrap(s, "study run '%s': ", x->name) : AMPCL_OK;
}

/* Takes the queue's next run until it is empty or the study stops. */
static void *work(void *arg)
{
	struct job *j = arg;
	struct study_pool *p = j->pool;
	locale_t previous = ampcl_locale_c_begin(); /* per thread */
	for (;;) {
		pthread_mutex_lock(&p->mu);
		int index = p->stop || p->next == p->nqueue ? -1 : p->queue[p->next++];
		pthread_mutex_unlock(&p->mu);
		if (index < 0)
			break;
		struct study_run *x = &p->runs[index];
		ampcl_status s = do_run(j, x, index);
		pthread_mutex_lock(&p->mu);
		if (s == AMPCL_ERR_INTERRUPTED) {
			/* its last.ampcl holds the progress: the run is not failed, only stopped */
			if (!p->stop)
				p->stop = s, p->stop_message = ampcl_xstrdup(ampcl_last_error());
		} else {
			if (s)
				x->error = ampcl_xstrdup(ampcl_last_error());
			x->finished = 1;
			ampcl_status w = p->after_run ? p->after_run(p, index) : AMPCL_OK;
			if (w && !p->stop)
				p->stop = w, p->stop_message = ampcl_xstrdup(ampcl_last_error());
		}
		pthread_mutex_unlock(&p->mu);
	}
	ampcl_locale_c_end(previous);
	return NULL;
}

ampcl_status study_pool_run(struct study_pool *p)
{
	int jobs = p->jobs < p->nqueue ? p->jobs : p->nqueue;
	struct job *js = ampcl_xcalloc((size_t)(jobs > 0 ? jobs : 1), sizeof(*js));
	for (int i = 0; i < jobs; i++) {
		js[i].pool = p, js[i].ctx = p->contexts[i];
		wrap_callbacks(&js[i]);
	}
	/* one job works in the calling thread; more get a thread each */
	pthread_t *threads = ampcl_xcalloc((size_t)(jobs > 0 ? jobs : 1), sizeof(*threads));
	int started = 0;
	for (int i = 1; i < jobs; i++) {
		if (pthread_create(&threads[i], NULL, work, &js[i]))
			break;
		started = i;
	}
	if (jobs > 0)
		work(&js[0]);
	for (int i = 1; i <= started; i++)
		pthread_join(threads[i], NULL);
	free(threads);
	free(js);
	if (p->stop)
		return ampcl_error_set(p->stop, "%s",
				       p->stop_message ? p->stop_message : "stopped");
	return AMPCL_OK;
}
