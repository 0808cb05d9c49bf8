/* loss.cl: softmax cross-entropy averaged over the batch: the gradient of the logits and, by a
 * fixed-order reduction on the device, the mean loss and the count of correct predictions. */

/* Launched as ONE work-group of a power-of-two size G: the loss is tiny (batch x classes), and
 * one group can finish the batch reduction itself, so training need not read back per-row
 * values or launch a second kernel. Lane l takes rows l, l+G, ... in order, then the lanes
 * combine by a fixed tree in local memory: the same inputs give the same bits every run.
 *
 * A label outside 0..k-1 is clamped before any memory access; such a row is flagged rather
 * than trained on: its loss is NaN (so stats[0], the mean, is NaN and the trainer's divergence
 * check stops on the bad batch), its dlogits row is zero and it never counts as correct.
 *
 * dlogits, logits: (n, k)  labels: (n) ints  stats: (2) = {mean loss, correct count}
 * loss_part, hit_part: G floats / G uints of local memory */
__kernel void softmax_ce_forward(__global float *dlogits, uint dl_off, __global float *stats,
				 uint stats_off, __global const float *logits, uint lg_off,
				 __global const int *labels, uint lb_off, uint n, uint k,
				 __local float *loss_part, __local uint *hit_part)
{
	/* one group does the work; any other group (the host launches one) still reaches every
	 * barrier with nothing to do: no work-item returns early (PoCL 3.1 corrupts memory when
	 * one returns before a barrier) */
	uint active = get_group_id(0) == 0;
	uint lid = get_local_id(0), g = get_local_size(0);
	float loss = 0.0f;
	uint hits = 0;
	for (uint i = lid; active && i < n; i += g) {
		__global const float *row = logits + lg_off + i * k;
		__global float *drow = dlogits + dl_off + i * k;
		int raw = labels[lb_off + i];
		int bad = raw < 0 || raw >= (int)k;
		uint label = (uint)clamp(raw, 0, (int)k - 1);
		/* first maximum, like the reference and torch.argmax */
		uint arg = 0;
		for (uint j = 1; j < k; j++)
			if (row[j] > row[arg])
				arg = j;
		float mx = row[arg];
		/* exp of (logit - max) <= 1: no overflow however large the logits */
		float sum = 0.0f;
		for (uint j = 0; j < k; j++)
			sum += exp(row[j] - mx);
		/* log(sum) - (x_label - max) = lse - x_label, without cancelling against a large
		 * max */
		loss += bad ? NAN : log(sum) - (row[label] - mx);
		hits += !bad && arg == label;
		for (uint j = 0; j < k; j++) {
			float p = exp(row[j] - mx) / sum;
			drow[j] = bad ? 0.0f : (p - (j == label ? 1.0f : 0.0f)) / (float)n;
		}
	}
	loss_part[lid] = loss;
	hit_part[lid] = hits;
	barrier(CLK_LOCAL_MEM_FENCE);
	for (uint s = g / 2; s > 0; s /= 2) {
		if (lid < s) {
			loss_part[lid] += loss_part[lid + s];
			hit_part[lid] += hit_part[lid + s];
		}
		barrier(CLK_LOCAL_MEM_FENCE);
	}
	if (active && lid == 0) {
		stats[stats_off] = loss_part[0] / (float)n;
		stats[stats_off + 1] = (float)hit_part[0];
	}
}
