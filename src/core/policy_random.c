/* SPDX-License-Identifier: MIT */
/*
 * Random: the victim is drawn uniformly from the resident frames by a
 * seeded PRNG (splitmix64, seed = cfg->seed), so a run is reproducible.
 *
 * The resident frames are kept in a dense array `slot[0 .. nr_resident-1]`
 * with each frame's index in `pos[]`: a new frame is appended; a frame that
 * leaves (victim or removed) is overwritten by the last one, which moves into
 * its index.  The victim is slot[i] for i = random_below(nr_resident);
 * everything is O(1).  The draw depends on the array's order, which depends
 * only on the sequence of inserts and removals, so it is deterministic.
 */
#include <errno.h>
#include <stdlib.h>

#include "vmsandbox/policy.h"

struct random_policy {
	uint64_t rng;                 /* splitmix64 state */
	vms_frame_t *slot;            /* dense array of resident frames */
	uint32_t *pos;                /* per frame: its index in slot[] */
	uint32_t nr_resident;
};

/* splitmix64 (Steele, Lea, Flood 2014): a 64-bit Weyl sequence, mixed. */
static uint64_t splitmix64(uint64_t *state)
{
	uint64_t z = (*state += UINT64_C(0x9e3779b97f4a7c15));

	z = (z ^ (z >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
	z = (z ^ (z >> 27)) * UINT64_C(0x94d049bb133111eb);
	return z ^ (z >> 31);
}

/*
 * Uniform in [0, n), n >= 1: reject the 2^64 mod n lowest draws, so that the
 * accepted ones are a whole number of copies of 0 .. n-1, then reduce.  The
 * rejection happens with probability < n / 2^64.
 */
static uint32_t random_below(uint64_t *state, uint32_t n)
{
	const uint64_t reject_below = (0 - (uint64_t)n) % n;   /* 2^64 mod n */
	uint64_t x;

	do
		x = splitmix64(state);
	while (x < reject_below);
	return (uint32_t)(x % n);
}

static int random_create(const struct vms_policy_config *cfg, struct vms_frame_table *ft,
			 void **ret_state)
{
	struct random_policy *s = calloc(1, sizeof(*s));

	if (!s)
		return -ENOMEM;
	s->slot = calloc(cfg->nr_frames, sizeof(*s->slot));
	if (!s->slot)
		goto err_free_state;
	s->pos = calloc(cfg->nr_frames, sizeof(*s->pos));
	if (!s->pos)
		goto err_free_slot;
	s->rng = cfg->seed;
	*ret_state = s;
	return 0;

err_free_slot:
	free(s->slot);
err_free_state:
	free(s);
	return -ENOMEM;
}

static void random_destroy(void *state)
{
	struct random_policy *s = state;

	if (!s)
		return;
	free(s->pos);
	free(s->slot);
	free(s);
}

static void random_removed(void *state, vms_frame_t f)
{
	struct random_policy *s = state;
	vms_frame_t last = s->slot[--s->nr_resident];

	s->slot[s->pos[f]] = last;
	s->pos[last] = s->pos[f];
}

static vms_frame_t random_victim(void *state, const struct vms_ref *ref)
{
	struct random_policy *s = state;
	vms_frame_t f = s->slot[random_below(&s->rng, s->nr_resident)];

	random_removed(s, f);
	return f;
}

static void random_inserted(void *state, vms_frame_t f, const struct vms_ref *ref)
{
	struct random_policy *s = state;

	s->pos[f] = s->nr_resident;
	s->slot[s->nr_resident++] = f;
}

const struct vms_policy_ops vms_policy_random = {
	.name = "random",
	.summary = "evict a resident page chosen uniformly at random (seeded, reproducible)",
	.flags = 0,
	.create = random_create,
	.destroy = random_destroy,
	.victim = random_victim,
	.inserted = random_inserted,
	.removed = random_removed,
};
