/* SPDX-License-Identifier: MIT */
/*
 * OPT (Belady's MIN): evict the resident page whose next use lies farthest in
 * the future.  Offline: it needs ref->next_use, which only a replay knows.
 *
 * Every insert and hit records the page's next use (VMS_TIME_NEVER sorts
 * after every time).  Two resident pages of one trace can only tie on
 * VMS_TIME_NEVER; the page with the smallest key goes first then, so the
 * answer depends on the trace alone, not on which frames the pages landed in.
 *
 * The frames sit in a binary max-heap on (next_use, -key) with a position
 * index per frame: O(log n) per hit, insert, victim and removal.
 */
#include <errno.h>
#include <stdlib.h>

#include "frameheap.h"
#include "vmsandbox/policy.h"

struct opt_frame {
	uint64_t next_use;  /* time of the page's next reference, or VMS_TIME_NEVER */
	vms_key_t key;      /* the page, for ties */
	uint32_t pos;       /* index in opt.heap while resident */
};

struct opt {
	vms_frame_t *heap;        /* nr_used frames, heap[0] = next victim */
	struct opt_frame *frame;  /* per frame */
	uint32_t nr_used;
};

/* True if frame a must be evicted before frame b. */
static inline bool opt_before(const struct opt *s, vms_frame_t a, vms_frame_t b)
{
	const struct opt_frame *fa = &s->frame[a], *fb = &s->frame[b];

	return fa->next_use > fb->next_use || (fa->next_use == fb->next_use && fa->key < fb->key);
}

#define OPT_POS(s, f) ((s)->frame[f].pos)
VMS_FRAMEHEAP_DEFINE(opt, opt_before, OPT_POS)

static int opt_create(const struct vms_policy_config *cfg, struct vms_frame_table *ft,
		      void **ret_state)
{
	struct opt *s = calloc(1, sizeof(*s));

	if (!s)
		return -ENOMEM;
	s->heap = calloc(cfg->nr_frames, sizeof(*s->heap));
	s->frame = calloc(cfg->nr_frames, sizeof(*s->frame));
	if (!s->heap || !s->frame) {
		free(s->heap);
		free(s->frame);
		free(s);
		return -ENOMEM;
	}
	*ret_state = s;
	return 0;
}

static void opt_destroy(void *state)
{
	struct opt *s = state;

	if (!s)
		return;
	free(s->heap);
	free(s->frame);
	free(s);
}

static void opt_accessed(void *state, vms_frame_t f, const struct vms_ref *ref)
{
	struct opt *s = state;

	/* In a replay the new next use is always later than the old one (which
	 * was this reference), so the frame only rises; heap_fix also copes
	 * with a trace whose next_use values are inconsistent. */
	s->frame[f].next_use = ref->next_use;
	heap_fix(s, s->frame[f].pos);
}

static vms_frame_t opt_victim(void *state, const struct vms_ref *ref)
{
	struct opt *s = state;
	vms_frame_t f = s->heap[0];

	heap_delete(s, 0);
	return f;
}

static void opt_inserted(void *state, vms_frame_t f, const struct vms_ref *ref)
{
	struct opt *s = state;
	struct opt_frame *fr = &s->frame[f];

	fr->next_use = ref->next_use;
	fr->key = ref->key;
	heap_push(s, f);
}

static void opt_removed(void *state, vms_frame_t f)
{
	struct opt *s = state;

	heap_delete(s, s->frame[f].pos);
}

const struct vms_policy_ops vms_policy_opt = {
	.name = "opt",
	.summary = "Belady's optimum: evict the page used again farthest in the future (replay only)",
	.flags = VMS_POLICY_OFFLINE,
	.create = opt_create,
	.destroy = opt_destroy,
	.accessed = opt_accessed,
	.victim = opt_victim,
	.inserted = opt_inserted,
	.removed = opt_removed,
};
