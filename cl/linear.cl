/* linear.cl: the bias parts of the fully connected layer y = x W^T + b (the products are
 * GEMMs): broadcasting b into y before the GEMM accumulates, and the bias gradient. */

/* y[i][o] = b[o] for every row i: the GEMM then adds x W^T with beta 1, which saves a pass
 * over y and CLBlast's clearing of C. y: (n, out)  b: (out) */
__kernel void linear_bias_forward(__global float *y, uint y_off, __global const float *b,
				  uint b_off, uint out, uint n)
{
	uint i = get_global_id(0);
	if (i < n * out)
		y[y_off + i] = b[b_off + i % out];
}

/* db[o] += sum over rows i of dy[i][o]. One work-item per column sums the rows in order:
 * neighbouring work-items read neighbouring words, and the order is fixed, so the result is
 * bit-identical run after run. db: (out)  dy: (n, out) */
__kernel void linear_bias_backward(__global float *db, uint db_off, __global const float *dy,
				   uint dy_off, uint out, uint n)
{
	uint o = get_global_id(0);
	if (o >= out)
		return;
	float sum = 0.0f;
	for (uint i = 0; i < n; i++)
		sum += dy[dy_off + i * out + o];
	db[db_off + o] += sum;
}
