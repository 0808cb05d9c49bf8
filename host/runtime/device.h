/* device.h: OpenCL platform and device discovery, the capability struct read once per device,
 * and device selection by index or name substring. */
#ifndef AMPCL_DEVICE_H
#define AMPCL_DEVICE_H

#include "ampcl.h"
#include <CL/cl.h>
#include <CL/cl_ext.h>

#define AMPCL_VENDOR_NVIDIA 0x10de
#define AMPCL_VENDOR_AMD 0x1002
#define AMPCL_VENDOR_INTEL 0x8086

/* struct ampcl_device_caps' limited: AMPCL_LIMITS lowered the memory sizes or compute units;
 * the work-group or local memory sizes (launches then check what a real device would refuse,
 * and code that asks the driver itself, CLBlast, is not used by default) */
#define AMPCL_LIMITED_SIZES 1
#define AMPCL_LIMITED_LAUNCH 2

/* The driver's text behind a struct ampcl_device_desc's pointers. */
struct ampcl_device_text {
	char name[256];
	char vendor[128];
	char platform[256];
	char platform_version[128];
	char driver_version[128];
	char opencl_c_version[64];
	char type[16];
};

/* Everything the runtime decides on, read once at discovery (STYLE.md §8). */
struct ampcl_device_caps {
	struct ampcl_device_desc desc; /* its text points into `text` (ampcl_device_caps_bind) */
	struct ampcl_device_text text;
	cl_platform_id platform;
	cl_device_id device;
	cl_device_type type;
	int opencl_c_major, opencl_c_minor;
	size_t max_work_item_sizes[3]; /* per dimension of a work-group */
	cl_uint
	    native_vector_width_float; /* floats one SIMD register holds (CPU kernels' blocks) */
	int nv_compute_major; /* NVIDIA's compute capability, major (cl_nv_device_attribute_query;
				 8: Ampere and Ada), 0 on other devices */
	char *extensions;              /* malloc'ed */
	int limited;                   /* AMPCL_LIMITED_* bits: what AMPCL_LIMITS lowered */
};

/* Fills caps for every device of every platform; free with ampcl_device_caps_free. */
ampcl_status ampcl_device_discover(struct ampcl_device_caps **caps, int *count);
void ampcl_device_caps_free(struct ampcl_device_caps *caps, int count);
/* Points desc's text at text's: after caps is filled, and after every copy of the struct. */
void ampcl_device_caps_bind(struct ampcl_device_caps *caps);
/* desc's text pointed at text (a copy of the strings desc points to). */
void ampcl_device_desc_copy(const struct ampcl_device_desc *from, struct ampcl_device_desc *desc,
			    struct ampcl_device_text *text);
/* Reads one device's capabilities (used by discovery and by wrapped contexts), lowered to
 * AMPCL_LIMITS where it asks for less; a malformed AMPCL_LIMITS is AMPCL_ERR_INVALID_ARG. */
ampcl_status ampcl_device_read_caps(cl_platform_id platform, cl_device_id device, int index,
				    struct ampcl_device_caps *caps);
/* Resolves a spec against a discovered list; see ampcl_device_resolve in ampcl.h. */
ampcl_status ampcl_device_pick(const struct ampcl_device_caps *caps, int count, const char *spec,
			       int *index);
int ampcl_device_has_extension(const struct ampcl_device_caps *caps, const char *ext);

#endif
