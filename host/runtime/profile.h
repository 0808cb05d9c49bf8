/* profile.h: the device profile: every choice an op makes that depends on the device, filled once
 * per context from a table by device type, vendor and name. No op asks "is this a CPU?" itself. */
#ifndef AMPCL_PROFILE_H
#define AMPCL_PROFILE_H

#include "device.h"

struct ampcl_device_profile {
	char row[32]; /* the table row in use: "llvmpipe", "cpu", "gpu-amd-rdna2", ..., "gpu"
			 (AMPCL_PROFILE forces one) */
	/* convolution */
	int conv_rows;     /* col2im a row per work-item (CPU vectorisers), else an element */
	int conv_implicit; /* forward and weight gradient as implicit GEMMs on the tiled kernel
			      (conv_implicit.c), else im2col + the GEMM back end */
	int no_fuse; /* 1: a net runs a ReLU after a BN or an add as its own passes (AMPCL_FUSE=off) */
	int conv_winograd; /* 3x3 stride-1 forward and input gradient by Winograd F(2x2, 3x3)
			      (conv_winograd.c): 1 always (AMPCL_CONV=winograd), -1 never
			      (AMPCL_CONV=direct), 0 where the tuning table measured it faster */
	size_t conv_winograd_chunk_floats; /* Winograd's transforms and products of at most this
					      many floats a chunk (0: as many images as the
					      scratch holds) */
	/* GEMM */
	int gemm_clblast;   /* AMPCL_GEMM=auto takes CLBlast (when built with it) */
	int gemm_cpu_tiles; /* rows of float16 per work-item (128x128, 64x128) over 64x64 scalars */
	int gemm_packed;    /* packed panels and a register-blocked micro-kernel (gemm_packed.c) */
	size_t loop_k_max;  /* the most k one tiled launch loops over; 0: any (see gemm_own.c) */
	/* the GPU tiling of cl/gemm.cl's scalar kernel (gemm_forward and the implicit-GEMM
	 * convolutions): C tile tm x tn, depth tk, wm x wn outputs per work-item; all 0: the
	 * file's defaults, 64x64x16 of 4x4 (gemm_own.c's tiles_gpu) */
	struct {
		int tm, tn, tk, wm, wn;
	} gemm_tiles;
	int gemm_splitk; /* thin products with a long k cut into slices (gemm_splitk.c) */
	/* batch-norm reductions */
	size_t bn_group_elems; /* elements one reduction group takes; 0: 64 per work-item */
	int bn_contiguous;     /* each work-item walks a contiguous run (else interleaved) */
	size_t bn_local_max;   /* work-items per reduction group at most */
	/* pooling */
	int pool_rows; /* row-wise vectorised max-pool and per-plane average pool */
	/* the benchmark's peak measurements */
	int bench_gemm_n;
	size_t bench_copy_bytes;
};

/* Fills p for the device: the row that matches its type, vendor and name, or with force (a row
 * name, from AMPCL_PROFILE) that row whatever the device. An unknown force is
 * AMPCL_ERR_INVALID_ARG naming the rows. */
ampcl_status ampcl_profile_fill(const struct ampcl_device_caps *caps, const char *force,
				struct ampcl_device_profile *p);

/* The name of the table's row i ("llvmpipe", "cpu", ..., "gpu"), NULL past the last. */
const char *ampcl_profile_row_name(int i);
/* Why fill chose p's row for this device, in words ("forced by AMPCL_PROFILE", or the row's rule
 * and what of the device matched it), into buf. */
void ampcl_profile_reason(const struct ampcl_device_caps *caps, const char *force,
			  const struct ampcl_device_profile *p, char *buf, size_t size);

/* AMPCL_CONV: "implicit" or "im2col" sets conv_implicit, "winograd" or "direct" conv_winograd
 * (1 or -1), "" leaves the row's; anything else is AMPCL_ERR_INVALID_ARG naming it. */
ampcl_status ampcl_profile_set_conv(struct ampcl_device_profile *p, const char *conv);
/* AMPCL_FUSE: "on" (or unset) lets a net fuse, "off" sets no_fuse; anything else is an error. */
ampcl_status ampcl_profile_set_fuse(struct ampcl_device_profile *p, const char *fuse);

#endif
