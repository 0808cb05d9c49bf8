/* study_report.c: report_study, a study's report: its statistics, then results.md, then the
 * plots once every run is done. */
#include "study_report_internal.h"

#include <stdio.h>
#include <stdlib.h>

ampcl_status report_study(const ampcl_study_config_t *sc, const struct ampcl_study_result *runs,
			  int done, int total)
{
	int m;
	struct study_conf *confs = study_collect(runs, done, &m);
	ampcl_status s = study_write_markdown(sc, runs, done, total, confs, m);
	/* the plots once every run is in: a long study's tables can be read while it goes on */
	if (!s && done == total) {
		char dir[4200];
		snprintf(dir, sizeof(dir), "%s",
			 report_setting(ampcl_study_config_base(sc), "out"));
		s = study_write_plots(dir, runs, done, confs, m);
	}
	free(confs);
	return s;
}
