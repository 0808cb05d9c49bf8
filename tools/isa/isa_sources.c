/* isa_sources.c: writes every OpenCL program ampcl may build, as program.c assembles it, for
 * tools/isa/isa-check.py to hand to AMD's, Intel's and NVIDIA's offline compilers; no device. */
#include "alloc.h"
#include "context.h"
#include "error.h"
#include "files.h"
#include "kernel_source.h"
#include "profile.h"
#include "program.h"
#include "variants.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* One distinct (file, options) program, with every name the ops give it, the profile rows
 * that try it first, those that may build it, and those that try it first by an op's own choice
 * (not only as the file's defaults, which every row builds to warm up): a GEMM tiling's rows. */
struct program {
	char file[64], options[160], names[512], rows[128], reach[128], chosen[128];
};

struct list {
	struct program *p;
	int n;
	const char *row; /* the profile row being listed */
};

static void append(char *dst, size_t size, const char *sep, const char *word)
{
	size_t len = strlen(dst);
	snprintf(dst + len, size - len, "%s%s", len ? sep : "", word);
}

static void add(void *arg, const struct ampcl_kernel_variant *v)
{
	struct list *l = arg;
	struct program *p = NULL;
	for (int i = 0; i < l->n && !p; i++)
		if (!strcmp(l->p[i].file, v->file) && !strcmp(l->p[i].options, v->options))
			p = &l->p[i];
	if (!p) {
		l->p = ampcl_xrealloc(l->p, (size_t)(l->n + 1) * sizeof(*l->p));
		p = &l->p[l->n++];
		memset(p, 0, sizeof(*p));
		snprintf(p->file, sizeof(p->file), "%s", v->file);
		snprintf(p->options, sizeof(p->options), "%s", v->options);
	}
	/* a name once, however many rows list it */
	char padded[600], word[80];
	snprintf(padded, sizeof(padded), ";%s;", p->names);
	snprintf(word, sizeof(word), ";%s;", v->name);
	if (!strstr(padded, word))
		append(p->names, sizeof(p->names), ";", v->name);
	snprintf(word, sizeof(word), ",%s,", l->row);
	snprintf(padded, sizeof(padded), ",%s,", p->rows);
	if (v->preferred && !strstr(padded, word))
		append(p->rows, sizeof(p->rows), ",", l->row);
	snprintf(padded, sizeof(padded), ",%s,", p->chosen);
	if (v->preferred && strcmp(v->name, "defaults") && !strstr(padded, word))
		append(p->chosen, sizeof(p->chosen), ",", l->row);
	snprintf(padded, sizeof(padded), ",%s,", p->reach);
	if (v->reachable && !strstr(padded, word))
		append(p->reach, sizeof(p->reach), ",", l->row);
}

int main(int argc, char **argv)
{
	if (argc != 2) {
		fprintf(
		    stderr,
		    "usage: %s OUTDIR\n"
		    "writes OUTDIR/FILE.cl (each kernel file as a program's source) and "
		    "OUTDIR/variants.tsv (file, build options, the profile rows that try it "
		    "first,\n"
		    "those that may build it, names, and the rows that choose it by an op's own "
		    "choice)\n",
		    argv[0]);
		return 2;
	}
	const char *out = argv[1];
	if (ampcl_make_dirs(out)) {
		fprintf(stderr, "isa_sources: cannot create %s\n", out);
		return 1;
	}
	/* a zeroed context: the embedded kernels (no AMPCL_KERNEL_DIR), the automatic GEMM back
	 * end, and each profile row in turn */
	static struct ampcl_context ctx;
	struct ampcl_device_caps caps = {0};
	struct list l = {0};
	for (int r = 0; ampcl_profile_row_name(r); r++) {
		l.row = ampcl_profile_row_name(r);
		if (ampcl_profile_fill(&caps, l.row, &ctx.profile)) {
			fprintf(stderr, "isa_sources: %s\n", ampcl_last_error());
			return 1;
		}
		ampcl_kernel_variants(&ctx, add, &l);
	}

	for (int i = 0; i < ampcl_kernel_source_count(); i++) {
		const char *file = ampcl_kernel_source_name(i);
		char *source = NULL, path[4200];
		if (ampcl_kernel_source_load(&ctx.env, file, &source)) {
			fprintf(stderr, "isa_sources: %s\n", ampcl_last_error());
			return 1;
		}
		snprintf(path, sizeof(path), "%s/%s.cl", out, file);
		FILE *f = fopen(path, "w");
		if (!f || fputs(source, f) < 0 || fclose(f)) {
			fprintf(stderr, "isa_sources: cannot write %s\n", path);
			return 1;
		}
		free(source);
	}

	char path[4200];
	snprintf(path, sizeof(path), "%s/variants.tsv", out);
	FILE *f = fopen(path, "w");
	if (!f) {
		fprintf(stderr, "isa_sources: cannot write %s\n", path);
		return 1;
	}
	fprintf(f, "file\toptions\trows\treach\tnames\tchosen\n");
	for (int i = 0; i < l.n; i++) {
		char *full = ampcl_program_options(l.p[i].options);
		fprintf(f, "%s\t%s\t%s\t%s\t%s\t%s\n", l.p[i].file, full, l.p[i].rows, l.p[i].reach,
			l.p[i].names, l.p[i].chosen);
		free(full);
	}
	if (fclose(f)) {
		fprintf(stderr, "isa_sources: cannot write %s\n", path);
		return 1;
	}
	printf("isa_sources: %d programs from %d kernel files in %s\n", l.n,
	       ampcl_kernel_source_count(), out);
	free(l.p);
	return 0;
}
