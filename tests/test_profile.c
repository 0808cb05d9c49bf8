/* test_profile.c: the device profile table's rules (host/runtime/profile.c) on made-up devices:
 * each vendor GPU row taken by the devices it names and no others, the CPU rows as before. */
#include "profile.h"
#include "testutil.h"

#include <stdio.h>
#include <string.h>

/* the row a device of this type, vendor, vendor id, name and NVIDIA compute capability gets */
static const char *row_of(cl_device_type type, const char *vendor, unsigned vendor_id,
			  const char *name, int nv_major, struct ampcl_device_profile *p)
{
	struct ampcl_device_caps caps;
	memset(&caps, 0, sizeof(caps));
	caps.type = type;
	snprintf(caps.text.vendor, sizeof(caps.text.vendor), "%s", vendor);
	snprintf(caps.text.name, sizeof(caps.text.name), "%s", name);
	ampcl_device_caps_bind(&caps);
	caps.desc.vendor_id = vendor_id;
	caps.nv_compute_major = nv_major;
	tu_ok(ampcl_profile_fill(&caps, NULL, p), name);
	return p->row;
}

int main(void)
{
	static const struct {
		cl_device_type type;
		const char *vendor;
		unsigned vendor_id;
		const char *name;
		int nv_major;
		const char *row;
	} cases[] = {
	    /* ROCm names the chip; Mesa (rusticl, clover) the board and the chip */
	    {CL_DEVICE_TYPE_GPU, "Advanced Micro Devices, Inc.", 0x1002, "gfx1030", 0,
	     "gpu-amd-rdna2"},
	    {CL_DEVICE_TYPE_GPU, "AMD", 0x1002, "AMD Radeon RX 6800 (radeonsi, navi21, LLVM 15)", 0,
	     "gpu-amd-rdna2"},
	    {CL_DEVICE_TYPE_GPU, "Advanced Micro Devices, Inc.", 0x1002, "gfx906:sramecc+:xnack-",
	     0, "gpu"},
	    {CL_DEVICE_TYPE_GPU, "Advanced Micro Devices, Inc.", 0x1002, "gfx1100", 0, "gpu"},
	    {CL_DEVICE_TYPE_GPU, "Intel(R) Corporation", 0x8086, "Intel(R) Iris(R) Xe Graphics", 0,
	     "gpu-intel-xe"},
	    {CL_DEVICE_TYPE_GPU, "Intel(R) Corporation", 0x8086, "Intel(R) UHD Graphics 630", 0,
	     "gpu"},
	    {CL_DEVICE_TYPE_GPU, "Intel(R) Corporation", 0x8086, "Intel(R) Arc(TM) A770 Graphics",
	     0, "gpu"},
	    {CL_DEVICE_TYPE_GPU, "NVIDIA Corporation", 0x10de, "NVIDIA A100-SXM4-80GB", 8,
	     "gpu-nvidia-ampere"},
	    {CL_DEVICE_TYPE_GPU, "NVIDIA Corporation", 0x10de, "NVIDIA GeForce RTX 3090", 8,
	     "gpu-nvidia-ampere"},
	    {CL_DEVICE_TYPE_GPU, "NVIDIA Corporation", 0x10de, "Tesla V100-SXM2-16GB", 7, "gpu"},
	    {CL_DEVICE_TYPE_GPU, "NVIDIA Corporation", 0x10de, "NVIDIA H100 80GB HBM3", 9, "gpu"},
	    /* the CPU rows and the fallback as before the vendor rows */
	    {CL_DEVICE_TYPE_CPU, "AuthenticAMD", 0x1022, "pthread-AMD EPYC", 0, "cpu"},
	    {CL_DEVICE_TYPE_CPU, "GenuineIntel", 0x8086, "Intel(R) Xeon(R) Xe Graphics-like CPU", 0,
	     "cpu"},
	    {CL_DEVICE_TYPE_CPU, "Mesa", 0x10005, "llvmpipe (LLVM 15.0.6, 256 bits)", 0,
	     "llvmpipe"},
	    {CL_DEVICE_TYPE_ACCELERATOR, "Other", 0x1234, "some accelerator", 0, "gpu"},
	};
	struct ampcl_device_profile p;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const char *row = row_of(cases[i].type, cases[i].vendor, cases[i].vendor_id,
					 cases[i].name, cases[i].nv_major, &p);
		tu_check(!strcmp(row, cases[i].row), "rule",
			 "'%s' (vendor id 0x%x, cc %d) -> %s (want %s)", cases[i].name,
			 cases[i].vendor_id, cases[i].nv_major, row, cases[i].row);
	}

	/* each vendor row is the GPU profile but for its GEMM tiles, which cl/gemm.cl takes:
	 * scalar tiles that split evenly over the work-group */
	struct ampcl_device_caps none;
	memset(&none, 0, sizeof(none));
	struct ampcl_device_profile gpu;
	tu_ok(ampcl_profile_fill(&none, "gpu", &gpu), "the gpu row");
	tu_check(gpu.gemm_tiles.tm == 0, "gpu row's tiles",
		 "the generic row keeps cl/gemm.cl's "
		 "defaults (tm %d)",
		 gpu.gemm_tiles.tm);
	static const char *vendor_rows[] = {"gpu-amd-rdna2", "gpu-intel-xe", "gpu-nvidia-ampere"};
	for (size_t i = 0; i < sizeof(vendor_rows) / sizeof(vendor_rows[0]); i++) {
		tu_ok(ampcl_profile_fill(&none, vendor_rows[i], &p), vendor_rows[i]);
		struct ampcl_device_profile q = p;
		memset(&q.gemm_tiles, 0, sizeof(q.gemm_tiles));
		memcpy(q.row, gpu.row, sizeof(q.row));
		tu_check(!memcmp(&q, &gpu, sizeof(q)), "vendor row",
			 "%s is the gpu row but for its "
			 "GEMM tiles",
			 vendor_rows[i]);
		int tm = p.gemm_tiles.tm, tn = p.gemm_tiles.tn, tk = p.gemm_tiles.tk;
		int wm = p.gemm_tiles.wm, wn = p.gemm_tiles.wn;
		int wg = wm && wn ? (tm / wm) * (tn / wn) : 0;
		tu_check(tm && tn && tk && wm && wn && tm % wm == 0 && tn % wn == 0 && wg <= 256 &&
			     (tm * tk) % wg == 0 && (tn * tk) % wg == 0,
			 "vendor tiles", "%s: %dx%dx%d of %dx%d, %d work-items a group",
			 vendor_rows[i], tm, tn, tk, wm, wn, wg);
	}
	return tu_finish();
}
