/* schedule.c: parses and evaluates learning-rate schedules the way PyTorch's StepLR, MultiStepLR
 * and CosineAnnealingLR (eta_min 0) do when stepped once per epoch, plus a linear warm-up. */
#include "schedule.h"
#include "error.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int parse_gamma(const char *s, double *gamma)
{
	char *end;
	*gamma = strtod(s, &end);
	return end != s && *end == 0 && *gamma > 0 && isfinite(*gamma);
}

ampcl_status ampcl_schedule_parse(const char *text, double base_lr, int epochs, int warmup_epochs,
				  struct ampcl_lr_schedule *out)
{
	memset(out, 0, sizeof(*out));
	out->base = base_lr;
	out->epochs = epochs;
	out->warmup_epochs = warmup_epochs;
	out->gamma = 1;
	if (!(base_lr > 0) || !isfinite(base_lr))
		return ampcl_error_set(AMPCL_ERR_INVALID_ARG, "--lr %g: must be a number > 0",
				       base_lr);
	if (warmup_epochs < 0 || warmup_epochs > epochs)
		return ampcl_error_set(AMPCL_ERR_INVALID_ARG,
				       "--warmup-epochs %d: must be between 0 and --epochs (%d)",
				       warmup_epochs, epochs);
	if (!strcmp(text, "constant")) {
		out->kind = AMPCL_LR_CONSTANT;
		return AMPCL_OK;
	}
	if (!strcmp(text, "cosine")) {
		out->kind = AMPCL_LR_COSINE;
		return AMPCL_OK;
	}
	char buf[512];
	snprintf(buf, sizeof(buf), "%s", text);
	char *gamma = strrchr(buf, ':');
	if (!strncmp(buf, "step:", 5) && gamma && gamma > buf + 4) {
		*gamma++ = 0;
		char *end;
		long every = strtol(buf + 5, &end, 10);
		if (*end == 0 && every >= 1 && every < 1000000 && parse_gamma(gamma, &out->gamma)) {
			out->kind = AMPCL_LR_STEP;
			out->every = (int)every;
			return AMPCL_OK;
		}
	} else if (!strncmp(buf, "multistep:", 10) && gamma && gamma > buf + 9) {
		*gamma++ = 0;
		int ok = parse_gamma(gamma, &out->gamma);
		for (char *p = buf + 10; ok && *p;) {
			char *end;
			long e = strtol(p, &end, 10);
			ok = end != p && e >= 1 && (*end == ',' || *end == 0) &&
			     out->nmilestones < AMPCL_SCHEDULE_MAX_MILESTONES &&
			     (out->nmilestones == 0 || e > out->milestones[out->nmilestones - 1]);
			if (ok)
				out->milestones[out->nmilestones++] = (int)e;
			p = *end == ',' ? end + 1 : end;
		}
		if (ok && out->nmilestones > 0) {
			out->kind = AMPCL_LR_MULTISTEP;
			return AMPCL_OK;
		}
	}
	return ampcl_error_set(
	    AMPCL_ERR_INVALID_ARG,
	    "--lr-schedule '%s': use constant, step:EVERY:GAMMA (e.g. step:30:0.1), "
	    "multistep:E1,E2,...:GAMMA with ascending epochs (e.g. "
	    "multistep:7:0.1) or cosine",
	    text);
}

double ampcl_schedule_lr(const struct ampcl_lr_schedule *s, int epoch, int iter, int iters)
{
	double lr = s->base;
	switch (s->kind) {
	case AMPCL_LR_CONSTANT:
		break;
	case AMPCL_LR_STEP:
		lr *= pow(s->gamma, epoch / s->every);
		break;
	case AMPCL_LR_MULTISTEP:
		for (int i = 0; i < s->nmilestones; i++)
			if (epoch >= s->milestones[i])
				lr *= s->gamma;
		break;
	case AMPCL_LR_COSINE:
		lr *= 0.5 *
		      (1.0 + cos(3.14159265358979323846 * epoch / (s->epochs > 0 ? s->epochs : 1)));
		break;
	}
	if (epoch < s->warmup_epochs && iters > 0) {
		long done = (long)epoch * iters + iter + 1, total = (long)s->warmup_epochs * iters;
		lr *= (double)done / (double)total;
	}
	return lr;
}
