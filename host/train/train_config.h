/* train_config.h: struct ampcl_train_config as text ("key value" lines, for checkpoints) and as
 * JSON (for summary.json), and the defaults of `ampcl train`. */
#ifndef AMPCL_TRAIN_CONFIG_H
#define AMPCL_TRAIN_CONFIG_H

#include "ampcl.h"

#include <jansson.h>

#include <stdio.h>

/* The configuration behind ampcl_train_config_t (opaque in ampcl.h): the library's code and the
 * tests read its fields; programs go through ampcl_train_config_set/get. */
struct ampcl_train_config {
	char model[4096]; /* resnet18 | resnet34 | vgg19 | a file ending in .onnx */
	int width;        /* base channels, 64 */
	char data[4096];  /* data set folder */
	char dataset[16]; /* cifar10 | mnist | fashion-mnist | folder; "" detects */
	int epochs, batch;
	double lr, momentum, weight_decay;
	int nesterov;
	int overwrite;         /* a new run may replace the run already in `out` */
	char lr_schedule[256]; /* constant | step:E:G | multistep:E1,E2:G | cosine */
	int warmup_epochs;
	unsigned long long seed;
	int eval_every;  /* evaluate on the test split every K epochs (and after the last) */
	int subset;      /* train on the first N training images; 0 = all */
	int augment;     /* random crop + flip */
	char image_size[16]; /* "" (the model's: an ONNX input's, else 32x32), "64" or "96x64" */
	char out[4096];  /* output folder; "" writes nothing */
	char init[4096]; /* start from these safetensors weights; "" = random init */
	/* gradient amplification (docs/design.md) */
	char amp_types[64]; /* comma list of relu, bn, conv, linear */
	double amp_ratio, amp_factor;
	char amp_epochs[256];     /* "" = never, e.g. "0-49,60-69" */
	char amp_redraw[8];       /* epoch | iter | once */
	char amp_target[8];       /* input | params | both */
	char amp_select[8];       /* random | auto */
	char schedule_file[4096]; /* phases "epochs lr amp" per line; "" = none */
	int sync_bn;              /* under mpirun: BN statistics over every rank's share */
	int data_parallel;        /* under mpirun: one run over the ranks (a study's runs: 0) */
};
/* `ampcl train`'s defaults. */
void ampcl_train_config_defaults(struct ampcl_train_config *cfg);

/* Writes every field as "key value\n". */
void ampcl_train_config_write_text(const struct ampcl_train_config *cfg, FILE *f);
/* The configuration as a JSON object (jansson), one member per setting; the caller owns it. */
json_t *ampcl_train_config_json(const struct ampcl_train_config *cfg);

/* Every check that needs no data or device: ranges of the numbers, the model, the schedule, the
 * amplification settings and --schedule file (trainer.c). Fills epochs 0 from the schedule. */
ampcl_status ampcl_train_config_check(struct ampcl_train_config *cfg);
/* AMPCL_ERR_INVALID_ARG naming the setting when a text setting (a path, a list) holds a newline
 * or another control character, which the "key value" lines could not keep. */
ampcl_status ampcl_train_config_check_text(const struct ampcl_train_config *cfg);

#endif
