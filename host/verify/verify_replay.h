/* verify_replay.h: the PyTorch float64 trajectory `ampcl verify` replays (replay_data.c, written
 * by tests/torch/verify_replay.py) and the bands around it. */
#ifndef AMPCL_VERIFY_REPLAY_H
#define AMPCL_VERIFY_REPLAY_H

#define VF_REPLAY_MAX_STEPS 16
#define VF_REPLAY_MAX_TENSORS 32

struct vf_replay_data {
	int steps, batch, size, classes;
	double lr, momentum, weight_decay, amp_factor;
	double loss[VF_REPLAY_MAX_STEPS]; /* the training loss of each step, before its update */
	double loss_band[VF_REPLAY_MAX_STEPS];
	double eval_loss, eval_band; /* eval mode on the same batch after the steps */
	int ntensors;
	struct {
		const char *name;
		double update_norm; /* || after - before || */
		double band;
	} tensors[VF_REPLAY_MAX_TENSORS];
};

extern const struct vf_replay_data vf_replay_data;

#endif
