/* steps_csv.c: a run's steps.csv read back for the curves the program draws (curves.png, a study's
 * train_loss.png): the training loss and accuracy every few steps against fractional epochs. */
#include "report.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define STEPS_HEADER "epoch,step,fractional_epoch,images,lr,train_loss,train_acc"

static double *grow(double *a, int cap)
{
	double *p = realloc(a, (size_t)cap * sizeof(double));
	if (!p)
		abort();
	return p;
}

void report_steps_read(const char *dir, struct report_steps *s)
{
	memset(s, 0, sizeof(*s));
	char path[4200], line[512];
	snprintf(path, sizeof(path), "%.4096s/steps.csv", dir);
	FILE *f = fopen(path, "r");
	if (!f)
		return;
	if (!fgets(line, sizeof(line), f) || strncmp(line, STEPS_HEADER, strlen(STEPS_HEADER))) {
		fclose(f);
		return;
	}
	int cap = 0;
	while (fgets(line, sizeof(line), f)) {
		double x, loss, acc;
		/* a row with an empty (non-finite) value, or out of order, is passed over */
		if (sscanf(line, "%*d,%*d,%lf,%*f,%*f,%lf,%lf", &x, &loss, &acc) != 3 ||
		    !isfinite(x) || (s->n && x <= s->x[s->n - 1]))
			continue;
		if (s->n == cap) {
			cap = cap ? 2 * cap : 128;
			s->x = grow(s->x, cap), s->loss = grow(s->loss, cap),
			s->acc = grow(s->acc, cap);
		}
		s->x[s->n] = x, s->loss[s->n] = loss, s->acc[s->n] = 100 * acc;
		s->n++;
	}
	fclose(f);
}

void report_steps_free(struct report_steps *s)
{
	free(s->x), free(s->loss), free(s->acc);
	memset(s, 0, sizeof(*s));
}
