/* test_devices.c: device discovery and selection through the API and the `ampcl devices` verb:
 * index, name substring, the default rule, and bad specs (exit 2, message listing the devices). */
#include "device.h"
#include "testutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

int main(void)
{
	struct ampcl_device_desc *devs = NULL;
	int count = 0;
	tu_ok(ampcl_devices_list(&count, &devs), "list devices");
	tu_check(count >= 1, "devices listed", "%d device(s), first '%s' (%s)", count, devs[0].name,
		 devs[0].type);
	tu_check(devs[0].compute_units > 0 && devs[0].global_mem_bytes > 0 &&
		     devs[0].max_alloc_bytes > 0 && devs[0].max_work_group_size > 0 &&
		     strncmp(devs[0].opencl_c_version, "OpenCL C ", 9) == 0,
		 "capabilities read", "CUs %u, global %llu, max alloc %llu, wg %zu, '%s'",
		 devs[0].compute_units, devs[0].global_mem_bytes, devs[0].max_alloc_bytes,
		 devs[0].max_work_group_size, devs[0].opencl_c_version);

	int idx = -1;
	tu_ok(ampcl_device_resolve("0", &idx), "select by index");
	tu_check(idx == 0, "select by index", "'0' -> %d", idx);

	/* a lower-case piece of the name must find it too */
	char piece[8] = {0};
	for (int i = 0; i < 4 && devs[count - 1].name[i]; i++)
		piece[i] = (char)(devs[count - 1].name[i] | 0x20);
	idx = -1;
	int st = ampcl_device_resolve(piece, &idx);
	tu_check(st == AMPCL_OK && idx >= 0 && idx < count, "select by name substring",
		 "'%s' -> %d", piece, idx);

	/* default: first GPU, else first device */
	struct ampcl_device_caps *caps;
	int n;
	tu_ok(ampcl_device_discover(&caps, &n), "discover");
	int want = 0;
	for (int i = n - 1; i >= 0; i--)
		if (caps[i].type & CL_DEVICE_TYPE_GPU)
			want = i;
	tu_ok(ampcl_device_pick(caps, n, NULL, &idx), "default pick");
	tu_check(idx == want, "default is the first GPU, else the first device", "got %d, want %d",
		 idx, want);

	st = ampcl_device_pick(caps, n, "99", &idx);
	tu_check(st == AMPCL_ERR_DEVICE_NOT_FOUND && strstr(ampcl_last_error(), "out of range") &&
		     strstr(ampcl_last_error(), caps[0].desc.name),
		 "bad index rejected with the device list", "status %d: %s", st,
		 ampcl_last_error());
	st = ampcl_device_pick(caps, n, "no-such-device-xyz", &idx);
	tu_check(st == AMPCL_ERR_DEVICE_NOT_FOUND &&
		     strstr(ampcl_last_error(), "no-such-device-xyz") &&
		     strstr(ampcl_last_error(), caps[0].desc.name),
		 "unknown name rejected with the device list", "status %d", st);
	ampcl_device_caps_free(caps, n);

	char out[8192];
	int rc = tu_run_cli("devices", out, sizeof(out));
	tu_check(rc == 0 && strstr(out, devs[0].name) && strstr(out, "OpenCL C"), "ampcl devices",
		 "exit %d, output:\n%s", rc, out);
	rc = tu_run_cli("devices --json", out, sizeof(out));
	tu_check(rc == 0 && strstr(out, "\"devices\"") && strstr(out, "\"compute_units\"") &&
		     strstr(out, "\"max_alloc_bytes\"") && strstr(out, devs[0].name),
		 "ampcl devices --json", "exit %d", rc);
	/* a terminal narrower than the table gets names shortened to fit, marked '~' (down to 12
	 * characters); a pipe (above) gets them whole, however long */
	char screen[8192];
	char *const argv[] = {"devices", NULL};
	rc = tu_run_on_terminal(40, 1, "/dev/null", argv, screen, sizeof(screen));
	if (rc == -1) {
		printf("note: no pseudo-terminal here; the narrow-terminal case is not run\n");
	} else {
		size_t len = strlen(devs[0].name);
		char shortest[16];
		snprintf(shortest, sizeof(shortest), "%.11s~", devs[0].name);
		int marked = len <= 12 || strchr(screen, '~');
		int at_least = len <= 12 || strstr(screen, shortest) != NULL;
		int widest = 0;
		for (char *line = strtok(screen, "\r\n"); line; line = strtok(NULL, "\r\n")) {
			int w = (int)strlen(line);
			widest = w > widest ? w : widest;
		}
		tu_check(rc == 0 && marked && (widest <= 40 || at_least),
			 "ampcl devices on a narrow terminal",
			 "exit %d, widest line %d, shortened %d", rc, widest, marked);
	}
	rc = tu_run_cli("devices --device 99", out, sizeof(out));
	tu_check(rc == 2 && strstr(out, "out of range") && strstr(out, devs[0].name),
		 "ampcl devices --device 99 exits 2", "exit %d: %s", rc, out);
	rc = tu_run_cli("devices --device no-such-device-xyz", out, sizeof(out));
	tu_check(rc == 2 && strstr(out, "no device matches"), "unknown --device exits 2",
		 "exit %d: %s", rc, out);
	rc = tu_run_cli("devices --bogus", out, sizeof(out));
	tu_check(rc == 2, "unknown option exits 2", "exit %d: %s", rc, out);
	char header[32];
	snprintf(header, sizeof(header), "%d.%d.%d", AMPCL_VERSION_MAJOR, AMPCL_VERSION_MINOR,
		 AMPCL_VERSION_PATCH);
	tu_check(!strcmp(header, ampcl_version()), "the header's version is the library's",
		 "ampcl.h %s, ampcl_version() %s", header, ampcl_version());
	rc = tu_run_cli("--version", out, sizeof(out));
	tu_check(rc == 0 && strstr(out, ampcl_version()), "ampcl --version", "exit %d: %s", rc,
		 out);
	rc = tu_run_cli("--help", out, sizeof(out));
	tu_check(rc == 0 && strstr(out, "devices"), "ampcl --help", "exit %d", rc);
	rc = tu_run_cli("devices --help", out, sizeof(out));
	tu_check(rc == 0 && strstr(out, "usage: ampcl devices"), "ampcl devices --help", "exit %d",
		 rc);
	rc = tu_run_cli("frobnicate", out, sizeof(out));
	tu_check(rc == 2 && strstr(out, "unknown verb"), "unknown verb exits 2", "exit %d", rc);
	free(devs);
	return tu_finish();
}
