/* amp_epoch.c: one epoch's amplification for the trainer's loop: decided and set on the net at the
 * epoch's start, redrawn per step or chosen after a measuring step where the plan says so. */
#include "amp.h"
#include "net.h"

ampcl_status ampcl_amp_epoch_begin(struct ampcl_amp_plan *plan, ampcl_net_t *net, int epoch,
				   int first, struct ampcl_amp_epoch *e)
{
	e->active = ampcl_amp_active(plan, epoch);
	e->announce = NULL;
	/* auto: the epoch's first step runs unamplified and its gradients choose the layers
	 * ("once": only the first amplified epoch chooses; mid-epoch, the checkpoint's choice) */
	e->choosing = plan->select_auto && e->active && !first &&
		      (plan->redraw != AMPCL_REDRAW_ONCE || plan->nselected == 0);
	ampcl_status st;
	if (e->choosing || (plan->select_auto && !e->active))
		st = ampcl_net_set_amplification(net, NULL, 0, 1.0f, AMPCL_AMP_INPUT);
	else if (plan->select_auto)
		st = ampcl_amp_restore(plan, net, plan->selected, plan->nselected);
	else if ((st = ampcl_amp_apply(plan, net, epoch, -1)) > 0)
		st = AMPCL_OK;
	if (st)
		return st;
	/* every amplified epoch says what it amplified: a drawn or restored selection now, an
	 * automatic one after its first step, a per-step one with its first draw */
	if (e->active && !e->choosing && plan->redraw != AMPCL_REDRAW_ITER)
		e->announce = "";
	return AMPCL_OK;
}

ampcl_status ampcl_amp_epoch_step(struct ampcl_amp_plan *plan, ampcl_net_t *net,
				  struct ampcl_amp_epoch *e, int epoch, int step)
{
	if (!plan->select_auto) {
		int changed = ampcl_amp_apply(plan, net, epoch, step);
		if (changed < 0)
			return changed;
		if (e->active && plan->redraw == AMPCL_REDRAW_ITER && step == 0)
			e->announce = "redrawn every step, step 0: ";
	}
	if (e->choosing)
		ampcl_net_request_grad_rms(net);
	return AMPCL_OK;
}

ampcl_status ampcl_amp_epoch_choose(struct ampcl_amp_plan *plan, ampcl_net_t *net,
				    struct ampcl_amp_epoch *e, const double *rms)
{
	ampcl_status st = ampcl_amp_select_auto(plan, net, rms);
	if (st)
		return st;
	e->choosing = 0;
	e->announce = "chosen by the first step: ";
	return AMPCL_OK;
}

int ampcl_amp_epoch_layers(const struct ampcl_amp_plan *plan, const struct ampcl_amp_epoch *e)
{
	return e->active ? plan->nselected : 0;
}
