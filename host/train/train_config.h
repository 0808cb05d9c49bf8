/* train_config.h: struct ampcl_train_config as text ("key value" lines, for checkpoints) and as
 * JSON (for summary.json), and the defaults of `ampcl train`. */
#ifndef AMPCL_TRAIN_CONFIG_H
#define AMPCL_TRAIN_CONFIG_H

#include "ampcl.h"

#include <jansson.h>

#include <stdio.h>

/* Writes every field as "key value\n". */
void ampcl_train_config_write_text(const struct ampcl_train_config *cfg, FILE *f);
/* Applies one "key value" line; an unknown key or bad value is AMPCL_ERR_BAD_FILE (the caller
 * names the file). */
ampcl_status ampcl_train_config_set(struct ampcl_train_config *cfg, const char *key,
				    const char *value);
/* The configuration as a JSON object (jansson), one member per setting; the caller owns it. */
json_t *ampcl_train_config_json(const struct ampcl_train_config *cfg);

/* Every check that needs no data or device: ranges of the numbers, the model, the schedule, the
 * amplification settings and --schedule file (trainer.c). Fills epochs 0 from the schedule. */
ampcl_status ampcl_train_config_check(struct ampcl_train_config *cfg);

#endif
