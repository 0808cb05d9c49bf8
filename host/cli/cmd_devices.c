/* cmd_devices.c: `ampcl devices`: one row per OpenCL device, as a table or as JSON, and which
 * device a --device spec (or AMPCL_DEVICE, or the default rule) selects. */
#include "cli.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void help(void)
{
	printf(
	    "usage: ampcl devices [--json] [--device N|SUBSTRING]\n\n"
	    "Lists every OpenCL device: index, name, vendor, type, compute units, global memory,\n"
	    "max allocation, OpenCL C version. The selected device (--device, else AMPCL_DEVICE,\n"
	    "else the first GPU, else the first device) is marked with '*'.\n"
	    "  --json         one JSON object for scripts\n"
	    "  --device SPEC  show which device SPEC selects (exit 2 if none)\n");
}

/* A string member, or null for bytes that are not UTF-8 (JSON strings must be). */
static json_t *str(const char *s)
{
	json_t *v = json_string(s);
	return v ? v : json_null();
}

static double gib(unsigned long long bytes)
{
	return (double)bytes / (1024.0 * 1024.0 * 1024.0);
}

/* The table: names whole, so that what a user reads is what --device matches; only a terminal
 * too narrow for the widest row gets them shortened (marked with '~'), never a pipe or a file. */
static void print_table(const struct ampcl_device_desc *devs, int count, int selected)
{
	int name_w = 4, vendor_w = 6;
	for (int i = 0; i < count; i++) {
		int n = (int)strlen(devs[i].name), v = (int)strlen(devs[i].vendor);
		name_w = n > name_w ? n : name_w;
		vendor_w = v > vendor_w ? v : vendor_w;
	}
	/* the columns around the name: marker, index, vendor, type, CUs, sizes, version */
	int rest = 2 + 4 + vendor_w + 1 + 6 + 5 + 11 + 11 + 2 + 12;
	int cols = cli_terminal_columns(1);
	int shorten = cols > 0 && rest + name_w + 1 > cols;
	if (shorten) {
		int fit = cols - rest - 1;
		name_w = fit < 12 ? 12 : fit;
	}
	printf("  %-3s %-*s %-*s %-5s %4s %10s %10s  %s\n", "#", name_w, "name", vendor_w, "vendor",
	       "type", "CUs", "global", "max alloc", "OpenCL C");
	for (int i = 0; i < count; i++) {
		const struct ampcl_device_desc *d = &devs[i];
		char name[512]; /* the driver's name is at most 255 characters */
		snprintf(name, sizeof(name), "%s", d->name);
		if (shorten && (int)strlen(name) > name_w) {
			name[name_w - 1] = '~';
			name[name_w] = 0;
		}
		printf("%c %-3d %-*s %-*s %-5.5s %4u %6.1f GiB %6.1f GiB  %s\n",
		       i == selected ? '*' : ' ', d->index, name_w, name, vendor_w, d->vendor,
		       d->type, d->compute_units, gib(d->global_mem_bytes), gib(d->max_alloc_bytes),
		       d->opencl_c_version);
	}
}

struct devices_args {
	int json;
	const char *spec;
};

static int devices_option(void *user, const char *name, const char *v)
{
	struct devices_args *a = user;
	if (!strcmp(name, "json"))
		a->json = 1;
	else
		a->spec = v;
	return 0;
}

int cmd_devices(int argc, char **argv)
{
	static const struct cli_option opts[] = {{"json", 0}, {"device", 1}, {NULL, 0}};
	struct devices_args a = {0, NULL};
	int rc = cli_parse("devices", argc, argv, opts, devices_option, &a);
	if (rc == CLI_HELP) {
		help();
		return EXIT_OK;
	}
	if (rc)
		return rc;
	int json = a.json;
	const char *spec = a.spec;
	struct ampcl_device_desc *devs = NULL;
	int count = 0, selected = -1;
	ampcl_status st = ampcl_devices_list(&count, &devs);
	if (st)
		return cli_fail("devices", st);
	st = ampcl_device_resolve(spec, &selected);
	if (st) {
		free(devs);
		return cli_fail("devices", st);
	}
	if (json) {
		json_t *list = json_array();
		for (int i = 0; i < count; i++) {
			const struct ampcl_device_desc *d = &devs[i];
			json_t *e = json_object();
			json_object_set_new(e, "index", json_integer(d->index));
			json_object_set_new(e, "name", str(d->name));
			json_object_set_new(e, "vendor", str(d->vendor));
			json_object_set_new(e, "vendor_id", json_integer(d->vendor_id));
			json_object_set_new(e, "platform", str(d->platform));
			json_object_set_new(e, "type", str(d->type));
			json_object_set_new(e, "compute_units", json_integer(d->compute_units));
			json_object_set_new(e, "global_mem_bytes",
					    json_integer((json_int_t)d->global_mem_bytes));
			json_object_set_new(e, "max_alloc_bytes",
					    json_integer((json_int_t)d->max_alloc_bytes));
			json_object_set_new(e, "local_mem_bytes",
					    json_integer((json_int_t)d->local_mem_bytes));
			json_object_set_new(e, "max_work_group_size",
					    json_integer((json_int_t)d->max_work_group_size));
			json_object_set_new(e, "fp16", json_boolean(d->has_fp16));
			json_object_set_new(e, "fp64", json_boolean(d->has_fp64));
			json_object_set_new(e, "opencl_c_version", str(d->opencl_c_version));
			json_object_set_new(e, "driver_version", str(d->driver_version));
			json_array_append_new(list, e);
		}
		json_t *o = json_object();
		json_object_set_new(o, "selected", json_integer(selected));
		json_object_set_new(o, "devices", list);
		json_dumpf(o, stdout, JSON_INDENT(2));
		putchar('\n');
		json_decref(o);
	} else {
		print_table(devs, count, selected);
	}
	free(devs);
	return EXIT_OK;
}
