/* study_layers.c: the layers each amplified configuration chose, counted from its finished
 * runs' amp.log (one selection per run and epoch, an epoch logged twice counting its last line). */
#include "study_report_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Counts one more selection of the layer name, a new entry the first time. */
static void tally_name(struct study_layer_tally *t, const char *name)
{
	for (int i = 0; i < t->n; i++)
		if (!strcmp(t->layers[i].name, name)) {
			t->layers[i].count++;
			return;
		}
	if (t->n == t->cap) {
		t->cap = t->cap ? 2 * t->cap : 32;
		struct study_layer_count *grown = report_alloc((size_t)t->cap, sizeof(*grown));
		if (t->n)
			memcpy(grown, t->layers, (size_t)t->n * sizeof(*grown));
		free(t->layers);
		t->layers = grown;
	}
	size_t len = strlen(name) + 1;
	t->layers[t->n].name = memcpy(report_alloc(len, 1), name, len);
	t->layers[t->n].count = 1;
	t->layers[t->n].order = t->n;
	t->n++;
}

/* One selection: the names separated by spaces or commas, each counted once. */
static void tally_selection(struct study_layer_tally *t, char *names)
{
	char *seen[512];
	int nseen = 0;
	t->selections++;
	for (char *save = NULL, *tok = strtok_r(names, " ,\t\r\n", &save); tok;
	     tok = strtok_r(NULL, " ,\t\r\n", &save)) {
		int dup = 0;
		for (int i = 0; i < nseen && !dup; i++)
			dup = !strcmp(seen[i], tok);
		if (dup)
			continue;
		if (nseen < (int)(sizeof(seen) / sizeof(seen[0])))
			seen[nseen++] = tok;
		tally_name(t, tok);
	}
}

/* A line of amp.log, "epoch N amplification: [how: ]K of M eligible layers xF: name name ..."
 * (trainer.c's log_selection, amp.c's ampcl_amp_describe): its epoch and where the names
 * start; 0 for any other line. */
static int parse_amp_line(char *line, int *epoch, char **names)
{
	int used = 0;
	if (sscanf(line, "epoch %d amplification: %n", epoch, &used) != 1 || !used)
		return 0;
	char *p = strstr(line + used, "eligible layers x");
	if (!p || !(p = strchr(p, ':')))
		return 0;
	*names = p + 1;
	return 1;
}

/* Reads dir/amp.log: an epoch logged twice (a run resumed within it) counts once, its last
 * line. */
static void tally_run(struct study_layer_tally *t, const char *dir)
{
	char path[4400];
	snprintf(path, sizeof(path), "%.4096s/amp.log", dir);
	FILE *f = fopen(path, "r");
	if (!f) {
		t->missing++;
		return;
	}
	char **lines = NULL, *line = NULL;
	int *epochs = NULL, n = 0, cap = 0, redrawn = 0;
	size_t size = 0;
	while (getline(&line, &size, f) > 0) {
		int epoch;
		char *names;
		if (!parse_amp_line(line, &epoch, &names))
			continue;
		redrawn |= strstr(line, "redrawn every step") != NULL;
		if (n == cap) {
			cap = cap ? 2 * cap : 16;
			char **l2 = report_alloc((size_t)cap, sizeof(*l2));
			int *e2 = report_alloc((size_t)cap, sizeof(*e2));
			if (n) {
				memcpy(l2, lines, (size_t)n * sizeof(*l2));
				memcpy(e2, epochs, (size_t)n * sizeof(*e2));
			}
			free(lines), free(epochs);
			lines = l2, epochs = e2;
		}
		size_t len = strlen(names) + 1;
		lines[n] = memcpy(report_alloc(len, 1), names, len);
		epochs[n++] = epoch;
	}
	free(line);
	fclose(f);
	for (int i = 0; i < n; i++) {
		int later = 0;
		for (int j = i + 1; j < n && !later; j++)
			later = epochs[j] == epochs[i];
		if (!later)
			tally_selection(t, lines[i]);
		free(lines[i]);
	}
	free(lines), free(epochs);
	if (n)
		t->runs++, t->redrawn += redrawn;
	else
		t->malformed++;
}

/* Most often first; ties in the order first seen. */
static int by_count(const void *pa, const void *pb)
{
	const struct study_layer_count *a = pa, *b = pb;
	if (a->count != b->count)
		return b->count - a->count;
	return a->order - b->order;
}

void study_layers_tally(struct study_layer_tally *t, const char *out,
			const struct ampcl_study_result *runs, int n, const struct study_conf *k)
{
	for (int i = 0; i < n; i++) {
		if (runs[i].config != k->index || !study_run_finished(&runs[i]))
			continue;
		char dir[4400];
		snprintf(dir, sizeof(dir), "%.4096s/runs/%.200s", out, runs[i].name);
		tally_run(t, dir);
	}
	if (t->selections)
		qsort(t->layers, (size_t)t->n, sizeof(*t->layers), by_count);
}

void study_layers_free(struct study_layer_tally *t)
{
	for (int i = 0; i < t->n; i++)
		free(t->layers[i].name);
	free(t->layers);
}
