/* conv_dw.cl: the weight gradient of a stride-1 convolution on CPUs as dot products along output
 * rows: dy's rows and the zero-padded input's shifted rows are both contiguous there, so a
 * work-item loads them as vectors and multiplies without packing or transposing anything. */

/* A work-item's block: DW_MR output channels by DW_NR columns (ch, kr, ks) of dW, one float16
 * accumulator each over 16 pixels at a time (24 of AVX-512's 32 registers). */
#define DW_MR 4
#define DW_NR 6

#define DW_ROWS(X) X(0) X(1) X(2) X(3)
#define DW_COLS(X, i) X(i, 0) X(i, 1) X(i, 2) X(i, 3) X(i, 4) X(i, 5)

#define DW_DECL1(i, j) float16 a##i##j = 0.0f;
#define DW_DECL(i) DW_COLS(DW_DECL1, i)
#define DW_LOADD(i) const float16 d##i = vload16(0, drow + dro##i + oq);
#define DW_LOADX(j) const float16 x##j = vload16(0, xrow + xco##j + oq);
#define DW_FMA1(i, j) a##i##j = fma(d##i, x##j, a##i##j);
#define DW_FMA(i) DW_COLS(DW_FMA1, i)
/* the 16 lanes summed in a fixed order (halves), then stored if the element exists */
#define DW_STORE1(i, j)                                                                            \
	if (row0 + i < k && col0 + j < crs) {                                                      \
		const float8 h8 = a##i##j.lo + a##i##j.hi;                                         \
		const float4 h4 = h8.lo + h8.hi;                                                   \
		const float2 h2 = h4.lo + h4.hi;                                                   \
		out[(size_t)(row0 + i) * crs + col0 + j] = h2.x + h2.y;                            \
	}
#define DW_STORE(i) DW_COLS(DW_STORE1, i)

/* column j's offset in a padded plane set: (ch, kr, ks) -> (ch*hp + kr)*wp + ks; columns past
 * crs read column 0 (their sums are never stored) */
#define DW_XCOL(j)                                                                                 \
	const uint xco##j = col0 + j < crs ? (((col0 + j) / (r * s)) * hp + (col0 + j) / s % r) *   \
						     wp +                                          \
						 (col0 + j) % s                                    \
					   : 0;
#define DW_XCOL_(i, j) DW_XCOL(j)
/* row i's offset in an image of dy; rows past k read row k-1 (never stored) */
#define DW_DROW(i) const uint dro##i = min(row0 + i, k - 1) * q * p;

/*
 * part[ch] (k, c*r*s) = the sums over output rows [ch*rows_per_run, ...) of all images of
 * dy[b][o][op][oq] * xp[b][ch][op + kr][oq + ks], xp x's planes zero-padded (hp x wp), stride 1,
 * q a multiple of 16. Each element is one sum in a fixed order (its lanes, then its rows).
 * global (ceil(c*r*s / DW_NR), ceil(k / DW_MR), runs), any local size.
 */
__kernel void conv_dw_rows(__global float *part, uint part_off, __global const float *dy,
			   uint dy_off, __global const float *xp, uint xp_off, uint c, uint hp,
			   uint wp, uint r, uint s, uint k, uint p, uint q, uint rows,
			   uint rows_per_run)
{
	const uint col0 = get_global_id(0) * DW_NR, row0 = get_global_id(1) * DW_MR;
	const uint run = get_global_id(2), crs = c * r * s;
	if (col0 >= crs || row0 >= k)
		return;
	DW_COLS(DW_XCOL_, 0)
	DW_ROWS(DW_DROW)
	DW_ROWS(DW_DECL)
	const uint end = min(rows, (run + 1) * rows_per_run);
	for (uint row = run * rows_per_run; row < end; row++) {
		const uint b = row / p, op = row % p;
		__global const float *drow = dy + dy_off + (size_t)b * k * p * q + op * q;
		__global const float *xrow = xp + xp_off + (size_t)b * c * hp * wp + op * wp;
		for (uint oq = 0; oq < q; oq += 16) {
			DW_ROWS(DW_LOADD)
			DW_LOADX(0) DW_LOADX(1) DW_LOADX(2) DW_LOADX(3) DW_LOADX(4) DW_LOADX(5)
			DW_ROWS(DW_FMA)
		}
	}
	__global float *out = part + part_off + (size_t)run * k * crs;
	DW_ROWS(DW_STORE)
}

/* dw (k*c*r*s floats) += the runs' parts summed in run order. global (k*c*r*s). */
__kernel void conv_dw_sum(__global float *dw, uint dw_off, __global const float *part,
			  uint part_off, uint count, uint runs)
{
	const uint e = get_global_id(0);
	if (e >= count)
		return;
	float sum = 0.0f;
	for (uint t = 0; t < runs; t++)
		sum += part[part_off + (size_t)t * count + e];
	dw[dw_off + e] += sum;
}
