/* verify.h: what the parts of `ampcl verify` share: the run's state, the comparison that records
 * one check against the double reference with a tolerance per element, and the parts' entries. */
#ifndef AMPCL_VERIFY_H
#define AMPCL_VERIFY_H

#include "arena.h"
#include "context.h"

/* float32's unit roundoff: a correctly rounded operation is off by at most u times its result */
#define VF_U (1.0 / 16777216.0)
/* lambda of the probabilistic bound on a float32 sum of K terms (Higham and Mary, "A new approach
 * to probabilistic rounding error analysis", SIAM J. Sci. Comput. 2019): |error| <= lambda
 * sqrt(K) u sum|terms| fails with probability below 2 exp(-lambda^2 / 2) per element under their
 * model of independent roundings; 8 puts that under 1e-13, so across every element verify
 * compares a false failure is not to be expected, while the worst case K u of a sequential sum
 * would hide a missing term of a long sum. */
#define VF_LAMBDA 8.0

/* The report as allocated: the public struct first (what callers free), then the text it
 * points to that is not a copy of its own (the device's, the profile's). */
struct vf_report {
	struct ampcl_verify_report pub;
	struct ampcl_device_text device_text;
	char profile[32];
	char profile_reason[512];
};

/* The families, space-separated, that AMPCL_VERIFY_BREAK accepts. AMPCL_VERIFY_BREAK=FAMILY is for
 * ampcl's own tests only: it makes that family's results wrong on purpose, so a test can show
 * that each check fails. */
const char *vf_families(void);

struct vf_run {
	struct ampcl_context *ctx;
	struct ampcl_verify_report *rep;
	int cap; /* checks allocated */
	int fcap;
	const char *brk; /* AMPCL_VERIFY_BREAK: this family's results are made wrong (tests only) */
	unsigned long long rng;
	void (*progress)(void *user, const struct ampcl_verify_check *check);
	void *user;
	char path[200]; /* the kernels of the op being checked (vf_record_stop) */
};

/* Records every launch from now on, for the path of the next checks. */
void vf_record_start(struct vf_run *v);
/* Ends the recording: its kernels and launch counts become v->path. */
ampcl_status vf_record_stop(struct vf_run *v);

/* Compares got (from the device) with want (the double reference) element by element: a check
 * passes when every |got - want| <= tol[i] (NaN fails). The result goes into the report with
 * family, op, shape, v->path and bound (how tol was derived). When family is the one
 * AMPCL_VERIFY_BREAK names, got is first made wrong past its tolerance at one element. */
void vf_compare(struct vf_run *v, const char *family, const char *op, const char *shape,
		const float *got, const double *want, const double *tol, size_t n,
		const char *bound);
/* A check decided elsewhere (the probe, the replay): error, tolerance and what it measured. */
void vf_result(struct vf_run *v, const char *family, const char *op, const char *shape, double err,
	       double tol, double rel, const char *bound);
/* Adds a fact to the report (printf-style value). */
void vf_fact(struct vf_run *v, const char *name, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Whether AMPCL_VERIFY_BREAK names family. */
int vf_broken(const struct vf_run *v, const char *family);

/* Host helpers: uniform floats in [lo, hi) and their double copies; malloc or abort. */
float *vf_uniform(struct vf_run *v, size_t n, float lo, float hi);
double *vf_to_double(const float *f, size_t n);
double *vf_abs(const double *x, size_t n);
/* tol[i] = VF_LAMBDA sqrt(k) u m[i] + 2 u |want[i]|: a float32 sum of k terms whose absolute
 * values add up to m[i], then one or two correctly rounded operations on the result. */
double *vf_tol_sum(const double *m, const double *want, size_t n, double k);

/* The parts: each adds its checks and facts; a status only when it could not run at all. */
ampcl_status vf_probe(struct vf_run *v);
/* After the checks: the tuning table's entries they were served (facts). */
void vf_tune_facts(struct vf_run *v);
/* odd shapes; quick: fewer of some families' */
ampcl_status vf_ops_odd(struct vf_run *v, int quick);
ampcl_status vf_ops_model(struct vf_run *v, const char *model, int width, int batch);
/* Each layer of a built net (finalized or not) checked at its shape for a batch, a shape once;
 * a layer no check covers is named in the facts. *classes (the last linear layer's outputs) and
 * *largest (the most elements of one layer's output) when not NULL. */
struct ampcl_net;
ampcl_status vf_ops_net(struct vf_run *v, const struct ampcl_net *net, int batch, int *classes,
			size_t *largest);
ampcl_status vf_replay(struct vf_run *v);
/* The mark beside the program cache: stored after a run that passed, looked up by train. */
void vf_mark_store(struct ampcl_context *ctx, const struct ampcl_verify_report *rep);

#endif
