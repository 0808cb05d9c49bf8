/* tune_table.h: the tuning table as the context holds it (its entries, level and file), apart from
 * the calls that fill and read it (tune.h), which need the context. */
#ifndef AMPCL_TUNE_TABLE_H
#define AMPCL_TUNE_TABLE_H

/* AMPCL_TUNE: off (the built-in defaults, nothing read: tests pin these), quick (the default:
 * stored choices, and ampcl_net_tune measures new shapes among the variants that keep the
 * default's bits), full (every variant, some of which sum k in other runs). */
enum ampcl_tune_level { AMPCL_TUNE_OFF, AMPCL_TUNE_QUICK, AMPCL_TUNE_FULL };

#define AMPCL_TUNE_VALUES 4

struct ampcl_tune_entry {
	char key[112];                /* op and shape: "packed 64 1024 576 1 0 2 0" */
	int level;                    /* the level it was measured at */
	int value[AMPCL_TUNE_VALUES]; /* the op's parameters */
	int line;                     /* in the file it was read from (0: measured here) */
	int used;                     /* lookups that returned it in this process (verify lists
					 the entries in use) */
};

struct ampcl_tune {
	int level;
	int measuring; /* inside ampcl_net_tune: ops time their variants for unknown shapes */
	struct ampcl_tune_entry *entries;
	int n, dirty;
	int measured, changed; /* this measuring pass: shapes timed, and those not the default */
	char path[4200];
	char *warning; /* the first line skipped as no choice of its op ("" if none) */
};

#endif
