/* trainer.c: the trainer's public calls (include/ampcl.h), each in the C locale for text, and what
 * a caller may read of a trainer; the work is in trainer_setup.c, trainer_loop.c, trainer_eval.c.
 */
#include "locale_c.h"
#include "study.h"
#include "trainer_internal.h"

#include <stdlib.h>
#include <unistd.h>

/* The public entry points read and write text in the C locale, whatever the host set: `call`
 * runs between the switch and the restore, and its status is returned. */
#define IN_C_LOCALE(call)                                                                          \
	do {                                                                                       \
		locale_t previous_ = ampcl_locale_c_begin();                                       \
		ampcl_status st_ = (call);                                                         \
		ampcl_locale_c_end(previous_);                                                     \
		return st_;                                                                        \
	} while (0)

ampcl_status ampcl_trainer_create(ampcl_context_t *ctx, const struct ampcl_train_config *cfg,
				  ampcl_trainer_t **out)
{
	IN_C_LOCALE(ampcl_trainer_setup_new(ctx, cfg, out));
}

ampcl_status ampcl_trainer_resume(ampcl_context_t *ctx, const char *checkpoint, int epochs,
				  const char *out, ampcl_trainer_t **result)
{
	IN_C_LOCALE(
	    ampcl_trainer_setup_checkpoint(ctx, checkpoint, epochs, out, NULL, 0, 0, result));
}

ampcl_status ampcl_trainer_resume_data(ampcl_context_t *ctx, const char *checkpoint, int epochs,
				       const char *out, const char *data, ampcl_trainer_t **result)
{
	IN_C_LOCALE(
	    ampcl_trainer_setup_checkpoint(ctx, checkpoint, epochs, out, data, 0, 0, result));
}

ampcl_status ampcl_trainer_run(ampcl_trainer_t *t, const struct ampcl_train_callbacks *cb)
{
	IN_C_LOCALE(ampcl_trainer_run_epochs(t, cb));
}

ampcl_status ampcl_evaluate(ampcl_context_t *ctx, const struct ampcl_eval_request *req,
			    struct ampcl_eval_result *res)
{
	IN_C_LOCALE(ampcl_trainer_evaluate_request(ctx, req, res));
}

ampcl_status ampcl_trainer_resume_alone(ampcl_context_t *ctx, const char *checkpoint, int epochs,
					const char *out, ampcl_trainer_t **result)
{
	return ampcl_trainer_setup_checkpoint(ctx, checkpoint, epochs, out, NULL, 0, 1, result);
}

void ampcl_trainer_free(ampcl_trainer_t *t)
{
	if (!t)
		return;
	if (t->lock_fd >= 0)
		close(t->lock_fd); /* and the lock with it */
	ampcl_loader_free(t->train_loader);
	ampcl_loader_free(t->test_loader);
	ampcl_dataset_free(t->train);
	ampcl_dataset_free(t->test);
	ampcl_dp_free(&t->dp, t->net);
	ampcl_net_free(t->net);
	ampcl_amp_plan_free(t->amp);
	ampcl_checkpoint_state_release(&t->st);
	free(t);
}

void ampcl_trainer_data_summary(const ampcl_trainer_t *t, char *buf, size_t size)
{
	ampcl_dataset_describe(t->train, t->test, buf, size);
}

const struct ampcl_tune_report *ampcl_trainer_tune_report(const ampcl_trainer_t *t)
{
	return &t->tune;
}

const struct ampcl_train_config *ampcl_trainer_config(const ampcl_trainer_t *t)
{
	return &t->st.cfg;
}

ampcl_net_t *ampcl_trainer_net(ampcl_trainer_t *t)
{
	return t->net;
}

int ampcl_trainer_next_epoch(const ampcl_trainer_t *t)
{
	return t->st.next_epoch;
}

void ampcl_trainer_parallel_report(const ampcl_trainer_t *t, struct ampcl_parallel_report *out)
{
	*out = (struct ampcl_parallel_report){t->dp.rank,    t->dp.size > 0 ? t->dp.size : 1,
					      t->dp.sync_bn, t->dp.overlap,
					      t->dp.reduces, t->dp.reduce_s};
}

const struct ampcl_epoch_record *ampcl_trainer_history(const ampcl_trainer_t *t, int *n)
{
	*n = t->st.nhistory;
	return t->st.history;
}
