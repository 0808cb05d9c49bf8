/* device.c: finds every OpenCL device, reads its capabilities into struct ampcl_device_caps,
 * and resolves --device / AMPCL_DEVICE specs (index or name substring). */
#include "device.h"
#include "alloc.h"
#include "env.h"
#include "error.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void get_string(cl_device_id d, cl_device_info what, char *dst, size_t size)
{
	dst[0] = 0;
	if (clGetDeviceInfo(d, what, size, dst, NULL) != CL_SUCCESS)
		dst[0] = 0;
	dst[size - 1] = 0;
	/* drivers pad some strings with spaces */
	for (size_t n = strlen(dst); n > 0 && isspace((unsigned char)dst[n - 1]); n--)
		dst[n - 1] = 0;
}

int ampcl_device_has_extension(const struct ampcl_device_caps *caps, const char *ext)
{
	size_t len = strlen(ext);
	for (const char *p = caps->extensions; p && (p = strstr(p, ext)); p += len)
		if ((p == caps->extensions || p[-1] == ' ') && (p[len] == 0 || p[len] == ' '))
			return 1;
	return 0;
}

/* Lowers a capability to an AMPCL_LIMITS value (0: none); never raises it. */
#define LOWER(field, limit, bit)                                                                   \
	do {                                                                                       \
		if ((limit) && (limit) < (field)) {                                                \
			(field) = (limit);                                                         \
			caps->limited |= (bit);                                                    \
		}                                                                                  \
	} while (0)

/* What the device reports, cut to AMPCL_LIMITS, so every choice above (the profile, the ops'
 * tilings, the arenas' checks) sees a smaller device; a work-group limit also caps each
 * dimension's (and, in launch.c, each kernel's). */
static void apply_limits(struct ampcl_device_caps *caps, const struct ampcl_env_limits *lim)
{
	struct ampcl_device_desc *d = &caps->desc;
	LOWER(d->global_mem_bytes, lim->global_mem_bytes, AMPCL_LIMITED_SIZES);
	LOWER(d->max_alloc_bytes, lim->max_alloc_bytes, AMPCL_LIMITED_SIZES);
	LOWER(d->compute_units, lim->compute_units, AMPCL_LIMITED_SIZES);
	/* a narrower SIMD unit (AVX2's 8 floats, SSE's 4 on an AVX-512 machine): the CPU kernels
	 * sized by it take their narrower forms, which only such machines run otherwise */
	LOWER(caps->native_vector_width_float, lim->vector_width, AMPCL_LIMITED_SIZES);
	LOWER(d->local_mem_bytes, lim->local_mem_bytes, AMPCL_LIMITED_LAUNCH);
	LOWER(d->max_work_group_size, lim->max_work_group_size, AMPCL_LIMITED_LAUNCH);
	for (int i = 0; i < 3; i++)
		LOWER(caps->max_work_item_sizes[i], lim->max_work_group_size, AMPCL_LIMITED_LAUNCH);
	/* a lowered global memory holds no larger allocation, as on a real device */
	LOWER(d->max_alloc_bytes, d->global_mem_bytes, AMPCL_LIMITED_SIZES);
}

ampcl_status ampcl_device_read_caps(cl_platform_id platform, cl_device_id device, int index,
				    struct ampcl_device_caps *caps)
{
	memset(caps, 0, sizeof(*caps));
	struct ampcl_env env;
	struct ampcl_env_limits lim;
	ampcl_env_read(&env);
	ampcl_status st = ampcl_env_parse_limits(&env, &lim);
	if (st)
		return st;
	struct ampcl_device_desc *d = &caps->desc;
	struct ampcl_device_text *tx = &caps->text;
	caps->platform = platform;
	caps->device = device;
	d->index = index;
	get_string(device, CL_DEVICE_NAME, tx->name, sizeof(tx->name));
	get_string(device, CL_DEVICE_VENDOR, tx->vendor, sizeof(tx->vendor));
	get_string(device, CL_DRIVER_VERSION, tx->driver_version, sizeof(tx->driver_version));
	get_string(device, CL_DEVICE_OPENCL_C_VERSION, tx->opencl_c_version,
		   sizeof(tx->opencl_c_version));
	clGetPlatformInfo(platform, CL_PLATFORM_NAME, sizeof(tx->platform), tx->platform, NULL);
	clGetPlatformInfo(platform, CL_PLATFORM_VERSION, sizeof(tx->platform_version),
			  tx->platform_version, NULL);
	tx->platform[sizeof(tx->platform) - 1] = 0;
	tx->platform_version[sizeof(tx->platform_version) - 1] = 0;
	ampcl_device_caps_bind(caps);

	cl_uint u = 0;
	cl_ulong ul = 0;
	size_t sz = 0;
	clGetDeviceInfo(device, CL_DEVICE_TYPE, sizeof(caps->type), &caps->type, NULL);
	snprintf(tx->type, sizeof(tx->type), "%s",
		 caps->type & CL_DEVICE_TYPE_GPU           ? "GPU"
		 : caps->type & CL_DEVICE_TYPE_CPU         ? "CPU"
		 : caps->type & CL_DEVICE_TYPE_ACCELERATOR ? "ACCELERATOR"
							   : "OTHER");
	if (clGetDeviceInfo(device, CL_DEVICE_VENDOR_ID, sizeof(u), &u, NULL) == CL_SUCCESS)
		d->vendor_id = u;
	if (clGetDeviceInfo(device, CL_DEVICE_MAX_COMPUTE_UNITS, sizeof(u), &u, NULL) == CL_SUCCESS)
		d->compute_units = u;
	if (clGetDeviceInfo(device, CL_DEVICE_GLOBAL_MEM_SIZE, sizeof(ul), &ul, NULL) == CL_SUCCESS)
		d->global_mem_bytes = ul;
	if (clGetDeviceInfo(device, CL_DEVICE_MAX_MEM_ALLOC_SIZE, sizeof(ul), &ul, NULL) ==
	    CL_SUCCESS)
		d->max_alloc_bytes = ul;
	if (clGetDeviceInfo(device, CL_DEVICE_LOCAL_MEM_SIZE, sizeof(ul), &ul, NULL) == CL_SUCCESS)
		d->local_mem_bytes = ul;
	if (clGetDeviceInfo(device, CL_DEVICE_MAX_WORK_GROUP_SIZE, sizeof(sz), &sz, NULL) ==
	    CL_SUCCESS)
		d->max_work_group_size = sz;
	size_t items[3] = {sz, sz, sz};
	clGetDeviceInfo(device, CL_DEVICE_MAX_WORK_ITEM_SIZES, sizeof(items), items, NULL);
	memcpy(caps->max_work_item_sizes, items, sizeof(items));
	if (clGetDeviceInfo(device, CL_DEVICE_NATIVE_VECTOR_WIDTH_FLOAT, sizeof(u), &u, NULL) ==
	    CL_SUCCESS)
		caps->native_vector_width_float = u;

	size_t ext_size = 0;
	clGetDeviceInfo(device, CL_DEVICE_EXTENSIONS, 0, NULL, &ext_size);
	caps->extensions = ampcl_xcalloc(ext_size + 1, 1);
	if (ext_size)
		clGetDeviceInfo(device, CL_DEVICE_EXTENSIONS, ext_size, caps->extensions, NULL);
	d->has_fp16 = ampcl_device_has_extension(caps, "cl_khr_fp16");
	d->has_fp64 = ampcl_device_has_extension(caps, "cl_khr_fp64");
	if (ampcl_device_has_extension(caps, "cl_nv_device_attribute_query") &&
	    clGetDeviceInfo(device, CL_DEVICE_COMPUTE_CAPABILITY_MAJOR_NV, sizeof(u), &u, NULL) ==
		CL_SUCCESS)
		caps->nv_compute_major = (int)u;

	apply_limits(caps, &lim);

	/* "OpenCL C 1.2 PoCL" -> 1, 2 */
	if (sscanf(d->opencl_c_version, "OpenCL C %d.%d", &caps->opencl_c_major,
		   &caps->opencl_c_minor) != 2) {
		caps->opencl_c_major = 1;
		caps->opencl_c_minor = 0;
	}
	return AMPCL_OK;
}

static void point_at(struct ampcl_device_desc *d, const struct ampcl_device_text *tx)
{
	d->name = tx->name, d->vendor = tx->vendor, d->platform = tx->platform;
	d->platform_version = tx->platform_version, d->driver_version = tx->driver_version;
	d->opencl_c_version = tx->opencl_c_version, d->type = tx->type;
}

void ampcl_device_caps_bind(struct ampcl_device_caps *caps)
{
	point_at(&caps->desc, &caps->text);
}

void ampcl_device_desc_copy(const struct ampcl_device_desc *from, struct ampcl_device_desc *desc,
			    struct ampcl_device_text *text)
{
	*desc = *from;
#define COPY(field) snprintf(text->field, sizeof(text->field), "%s", from->field ? from->field : "")
	COPY(name), COPY(vendor), COPY(platform), COPY(platform_version), COPY(driver_version);
	COPY(opencl_c_version), COPY(type);
#undef COPY
	point_at(desc, text);
}

void ampcl_device_caps_free(struct ampcl_device_caps *caps, int count)
{
	if (!caps)
		return;
	for (int i = 0; i < count; i++)
		free(caps[i].extensions);
	free(caps);
}

ampcl_status ampcl_device_discover(struct ampcl_device_caps **out, int *count)
{
	*out = NULL;
	*count = 0;
	cl_uint nplat = 0;
	cl_int err = clGetPlatformIDs(0, NULL, &nplat);
	if (err == CL_PLATFORM_NOT_FOUND_KHR || (err == CL_SUCCESS && nplat == 0))
		return ampcl_error_set(AMPCL_ERR_NO_DEVICE,
				       "no OpenCL platform found: install a driver with an ICD "
				       "(for the CPU: apt-get install pocl-opencl-icd) and check "
				       "/etc/OpenCL/vendors");
	if (err != CL_SUCCESS)
		return ampcl_error_set(err, "clGetPlatformIDs failed: %s",
				       ampcl_cl_error_name(err));
	cl_platform_id *plats = ampcl_xcalloc(nplat, sizeof(*plats));
	clGetPlatformIDs(nplat, plats, NULL);

	struct ampcl_device_caps *caps = NULL;
	int n = 0;
	ampcl_status st = AMPCL_OK;
	for (cl_uint p = 0; p < nplat && !st; p++) {
		cl_uint ndev = 0;
		if (clGetDeviceIDs(plats[p], CL_DEVICE_TYPE_ALL, 0, NULL, &ndev) != CL_SUCCESS ||
		    ndev == 0)
			continue;
		cl_device_id *devs = ampcl_xcalloc(ndev, sizeof(*devs));
		clGetDeviceIDs(plats[p], CL_DEVICE_TYPE_ALL, ndev, devs, NULL);
		caps = ampcl_xrealloc(caps, (size_t)(n + (int)ndev) * sizeof(*caps));
		for (cl_uint d = 0; d < ndev && !st; d++, n++)
			st = ampcl_device_read_caps(plats[p], devs[d], n, &caps[n]);
		free(devs);
	}
	free(plats);
	if (st) {
		ampcl_device_caps_free(caps, n);
		return st;
	}
	if (n == 0) {
		free(caps);
		return ampcl_error_set(AMPCL_ERR_NO_DEVICE,
				       "OpenCL platforms exist but none has a device: check the "
				       "driver installation (clinfo lists what the loader sees)");
	}
	for (int i = 0; i < n; i++) /* the array moved as platforms were added */
		ampcl_device_caps_bind(&caps[i]);
	*out = caps;
	*count = n;
	return AMPCL_OK;
}

static int contains_nocase(const char *hay, const char *needle)
{
	size_t n = strlen(needle);
	for (; *hay; hay++) {
		size_t i = 0;
		while (i < n && hay[i] &&
		       tolower((unsigned char)hay[i]) == tolower((unsigned char)needle[i]))
			i++;
		if (i == n)
			return 1;
	}
	return n == 0;
}

static void list_devices(char *buf, size_t size, const struct ampcl_device_caps *caps, int count)
{
	size_t used = 0;
	buf[0] = 0;
	for (int i = 0; i < count && used < size; i++)
		used +=
		    (size_t)snprintf(buf + used, size - used, "\n  %d: %s (%s, %s)", i,
				     caps[i].desc.name, caps[i].desc.platform, caps[i].desc.type);
}

ampcl_status ampcl_device_pick(const struct ampcl_device_caps *caps, int count, const char *spec,
			       int *index)
{
	if (!spec || !*spec) {
		for (int i = 0; i < count; i++)
			if (caps[i].type & CL_DEVICE_TYPE_GPU) {
				*index = i;
				return AMPCL_OK;
			}
		*index = 0;
		return AMPCL_OK;
	}
	char *end = NULL;
	long v = strtol(spec, &end, 10);
	if (end != spec && *end == 0) {
		if (v >= 0 && v < count) {
			*index = (int)v;
			return AMPCL_OK;
		}
		char list[4096];
		list_devices(list, sizeof(list), caps, count);
		return ampcl_error_set(
		    AMPCL_ERR_DEVICE_NOT_FOUND,
		    "device index %ld is out of range (0..%d): the devices are:%s\n"
		    "pick one with --device N or --device NAME (or AMPCL_DEVICE)",
		    v, count - 1, list);
	}
	for (int i = 0; i < count; i++)
		if (contains_nocase(caps[i].desc.name, spec) ||
		    contains_nocase(caps[i].desc.platform, spec) ||
		    contains_nocase(caps[i].desc.vendor, spec)) {
			*index = i;
			return AMPCL_OK;
		}
	char list[4096];
	list_devices(list, sizeof(list), caps, count);
	return ampcl_error_set(AMPCL_ERR_DEVICE_NOT_FOUND,
			       "no device matches '%s': the devices are:%s\n"
			       "pick one with --device N or --device NAME (or AMPCL_DEVICE)",
			       spec, list);
}

ampcl_status ampcl_device_for_local_rank(int local_rank, int *index)
{
	struct ampcl_env env;
	ampcl_env_read(&env);
	if (env.device[0])
		return ampcl_device_resolve(NULL, index); /* AMPCL_DEVICE pins every rank's */
	struct ampcl_device_caps *caps;
	int n;
	ampcl_status st = ampcl_device_discover(&caps, &n);
	if (st)
		return st;
	int gpus = 0;
	for (int i = 0; i < n; i++)
		gpus += (caps[i].type & CL_DEVICE_TYPE_GPU) != 0;
	for (int i = 0, k = local_rank % (gpus ? gpus : n); i < n; i++)
		if ((gpus == 0 || (caps[i].type & CL_DEVICE_TYPE_GPU)) && k-- == 0) {
			*index = i;
			break;
		}
	ampcl_device_caps_free(caps, n);
	return AMPCL_OK;
}

ampcl_status ampcl_devices_list(int *count, struct ampcl_device_desc **out)
{
	struct ampcl_device_caps *caps;
	int n;
	ampcl_status st = ampcl_device_discover(&caps, &n);
	if (st)
		return st;
	/* one block, the descriptions then their text, so that free(*out) frees both */
	struct block {
		struct ampcl_device_desc desc;
		struct ampcl_device_text text;
	};
	struct ampcl_device_desc *descs = ampcl_xcalloc((size_t)n ? (size_t)n : 1,
							sizeof(struct block));
	struct ampcl_device_text *texts = (struct ampcl_device_text *)(descs + n);
	for (int i = 0; i < n; i++)
		ampcl_device_desc_copy(&caps[i].desc, &descs[i], &texts[i]);
	*out = descs;
	*count = n;
	ampcl_device_caps_free(caps, n);
	return AMPCL_OK;
}

ampcl_status ampcl_device_resolve(const char *spec, int *index)
{
	struct ampcl_env env;
	ampcl_env_read(&env);
	struct ampcl_device_caps *caps;
	int n;
	ampcl_status st = ampcl_device_discover(&caps, &n);
	if (st)
		return st;
	st = ampcl_device_pick(caps, n, spec && *spec ? spec : env.device, index);
	ampcl_device_caps_free(caps, n);
	return st;
}
