/* verify.c: `ampcl verify`'s driver and bookkeeping: runs the probe, the op checks and the replay
 * into one report, the element-wise comparison every op check goes through, and the JSON. */
#include "verify.h"
#include "alloc.h"
#include "rng.h"
#include "error.h"
#include "files.h"
#include "kprof.h"
#include "clock.h"
#include "gemm.h"

#include <jansson.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char families[] =
    "probe gemm conv_forward conv_backward conv_general bn_forward bn_eval bn_backward maxpool "
    "avgpool pool_general relu clip add concat slice dropout linear loss amplify sgd replay";

const char *vf_families(void)
{
	return families;
}

/* Whether name is one word of the list. */
static int is_family(const char *name)
{
	size_t n = strlen(name);
	for (const char *p = families; (p = strstr(p, name)); p += n)
		if ((p == families || p[-1] == ' ') && (p[n] == ' ' || !p[n]))
			return 1;
	return 0;
}

int vf_broken(const struct vf_run *v, const char *family)
{
	return v->brk && *v->brk && !strcmp(v->brk, family);
}

void vf_record_start(struct vf_run *v)
{
	ampcl_kprof_start(v->ctx);
}

static int by_name(const void *a, const void *b)
{
	return strcmp(((const struct ampcl_kprof_row *)a)->name,
		      ((const struct ampcl_kprof_row *)b)->name);
}

ampcl_status vf_record_stop(struct vf_run *v)
{
	struct ampcl_kprof_row *rows = NULL;
	int n = 0;
	double total;
	ampcl_status st = ampcl_kprof_stop(v->ctx, &rows, &n, &total);
	v->path[0] = 0;
	qsort(rows, (size_t)n, sizeof(*rows), by_name);
	for (int i = 0; !st && i < n; i++) {
		size_t used = strlen(v->path);
		snprintf(v->path + used, sizeof(v->path) - used, "%s%s x%d", i ? ", " : "",
			 rows[i].name, rows[i].calls);
	}
	free(rows);
	return st;
}

static struct ampcl_verify_check *next_check(struct vf_run *v)
{
	struct ampcl_verify_report *r = v->rep;
	if (r->nchecks == v->cap) {
		v->cap = v->cap ? 2 * v->cap : 64;
		r->checks = ampcl_xrealloc(r->checks, (size_t)v->cap * sizeof(*r->checks));
	}
	struct ampcl_verify_check *c = &r->checks[r->nchecks++];
	memset(c, 0, sizeof(*c));
	return c;
}

static void finish_check(struct vf_run *v, struct ampcl_verify_check *c)
{
	c->passed = c->ratio <= 1.0; /* NaN compares false */
	if (!c->passed)
		v->rep->failed++;
	if (v->progress)
		v->progress(v->user, c);
}

/* The check's text, owned by the report (freed in ampcl_verify_report_free). */
static void name_check(struct ampcl_verify_check *c, const char *family, const char *op,
		       const char *shape, const char *path, const char *bound)
{
	c->family = ampcl_xstrdup(family), c->op = ampcl_xstrdup(op);
	c->shape = ampcl_xstrdup(shape), c->path = ampcl_xstrdup(path);
	c->bound = ampcl_xstrdup(bound);
}

void vf_compare(struct vf_run *v, const char *family, const char *op, const char *shape,
		const float *got, const double *want, const double *tol, size_t n,
		const char *bound)
{
	struct ampcl_verify_check *c = next_check(v);
	name_check(c, family, op, shape, v->path, bound);
	c->count = n;
	float broken = 0;
	size_t bi = n / 2;
	if (n && vf_broken(v, family)) {
		/* test-only: one element three tolerances off (at least one ulp), as a kernel that
		 * lost a term or read a neighbour would be */
		broken = (float)(got[bi] + 3.0 * tol[bi] + 1e-30);
		if (broken == got[bi])
			broken = nextafterf(got[bi], INFINITY);
	}
	double wmax = 0;
	for (size_t i = 0; i < n; i++)
		wmax = fmax(wmax, fabs(want[i]));
	double floor = fmax(1e-6 * wmax, 1e-30);
	c->ratio = 0;
	c->tol = n ? tol[0] : 0;
	for (size_t i = 0; i < n; i++) {
		double g = (n && vf_broken(v, family) && i == bi) ? broken : got[i];
		double err = fabs(g - want[i]);
		if (isnan(err) || isnan(g)) {
			c->max_abs = c->max_rel = c->ratio = NAN;
			c->tol = tol[i];
			break;
		}
		double ratio = err == 0 ? 0 : tol[i] > 0 ? err / tol[i] : INFINITY;
		if (ratio > c->ratio || (i == 0)) {
			if (ratio > c->ratio)
				c->ratio = ratio;
			c->tol = tol[i];
		}
		c->max_abs = fmax(c->max_abs, err);
		c->max_rel = fmax(c->max_rel, err / fmax(fabs(want[i]), floor));
	}
	finish_check(v, c);
}

void vf_result(struct vf_run *v, const char *family, const char *op, const char *shape, double err,
	       double tol, double rel, const char *bound)
{
	struct ampcl_verify_check *c = next_check(v);
	name_check(c, family, op, shape, v->path, bound);
	c->count = 1;
	c->max_abs = err;
	c->max_rel = rel;
	c->tol = tol;
	c->ratio = err == 0 ? 0 : tol > 0 ? err / tol : isnan(err) ? NAN : INFINITY;
	finish_check(v, c);
}

void vf_fact(struct vf_run *v, const char *name, const char *fmt, ...)
{
	struct ampcl_verify_report *r = v->rep;
	if (r->nfacts == v->fcap) {
		v->fcap = v->fcap ? 2 * v->fcap : 32;
		r->facts = ampcl_xrealloc(r->facts, (size_t)v->fcap * sizeof(*r->facts));
	}
	struct ampcl_verify_fact *f = &r->facts[r->nfacts++];
	char value[256];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(value, sizeof(value), fmt, ap);
	va_end(ap);
	f->name = ampcl_xstrdup(name);
	f->value = ampcl_xstrdup(value);
}

/* the stream of host/ref's fill, 24 bits a value */
float *vf_uniform(struct vf_run *v, size_t n, float lo, float hi)
{
	float *x = ampcl_xmalloc((n ? n : 1) * sizeof(float));
	uint64_t s = v->rng;
	for (size_t i = 0; i < n; i++)
		x[i] = lo + (hi - lo) * (float)ampcl_uniform24(&s);
	v->rng = s;
	return x;
}

double *vf_to_double(const float *f, size_t n)
{
	double *d = ampcl_xmalloc((n ? n : 1) * sizeof(double));
	for (size_t i = 0; i < n; i++)
		d[i] = f[i];
	return d;
}

double *vf_abs(const double *x, size_t n)
{
	double *d = ampcl_xmalloc((n ? n : 1) * sizeof(double));
	for (size_t i = 0; i < n; i++)
		d[i] = fabs(x[i]);
	return d;
}

double *vf_tol_sum(const double *m, const double *want, size_t n, double k)
{
	double *t = ampcl_xmalloc((n ? n : 1) * sizeof(double));
	double c = VF_LAMBDA * sqrt(k > 1 ? k : 1) * VF_U;
	for (size_t i = 0; i < n; i++)
		t[i] = c * m[i] + 2 * VF_U * fabs(want[i]);
	return t;
}

ampcl_status ampcl_verify_run(ampcl_context_t *ctx, const struct ampcl_verify_config *cfg,
			      void (*progress)(void *user, const struct ampcl_verify_check *check),
			      void *user, struct ampcl_verify_report **out)
{
	*out = NULL;
	struct ampcl_verify_config def = {0};
	if (!cfg)
		cfg = &def;
	int width = cfg->width ? cfg->width : 8, batch = cfg->batch ? cfg->batch : 8;
	if (width < 1 || batch < 1)
		return ampcl_error_set(AMPCL_ERR_INVALID_ARG,
				       "verify: width %d and batch %d must be at least 1", width,
				       batch);
	struct vf_report *owner = ampcl_xcalloc(1, sizeof(*owner));
	struct ampcl_verify_report *rep = &owner->pub;
	struct vf_run v = {.ctx = ctx,
			   .rep = rep,
			   .brk = ctx->env.verify_break,
			   .rng = 20240611,
			   .progress = progress,
			   .user = user};
	if (v.brk[0] && !is_family(v.brk)) {
		free(owner);
		return ampcl_error_set(
		    AMPCL_ERR_INVALID_ARG,
		    "AMPCL_VERIFY_BREAK='%s' (a test-only setting) is not one of: %s", v.brk,
		    families);
	}
	double t0 = ampcl_now();
	ampcl_device_desc_copy(&ctx->caps.desc, &rep->device, &owner->device_text);
	rep->version = ampcl_version();
	snprintf(owner->profile, sizeof(owner->profile), "%s", ctx->profile.row);
	rep->profile = owner->profile;
	ampcl_profile_reason(&ctx->caps, ctx->env.profile, &ctx->profile, owner->profile_reason,
			     sizeof(owner->profile_reason));
	rep->profile_reason = owner->profile_reason;
	rep->gemm = ampcl_gemm_backend_name(ctx);
	rep->quick = cfg->quick;
	ampcl_status st = vf_probe(&v);
	if (!st)
		st = vf_ops_odd(&v, cfg->quick);
	if (!st && !cfg->quick)
		st = vf_ops_model(&v, cfg->model ? cfg->model : "resnet18", width, batch);
	if (!st && (st = vf_replay(&v))) {
		/* the replay could not run (its net did not build or a step failed): a failed check
		 */
		ampcl_kprof_discard(ctx);
		snprintf(v.path, sizeof(v.path), "%s: %s", ampcl_status_name(st),
			 ampcl_last_error());
		vf_result(&v, "replay", "replay", "did not run", NAN, 0, NAN,
			  "the training step returned an error");
		st = AMPCL_OK;
	}
	if (!st)
		vf_tune_facts(&v);
	if (st) {
		ampcl_kprof_discard(ctx);
		ampcl_verify_report_free(rep);
		return st;
	}
	rep->seconds = ampcl_now() - t0;
	if (!rep->failed && !v.brk[0])
		vf_mark_store(ctx, rep);
	*out = rep;
	return AMPCL_OK;
}

void ampcl_verify_report_free(struct ampcl_verify_report *rep)
{
	if (!rep)
		return;
	for (int i = 0; i < rep->nfacts; i++) {
		free((char *)rep->facts[i].name);
		free((char *)rep->facts[i].value);
	}
	for (int i = 0; i < rep->nchecks; i++) {
		const struct ampcl_verify_check *c = &rep->checks[i];
		free((char *)c->family), free((char *)c->op), free((char *)c->shape);
		free((char *)c->path), free((char *)c->bound);
	}
	free(rep->facts);
	free(rep->checks);
	free(rep); /* the start of its struct vf_report */
}

/* JSON has no NaN or infinity: those become null */
static json_t *num(double x)
{
	return isfinite(x) ? json_real(x) : json_null();
}

ampcl_status ampcl_verify_write_json(const struct ampcl_verify_report *rep, const char *path)
{
	const struct ampcl_device_desc *d = &rep->device;
	json_t *root = json_object(), *dev = json_object(), *facts = json_object();
	json_t *checks = json_array();
	json_object_set_new(dev, "name", json_string(d->name));
	json_object_set_new(dev, "vendor", json_string(d->vendor));
	json_object_set_new(dev, "type", json_string(d->type));
	json_object_set_new(dev, "platform", json_string(d->platform));
	json_object_set_new(dev, "platform_version", json_string(d->platform_version));
	json_object_set_new(dev, "driver_version", json_string(d->driver_version));
	json_object_set_new(dev, "opencl_c_version", json_string(d->opencl_c_version));
	json_object_set_new(dev, "compute_units", json_integer(d->compute_units));
	json_object_set_new(dev, "global_mem_bytes", json_integer((json_int_t)d->global_mem_bytes));
	json_object_set_new(dev, "max_alloc_bytes", json_integer((json_int_t)d->max_alloc_bytes));
	json_object_set_new(dev, "local_mem_bytes", json_integer((json_int_t)d->local_mem_bytes));
	json_object_set_new(dev, "max_work_group_size",
			    json_integer((json_int_t)d->max_work_group_size));
	json_object_set_new(root, "ampcl_version", json_string(rep->version));
	json_object_set_new(root, "device", dev);
	json_object_set_new(root, "profile", json_string(rep->profile));
	json_object_set_new(root, "profile_reason", json_string(rep->profile_reason));
	json_object_set_new(root, "gemm_backend", json_string(rep->gemm));
	json_object_set_new(root, "quick", json_boolean(rep->quick));
	for (int i = 0; i < rep->nfacts; i++)
		json_object_set_new(facts, rep->facts[i].name, json_string(rep->facts[i].value));
	json_object_set_new(root, "probe", facts);
	for (int i = 0; i < rep->nchecks; i++) {
		const struct ampcl_verify_check *c = &rep->checks[i];
		json_t *o = json_object();
		json_object_set_new(o, "family", json_string(c->family));
		json_object_set_new(o, "op", json_string(c->op));
		json_object_set_new(o, "shape", json_string(c->shape));
		json_object_set_new(o, "path", json_string(c->path));
		json_object_set_new(o, "elements", json_integer((json_int_t)c->count));
		json_object_set_new(o, "max_abs_error", num(c->max_abs));
		json_object_set_new(o, "max_rel_error", num(c->max_rel));
		json_object_set_new(o, "tolerance", num(c->tol));
		json_object_set_new(o, "error_over_tolerance", num(c->ratio));
		json_object_set_new(o, "tolerance_from", json_string(c->bound));
		json_object_set_new(o, "passed", json_boolean(c->passed));
		json_array_append_new(checks, o);
	}
	json_object_set_new(root, "checks", checks);
	json_object_set_new(root, "failed", json_integer(rep->failed));
	json_object_set_new(root, "passed", json_boolean(rep->failed == 0));
	json_object_set_new(root, "seconds", json_real(rep->seconds));
	ampcl_atomic_file_t *f;
	FILE *stream;
	ampcl_status st = ampcl_atomic_file_open(path, &f, &stream);
	if (!st) {
		if (json_dumpf(root, stream, JSON_INDENT(1) | JSON_PRESERVE_ORDER) ||
		    fputc('\n', stream) == EOF) {
			ampcl_atomic_file_abort(f);
			st = ampcl_error_set(AMPCL_ERR_IO, "verify: could not write %s", path);
		} else {
			st = ampcl_atomic_file_commit(f);
		}
	}
	json_decref(root);
	return st;
}

/* The mark's file: the key of the tuning table (device, driver, platform, profile row, ampcl
 * version), so a new driver or ampcl asks for verify again. */
static int mark_path(const struct ampcl_context *ctx, char *path, size_t size)
{
	if (!ctx->env.cache_enabled || !ctx->env.cache_dir[0])
		return -1;
	char key[33];
	ampcl_context_cache_key(ctx, key);
	snprintf(path, size, "%.4000s/verified-%s.txt", ctx->env.cache_dir, key);
	return 0;
}

void vf_mark_store(struct ampcl_context *ctx, const struct ampcl_verify_report *rep)
{
	char path[4200];
	if (mark_path(ctx, path, sizeof(path)) || ampcl_make_dirs(ctx->env.cache_dir))
		return; /* no cache: no mark, as for program binaries */
	ampcl_atomic_file_t *f;
	FILE *stream;
	if (ampcl_atomic_file_open(path, &f, &stream))
		return;
	fprintf(stream, "ampcl %s verify%s passed %d checks on %s (%s)\n", rep->version,
		rep->quick ? " --quick" : "", rep->nchecks, rep->device.name,
		rep->device.driver_version);
	ampcl_atomic_file_commit(f);
}

int ampcl_verify_passed(ampcl_context_t *ctx)
{
	char path[4200];
	if (mark_path(ctx, path, sizeof(path)))
		return -1;
	FILE *f = fopen(path, "r");
	if (!f)
		return 0;
	fclose(f);
	return 1;
}
