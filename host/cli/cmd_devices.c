/* cmd_devices.c: `ampcl devices`: one row per OpenCL device, as a table or as JSON, and which
 * device a --device spec (or AMPCL_DEVICE, or the default rule) selects. */
#include "cli.h"

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

static void json_string(const char *s)
{
	putchar('"');
	for (; *s; s++) {
		if (*s == '"' || *s == '\\')
			printf("\\%c", *s);
		else if ((unsigned char)*s < 0x20)
			printf("\\u%04x", *s);
		else
			putchar(*s);
	}
	putchar('"');
}

static double gib(unsigned long long bytes)
{
	return (double)bytes / (1024.0 * 1024.0 * 1024.0);
}

int cmd_devices(int argc, char **argv)
{
	int json = 0;
	const char *spec = NULL;
	for (int i = 1; i < argc; i++) {
		if (cli_is_help(argv[i])) {
			help();
			return EXIT_OK;
		} else if (!strcmp(argv[i], "--json")) {
			json = 1;
		} else if (!strcmp(argv[i], "--device") && i + 1 < argc) {
			spec = argv[++i];
		} else {
			return cli_usage_error("devices", "unknown option '%s'", argv[i]);
		}
	}
	struct ampcl_device_desc *devs = NULL;
	int count = 0, selected = -1;
	int st = ampcl_devices_list(&devs, &count);
	if (st)
		return cli_fail("devices", st);
	st = ampcl_device_resolve(spec, &selected);
	if (st) {
		free(devs);
		return cli_fail("devices", st);
	}
	if (json) {
		printf("{\"selected\": %d, \"devices\": [", selected);
		for (int i = 0; i < count; i++) {
			const struct ampcl_device_desc *d = &devs[i];
			printf("%s\n  {\"index\": %d, \"name\": ", i ? "," : "", d->index);
			json_string(d->name);
			printf(", \"vendor\": ");
			json_string(d->vendor);
			printf(", \"vendor_id\": %u, \"platform\": ", d->vendor_id);
			json_string(d->platform);
			printf(", \"type\": \"%s\", \"compute_units\": %u, \"global_mem_bytes\": "
			       "%llu, "
			       "\"max_alloc_bytes\": %llu, \"local_mem_bytes\": %llu, "
			       "\"max_work_group_size\": %zu, \"fp16\": %s, \"fp64\": %s, "
			       "\"opencl_c_version\": ",
			       d->type, d->compute_units, d->global_mem_bytes, d->max_alloc_bytes,
			       d->local_mem_bytes, d->max_work_group_size,
			       d->has_fp16 ? "true" : "false", d->has_fp64 ? "true" : "false");
			json_string(d->opencl_c_version);
			printf(", \"driver_version\": ");
			json_string(d->driver_version);
			printf("}");
		}
		printf("\n]}\n");
	} else {
		printf("  %-3s %-36s %-16s %-5s %4s %10s %10s  %s\n", "#", "name", "vendor", "type",
		       "CUs", "global", "max alloc", "OpenCL C");
		for (int i = 0; i < count; i++) {
			const struct ampcl_device_desc *d = &devs[i];
			printf("%c %-3d %-36.36s %-16.16s %-5.5s %4u %6.1f GiB %6.1f GiB  %s\n",
			       i == selected ? '*' : ' ', d->index, d->name, d->vendor, d->type,
			       d->compute_units, gib(d->global_mem_bytes), gib(d->max_alloc_bytes),
			       d->opencl_c_version);
		}
	}
	free(devs);
	return EXIT_OK;
}
