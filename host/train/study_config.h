/* study_config.h: the study configuration behind ampcl_study_config_t (opaque in ampcl.h): the
 * base training configuration and the lists of values the study sweeps. */
#ifndef AMPCL_STUDY_CONFIG_H
#define AMPCL_STUDY_CONFIG_H

#include "train_config.h"

#define AMPCL_STUDY_MAX_DEVICES 64

struct ampcl_study_config {
	struct ampcl_train_config base; /* a copy; its out is the study folder */
	double factors[AMPCL_STUDY_MAX_VALUES];
	int nfactors;
	double ratios[AMPCL_STUDY_MAX_VALUES];
	int nratios;
	char types[AMPCL_STUDY_MAX_VALUES][64];
	int ntypes;
	char amp_epochs[AMPCL_STUDY_MAX_VALUES][256]; /* "" or "none": amplification off */
	int namp_epochs;
	char selects[AMPCL_STUDY_MAX_VALUES][8]; /* random | auto */
	int nselects;
	double lrs[AMPCL_STUDY_MAX_VALUES];
	int nlrs;
	unsigned long long seeds[AMPCL_STUDY_MAX_VALUES];
	int nseeds;
	double target_acc; /* for "epochs to reach" (e.g. 0.8); 0: not reported */
	int jobs;          /* runs at once in this process; 0: one per listed device, else 1 */
	char devices[AMPCL_STUDY_MAX_DEVICES][64]; /* device specs, jobs round robin over them */
	int ndevices;
};

/* The lists left out take the base configuration's value (one run per combination). */
void ampcl_study_config_fill(struct ampcl_study_config *sc);

#endif
