/* train_config.c: one table of the training configuration's fields drives its defaults-free
 * text form (checkpoints), its parsing back, and its JSON form (summary.json). */
#include "train_config.h"
#include "alloc.h"
#include "error.h"

#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum field_kind { F_STR, F_INT, F_DOUBLE, F_U64 };

struct field {
	const char *key;
	enum field_kind kind;
	size_t offset, size;
};

#define STR(name)                                                                                  \
	{                                                                                          \
#name, F_STR, offsetof(struct ampcl_train_config, name),                           \
		    sizeof(((struct ampcl_train_config *)0)->name)                                 \
	}
#define NUM(name, kind)                                                                            \
	{                                                                                          \
#name, kind, offsetof(struct ampcl_train_config, name), 0                          \
	}

static const struct field fields[] = {
    STR(model),
    NUM(width, F_INT),
    STR(data),
    STR(dataset),
    NUM(epochs, F_INT),
    NUM(batch, F_INT),
    NUM(lr, F_DOUBLE),
    NUM(momentum, F_DOUBLE),
    NUM(weight_decay, F_DOUBLE),
    NUM(nesterov, F_INT),
    NUM(overwrite, F_INT),
    STR(lr_schedule),
    NUM(warmup_epochs, F_INT),
    NUM(seed, F_U64),
    NUM(eval_every, F_INT),
    NUM(subset, F_INT),
    NUM(augment, F_INT),
    STR(image_size),
    STR(out),
    STR(init),
    STR(amp_types),
    NUM(amp_ratio, F_DOUBLE),
    NUM(amp_factor, F_DOUBLE),
    STR(amp_epochs),
    STR(amp_redraw),
    STR(amp_target),
    STR(amp_select),
    STR(schedule_file),
    NUM(sync_bn, F_INT),
    NUM(data_parallel, F_INT),
};
#define NFIELDS (sizeof(fields) / sizeof(fields[0]))

void ampcl_train_config_defaults(struct ampcl_train_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	snprintf(cfg->model, sizeof(cfg->model), "resnet18");
	cfg->width = 64;
	cfg->epochs = 0; /* not given: the --schedule file's total, else 1 */
	cfg->batch = 128;
	cfg->lr = 0.1;
	cfg->momentum = 0.9;
	cfg->weight_decay = 5e-4;
	snprintf(cfg->lr_schedule, sizeof(cfg->lr_schedule), "constant");
	cfg->seed = 1;
	cfg->eval_every = 1;
	cfg->augment = 1;
	snprintf(cfg->amp_types, sizeof(cfg->amp_types), "bn");
	cfg->amp_ratio = 0.3;
	cfg->amp_factor = 2.0;
	snprintf(cfg->amp_redraw, sizeof(cfg->amp_redraw), "epoch");
	cfg->data_parallel = 1;
	snprintf(cfg->amp_target, sizeof(cfg->amp_target), "input");
	snprintf(cfg->amp_select, sizeof(cfg->amp_select), "random");
}

void ampcl_train_config_write_text(const struct ampcl_train_config *cfg, FILE *f)
{
	const char *base = (const char *)cfg;
	for (size_t i = 0; i < NFIELDS; i++) {
		const void *p = base + fields[i].offset;
		switch (fields[i].kind) {
		case F_STR:
			fprintf(f, "%s %s\n", fields[i].key, (const char *)p);
			break;
		case F_INT:
			fprintf(f, "%s %d\n", fields[i].key, *(const int *)p);
			break;
		case F_DOUBLE: /* %.17g round-trips a double exactly */
			fprintf(f, "%s %.17g\n", fields[i].key, *(const double *)p);
			break;
		case F_U64:
			fprintf(f, "%s %llu\n", fields[i].key, *(const unsigned long long *)p);
			break;
		}
	}
}

ampcl_status ampcl_train_config_check_text(const struct ampcl_train_config *cfg)
{
	const char *base = (const char *)cfg;
	for (size_t i = 0; i < NFIELDS; i++) {
		if (fields[i].kind != F_STR)
			continue;
		const char *v = base + fields[i].offset;
		for (size_t k = 0; v[k]; k++)
			if ((unsigned char)v[k] < 0x20 || v[k] == 0x7f)
				return ampcl_error_set(
				    AMPCL_ERR_INVALID_ARG,
				    "the %s setting '%.*s...' holds a control character (byte %zu "
				    "is 0x%02x): ampcl keeps settings one per line, so give a name "
				    "without newlines or other control characters",
				    fields[i].key, (int)(k < 200 ? k : 200), v, k,
				    (unsigned char)v[k]);
	}
	return AMPCL_OK;
}

ampcl_status ampcl_train_config_set(struct ampcl_train_config *cfg, const char *key,
				    const char *value)
{
	char *base = (char *)cfg;
	for (size_t i = 0; i < NFIELDS; i++) {
		if (strcmp(fields[i].key, key))
			continue;
		void *p = base + fields[i].offset;
		char *end = NULL;
		errno = 0;
		switch (fields[i].kind) {
		case F_STR:
			if (strlen(value) >= fields[i].size)
				return ampcl_error_set(AMPCL_ERR_INVALID_ARG,
						       "setting '%s' is longer than %zu "
						       "characters",
						       key, fields[i].size - 1);
			memcpy(p, value, strlen(value) + 1);
			return AMPCL_OK;
		case F_INT: {
			long v = strtol(value, &end, 10);
			if (*end || end == value || errno || v < -2147483647L || v > 2147483647L)
				break;
			*(int *)p = (int)v;
			return AMPCL_OK;
		}
		case F_DOUBLE:
			*(double *)p = strtod(value, &end);
			if (*end || end == value)
				break;
			return AMPCL_OK;
		case F_U64:
			*(unsigned long long *)p = strtoull(value, &end, 10);
			if (*end || end == value || errno)
				break;
			return AMPCL_OK;
		}
		return ampcl_error_set(AMPCL_ERR_INVALID_ARG, "setting '%s': the bad value '%s'",
				       key, value);
	}
	return ampcl_error_set(AMPCL_ERR_INVALID_ARG, "unknown setting '%s'", key);
}

json_t *ampcl_train_config_json(const struct ampcl_train_config *cfg)
{
	json_t *o = json_object();
	const char *base = (const char *)cfg;
	for (size_t i = 0; i < NFIELDS; i++) {
		const void *p = base + fields[i].offset;
		json_t *v = NULL;
		switch (fields[i].kind) {
		case F_STR:
			v = json_string((const char *)p);
			break;
		case F_INT:
			v = json_integer(*(const int *)p);
			break;
		case F_DOUBLE:
			v = json_real(*(const double *)p);
			break;
		case F_U64:
			v = json_integer((json_int_t) * (const unsigned long long *)p);
			break;
		}
		/* a path that is not UTF-8 cannot be a JSON string: null rather than a broken file
		 */
		json_object_set_new(o, fields[i].key, v ? v : json_null());
	}
	return o;
}

ampcl_status ampcl_train_config_create(ampcl_train_config_t **out)
{
	struct ampcl_train_config *c = ampcl_xcalloc(1, sizeof(*c));
	ampcl_train_config_defaults(c);
	*out = c;
	return AMPCL_OK;
}

ampcl_status ampcl_train_config_copy(const ampcl_train_config_t *cfg, ampcl_train_config_t **out)
{
	struct ampcl_train_config *c = ampcl_xmalloc(sizeof(*c));
	*c = *cfg;
	*out = c;
	return AMPCL_OK;
}

void ampcl_train_config_free(ampcl_train_config_t *cfg)
{
	free(cfg);
}

ampcl_status ampcl_train_config_get(const ampcl_train_config_t *cfg, const char *key, char *buf,
				    size_t size)
{
	const char *base = (const char *)cfg;
	for (size_t i = 0; i < NFIELDS; i++) {
		if (strcmp(fields[i].key, key))
			continue;
		const void *p = base + fields[i].offset;
		switch (fields[i].kind) {
		case F_STR:
			snprintf(buf, size, "%s", (const char *)p);
			break;
		case F_INT:
			snprintf(buf, size, "%d", *(const int *)p);
			break;
		case F_DOUBLE:
			snprintf(buf, size, "%.17g", *(const double *)p);
			break;
		case F_U64:
			snprintf(buf, size, "%llu", *(const unsigned long long *)p);
			break;
		}
		return AMPCL_OK;
	}
	return ampcl_error_set(AMPCL_ERR_INVALID_ARG, "unknown setting '%s'", key);
}
