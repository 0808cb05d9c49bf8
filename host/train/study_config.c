/* study_config.c: creating a study configuration, parsing its sweep lists ("0.1,0.2",
 * "bn;relu") with errors that name them, and the base's values for lists left out. */
#include "study_config.h"
#include "alloc.h"
#include "error.h"

#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

ampcl_status ampcl_study_config_create(const ampcl_train_config_t *base,
				       ampcl_study_config_t **out)
{
	struct ampcl_study_config *sc = ampcl_xcalloc(1, sizeof(*sc));
	sc->base = *base;
	*out = sc;
	return AMPCL_OK;
}

void ampcl_study_config_free(ampcl_study_config_t *sc)
{
	free(sc);
}

/* A value given twice would be one run counted twice (one folder, one seed paired with
 * itself): refused, values compared rather than their spellings. */
static ampcl_status duplicate(const char *key, const char *list, const char *value)
{
	return ampcl_error_set(AMPCL_ERR_INVALID_ARG,
			       "%s '%s' gives the value of '%s' twice: give each value once (a "
			       "study would otherwise train and count one run twice)",
			       key, list, value);
}

static ampcl_status numbers(const char *key, const char *s, double *out, int *n)
{
	char buf[1024], *save = NULL;
	snprintf(buf, sizeof(buf), "%s", s);
	*n = 0;
	for (char *t = strtok_r(buf, ", ", &save); t; t = strtok_r(NULL, ", ", &save)) {
		char *end;
		double v = strtod(t, &end);
		if (*end || end == t || !isfinite(v) || *n >= AMPCL_STUDY_MAX_VALUES)
			return ampcl_error_set(AMPCL_ERR_INVALID_ARG,
					       "%s '%s': give up to %d numbers separated by commas",
					       key, s, AMPCL_STUDY_MAX_VALUES);
		for (int i = 0; i < *n; i++)
			if (out[i] == v)
				return duplicate(key, s, t);
		out[(*n)++] = v;
	}
	return *n ? AMPCL_OK : ampcl_error_set(AMPCL_ERR_INVALID_ARG, "%s is empty", key);
}

/* Whole numbers, read as such: a seed above 2^53 is kept exactly. */
static ampcl_status seeds(const char *s, unsigned long long *out, int *n)
{
	char buf[1024], *save = NULL;
	snprintf(buf, sizeof(buf), "%s", s);
	*n = 0;
	for (char *t = strtok_r(buf, ", ", &save); t; t = strtok_r(NULL, ", ", &save)) {
		char *end;
		errno = 0;
		unsigned long long v = strtoull(t, &end, 10);
		if (*end || end == t || errno || *t == '-' || *n >= AMPCL_STUDY_MAX_VALUES)
			return ampcl_error_set(AMPCL_ERR_INVALID_ARG,
					       "seed '%s': give up to %d whole numbers (0 to %llu) "
					       "separated by commas",
					       s, AMPCL_STUDY_MAX_VALUES, ULLONG_MAX);
		for (int i = 0; i < *n; i++)
			if (out[i] == v)
				return duplicate("seed", s, t);
		out[(*n)++] = v;
	}
	return *n ? AMPCL_OK : ampcl_error_set(AMPCL_ERR_INVALID_ARG, "seed is empty");
}

static ampcl_status strings(const char *key, const char *s, char *out, size_t size, int *n)
{
	char buf[2048], *save = NULL;
	snprintf(buf, sizeof(buf), "%s", s);
	*n = 0;
	for (char *t = strtok_r(buf, "; ", &save); t; t = strtok_r(NULL, "; ", &save)) {
		if (*n >= AMPCL_STUDY_MAX_VALUES || strlen(t) >= size)
			return ampcl_error_set(AMPCL_ERR_INVALID_ARG,
					       "%s '%s': give up to %d values separated by ';'",
					       key, s, AMPCL_STUDY_MAX_VALUES);
		for (int i = 0; i < *n; i++)
			if (!strcmp(out + (size_t)i * size, t))
				return duplicate(key, s, t);
		snprintf(out + (size_t)(*n)++ * size, size, "%s", t);
	}
	return *n ? AMPCL_OK : ampcl_error_set(AMPCL_ERR_INVALID_ARG, "%s is empty", key);
}

ampcl_status ampcl_study_config_sweep(ampcl_study_config_t *sc, const char *key, const char *values)
{
	ampcl_status st;
	if (!strcmp(key, "amp_factor"))
		return numbers(key, values, sc->factors, &sc->nfactors);
	if (!strcmp(key, "amp_ratio"))
		return numbers(key, values, sc->ratios, &sc->nratios);
	if (!strcmp(key, "lr"))
		return numbers(key, values, sc->lrs, &sc->nlrs);
	if (!strcmp(key, "seed"))
		return seeds(values, sc->seeds, &sc->nseeds);
	if (!strcmp(key, "amp_types"))
		return strings(key, values, &sc->types[0][0], sizeof(sc->types[0]), &sc->ntypes);
	if (!strcmp(key, "amp_epochs"))
		return strings(key, values, &sc->amp_epochs[0][0], sizeof(sc->amp_epochs[0]),
			       &sc->namp_epochs);
	if (!strcmp(key, "amp_select")) {
		char list[256]; /* "random,auto" or "random;auto" */
		snprintf(list, sizeof(list), "%s", values);
		for (char *p = list; *p; p++)
			if (*p == ',')
				*p = ';';
		if ((st = strings(key, list, &sc->selects[0][0], sizeof(sc->selects[0]),
				  &sc->nselects)))
			return st;
		for (int i = 0; i < sc->nselects; i++)
			if (strcmp(sc->selects[i], "random") && strcmp(sc->selects[i], "auto"))
				return ampcl_error_set(AMPCL_ERR_INVALID_ARG,
						       "amp_select '%s': give random, auto or both "
						       "('random;auto')",
						       sc->selects[i]);
		return AMPCL_OK;
	}
	return ampcl_error_set(
	    AMPCL_ERR_INVALID_ARG,
	    "'%s' is not a sweep list; the valid keys are amp_factor, amp_ratio, "
	    "amp_types, amp_epochs, amp_select, lr and seed",
	    key);
}

ampcl_status ampcl_study_config_set_jobs(ampcl_study_config_t *sc, int jobs, const char *devices)
{
	if (jobs < 0 || jobs > 256)
		return ampcl_error_set(AMPCL_ERR_INVALID_ARG,
				       "jobs %d: give 1 to 256 runs at once (0: one per device)",
				       jobs);
	char buf[4096], *save = NULL;
	snprintf(buf, sizeof(buf), "%s", devices ? devices : "");
	int n = 0;
	for (char *t = strtok_r(buf, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
		if (n == AMPCL_STUDY_MAX_DEVICES || strlen(t) >= sizeof(sc->devices[0]))
			return ampcl_error_set(
			    AMPCL_ERR_INVALID_ARG,
			    "devices '%s': give up to %d device indexes or names "
			    "separated by commas",
			    devices, AMPCL_STUDY_MAX_DEVICES);
		snprintf(sc->devices[n++], sizeof(sc->devices[0]), "%s", t);
	}
	if (devices && devices[0] && !n)
		return ampcl_error_set(AMPCL_ERR_INVALID_ARG, "devices '%s' names no device",
				       devices);
	sc->jobs = jobs, sc->ndevices = n;
	return AMPCL_OK;
}

ampcl_status ampcl_study_config_set_target(ampcl_study_config_t *sc, double target)
{
	if (!(target >= 0 && target < 1))
		return ampcl_error_set(AMPCL_ERR_INVALID_ARG,
				       "target %g: give an accuracy between 0 and 1", target);
	sc->target_acc = target;
	return AMPCL_OK;
}

double ampcl_study_config_target(const ampcl_study_config_t *sc)
{
	return sc->target_acc;
}

const ampcl_train_config_t *ampcl_study_config_base(const ampcl_study_config_t *sc)
{
	return &sc->base;
}

void ampcl_study_config_fill(struct ampcl_study_config *sc)
{
	const struct ampcl_train_config *b = &sc->base;
	if (!sc->nfactors)
		sc->factors[0] = b->amp_factor, sc->nfactors = 1;
	if (!sc->nratios)
		sc->ratios[0] = b->amp_ratio, sc->nratios = 1;
	if (!sc->ntypes)
		snprintf(sc->types[0], sizeof(sc->types[0]), "%.63s", b->amp_types), sc->ntypes = 1;
	if (!sc->namp_epochs)
		snprintf(sc->amp_epochs[0], sizeof(sc->amp_epochs[0]), "%.255s", b->amp_epochs),
		    sc->namp_epochs = 1;
	if (!sc->nselects)
		snprintf(sc->selects[0], sizeof(sc->selects[0]), "%.7s", b->amp_select),
		    sc->nselects = 1;
	if (!sc->nlrs)
		sc->lrs[0] = b->lr, sc->nlrs = 1;
	if (!sc->nseeds)
		sc->seeds[0] = b->seed, sc->nseeds = 1;
}
