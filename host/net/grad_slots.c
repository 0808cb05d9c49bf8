/* grad_slots.c: places the layers' output gradients (and the temporaries of amplified ones) in
 * shared slots of the activation arena: a gradient lives only from the backward of its first
 * writer to its own, so few are alive at once. */
#include "net.h"
#include "alloc.h"

#include <stdio.h>
#include <stdlib.h>

struct slot {
	size_t floats; /* the largest tenant's size */
	int busy;      /* the layer whose gradient holds it now, or -1 */
};

/* Picks a free slot for a gradient of `need` floats: the smallest that fits, else the largest
 * (grown), else a new one. */
static int take_slot(struct slot *slots, int *nslots, size_t need)
{
	int fit = -1, grow = -1;
	for (int s = 0; s < *nslots; s++) {
		if (slots[s].busy >= 0)
			continue;
		if (slots[s].floats >= need && (fit < 0 || slots[s].floats < slots[fit].floats))
			fit = s;
		if (grow < 0 || slots[s].floats > slots[grow].floats)
			grow = s;
	}
	int s = fit >= 0 ? fit : grow >= 0 ? grow : (*nslots)++; /* a new one starts empty */
	if (slots[s].floats < need)
		slots[s].floats = need;
	return s;
}

/* Backward visits layers from last to first. Layer i's gradient is first written in the backward
 * of its last consumer (the loss, for the last layer) and last read in its own, so it holds a slot
 * over that interval. A ReLU that works in place hands its slot to its input (its backward is
 * elementwise and the input has no other consumer), so that gradient is rewritten in place too. */
ampcl_status ampcl_net_plan_output_grads(struct ampcl_net *net)
{
	int n = net->nlayers;
	int *slot_of = ampcl_xmalloc((size_t)n * sizeof(int));
	int *birth = ampcl_xmalloc((size_t)n * sizeof(int));
	int *tmp_of = ampcl_xmalloc((size_t)n * sizeof(int));
	struct slot *slots = ampcl_xcalloc((size_t)n, sizeof(*slots));
	int nslots = 0;
	for (int i = 0; i < n; i++)
		slot_of[i] = tmp_of[i] = -1, birth[i] = i == n - 1 ? n : -1;
	for (int j = 1; j < n; j++)
		for (int k = 0; k < net->layers[j].nin; k++) {
			int i = net->layers[j].in[k];
			enum ampcl_layer_type type = net->layers[j].type;
			/* a convolution or linear layer skips the gradient of the network's input
			 */
			if (i == 0 && (type == AMPCL_LAYER_CONV || type == AMPCL_LAYER_CONV_GENERAL ||
				       type == AMPCL_LAYER_LINEAR))
				continue;
			birth[i] = j > birth[i] ? j : birth[i];
		}
	for (int t = n; t >= 0; t--) {
		/* gradients first written at step t: by layer t's backward (or the loss, t == n) */
		for (int i = 0; i < n; i++) {
			if (birth[i] != t)
				continue;
			const struct ampcl_layer *W = t < n ? &net->layers[t] : NULL;
			size_t need = (size_t)net->max_batch * net->layers[i].c * net->layers[i].h *
				      net->layers[i].w;
			if (W && W->inplace && W->in[0] == i && slots[slot_of[t]].floats >= need) {
				slot_of[i] = slot_of[t]; /* the ReLU's slot, rewritten in place */
				slots[slot_of[i]].busy = i;
				continue;
			}
			slot_of[i] = take_slot(slots, &nslots, need);
			slots[slot_of[i]].busy = i;
		}
		/* an amplified contribution to a gradient another consumer wrote first is computed
		 * apart and then added: a temporary alive during layer t's backward alone */
		size_t tmp = 0;
		for (int k = 0; t < n && k < net->layers[t].nin; k++) {
			const struct ampcl_layer *I = &net->layers[net->layers[t].in[k]];
			size_t floats = (size_t)net->max_batch * I->c * I->h * I->w;
			if (birth[net->layers[t].in[k]] > t && floats > tmp)
				tmp = floats;
		}
		if (tmp) {
			tmp_of[t] = take_slot(slots, &nslots, tmp);
			slots[tmp_of[t]].busy = n + t; /* no layer's index */
		}
		/* layer t's own gradient is read for the last time in its backward */
		if (t < n && slot_of[t] >= 0 && slots[slot_of[t]].busy == t)
			slots[slot_of[t]].busy = -1;
		if (tmp)
			slots[tmp_of[t]].busy = -1;
	}
	struct ampcl_tensor *views = ampcl_xcalloc((size_t)nslots + 1, sizeof(*views));
	ampcl_status st = AMPCL_OK;
	for (int s = 0; s < nslots && !st; s++) {
		char name[64];
		snprintf(name, sizeof(name), "output gradients, slot %d", s);
		st = ampcl_arena_reserve_floats(net->acts, name, slots[s].floats, &views[s]);
	}
	for (int i = 0; i < n && !st; i++) {
		struct ampcl_layer *L = &net->layers[i];
		if (slot_of[i] < 0)
			continue; /* nothing writes it: the input of a net that starts with a conv
				   */
		L->dy = views[slot_of[i]];
		L->dy.ndim = 4;
		L->dy.shape[0] = net->max_batch;
		L->dy.shape[1] = L->c, L->dy.shape[2] = L->h, L->dy.shape[3] = L->w;
	}
	for (int t = 0; t < n && !st; t++)
		if (tmp_of[t] >= 0)
			net->layers[t].amp_tmp = views[tmp_of[t]]; /* reshaped where it is used */
	free(views);
	free(slots);
	free(birth);
	free(tmp_of);
	free(slot_of);
	return st;
}
