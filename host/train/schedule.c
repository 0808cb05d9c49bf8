/* schedule.c: parses and evaluates learning-rate schedules the way PyTorch's StepLR, MultiStepLR
 * and CosineAnnealingLR (eta_min 0) do when stepped once per epoch, plus a linear warm-up. */
#include "schedule.h"
#include "error.h"
#include "files.h"

#include <errno.h>
#include <ctype.h>
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

/* Every line of a --schedule file is a phase 'EPOCHS LR AMP', a comment (# ...) or blank; anything
 * else is an error naming its line. Phases and epochs are bounded, so no file can overflow. */
ampcl_status ampcl_phases_read(const char *path, struct ampcl_phases *p)
{
	memset(p, 0, sizeof(*p));
	FILE *f;
	ampcl_status opened = ampcl_input_open(path, "--schedule", &f);
	if (opened)
		return opened;
	char line[512];
	int lineno = 0, total = 0;
	ampcl_status st = AMPCL_OK;
	for (;;) {
		/* one line, at most sizeof(line) - 1 bytes, no NULs: /dev/zero or a binary file
		 * is an error at its first line, never an endless read */
		size_t len = 0;
		int ch;
		while ((ch = getc(f)) != EOF && ch != '\n' && ch != 0 && len + 1 < sizeof(line))
			line[len++] = (char)ch;
		if (ch == EOF && len == 0)
			break;
		lineno++;
		line[len] = 0;
		if (ch == 0) {
			st =
			    ampcl_error_set(AMPCL_ERR_BAD_FILE,
					    "--schedule '%s' line %d holds a NUL byte: it is not a "
					    "text file of 'EPOCHS LR AMP' lines",
					    path, lineno);
			break;
		}
		if (ch != EOF && ch != '\n') {
			st = ampcl_error_set(AMPCL_ERR_BAD_FILE,
					     "--schedule '%s' line %d is longer than %zu bytes: is "
					     "it a schedule file ('EPOCHS LR AMP' per line)?",
					     path, lineno, sizeof(line) - 1);
			break;
		}
		char *hash = strchr(line, '#');
		if (hash)
			*hash = 0;
		char *q = line;
		while (isspace((unsigned char)*q))
			q++;
		if (!*q)
			continue; /* blank or comment */
		char amp[16] = "", extra[2];
		int epochs = 0;
		double lr = 0;
		int got = sscanf(q, "%d %lf %15s %1s", &epochs, &lr, amp, extra);
		int on =
		    got == 3 && (!strcmp(amp, "on") || !strcmp(amp, "1") || !strcmp(amp, "yes"));
		int off =
		    got == 3 && (!strcmp(amp, "off") || !strcmp(amp, "0") || !strcmp(amp, "no"));
		if (got != 3 || epochs < 1 || epochs > 100000 || !(lr > 0) || !isfinite(lr) ||
		    !(on || off))
			st = ampcl_error_set(
			    AMPCL_ERR_BAD_FILE,
			    "--schedule '%s' line %d: expected 'EPOCHS LR AMP' with "
			    "EPOCHS 1..100000, LR > 0 and AMP on or off, e.g. '50 0.1 on'",
			    path, lineno);
		else if (p->n >= AMPCL_MAX_PHASES)
			st = ampcl_error_set(AMPCL_ERR_BAD_FILE,
					     "--schedule '%s': more than %d phases", path,
					     AMPCL_MAX_PHASES);
		else if ((total += epochs) > 100000)
			st = ampcl_error_set(AMPCL_ERR_BAD_FILE,
					     "--schedule '%s': the phases add up to more than "
					     "100000 epochs (line %d)",
					     path, lineno);
		else
			p->p[p->n++] = (struct ampcl_phase){epochs, lr, on};
		if (st)
			break;
	}
	if (!st && ferror(f))
		st = ampcl_error_set(AMPCL_ERR_BAD_FILE, "--schedule '%s': read error: %s", path,
				     strerror(errno));
	fclose(f);
	if (!st && p->n == 0)
		st = ampcl_error_set(AMPCL_ERR_BAD_FILE,
				     "--schedule '%s' has no phases: write lines 'EPOCHS LR AMP'",
				     path);
	return st;
}

int ampcl_phases_epochs(const struct ampcl_phases *ph)
{
	int n = 0;
	for (int i = 0; i < ph->n; i++)
		n += ph->p[i].epochs;
	return n;
}

/* The phase of epoch; past the last phase, the last one. */
static const struct ampcl_phase *phase_of(const struct ampcl_phases *ph, int epoch)
{
	for (int i = 0; i < ph->n; i++) {
		if (epoch < ph->p[i].epochs)
			return &ph->p[i];
		epoch -= ph->p[i].epochs;
	}
	return ph->n ? &ph->p[ph->n - 1] : NULL;
}

double ampcl_phases_lr(const struct ampcl_phases *ph, int epoch)
{
	const struct ampcl_phase *p = phase_of(ph, epoch);
	return p ? p->lr : -1.0;
}

int ampcl_phases_amp_ranges(const struct ampcl_phases *ph, int ranges[][2], int max)
{
	int n = 0, start = 0;
	for (int i = 0; i < ph->n && n < max; i++) {
		int end = i + 1 == ph->n ? 1000000 : start + ph->p[i].epochs - 1;
		if (ph->p[i].amp)
			ranges[n][0] = start, ranges[n][1] = end, n++;
		start += ph->p[i].epochs;
	}
	return n;
}
