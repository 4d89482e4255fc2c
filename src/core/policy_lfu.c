/* SPDX-License-Identifier: MIT */
/*
 * LFU with aging: evict the resident page with the smallest use count.
 *
 * A page's count is 1 when it is loaded and grows by 1 on every hit
 * (saturating at UINT32_MAX).  Among equal counts the least recently used
 * page goes first: every insert and hit takes a stamp from a private
 * sequence counter, so the order is total even when ref->time repeats (live,
 * where time is the fault count).
 *
 * Aging: with cfg->lfu_decay_period = P > 0, every count is halved (rounding
 * down) before the reference whose time is a multiple of P (P, 2P, ...) is
 * accounted.  If the policy does not see every reference (live mode) and
 * several multiples went by, the counts are halved once per multiple.  P = 0
 * never ages.
 *
 * The frames sit in a binary min-heap on (count, stamp) with a position
 * index per frame: O(log n) per hit, insert, victim and removal.  Halving is
 * monotone but can make unequal counts equal, and then the stamps decide a
 * different order, so aging rebuilds the heap: O(n) per period, amortized
 * O(1) per reference when P >= nr_frames.
 */
#include <errno.h>
#include <stdlib.h>

#include "frameheap.h"
#include "vmsandbox/policy.h"

struct lfu_frame {
	uint64_t stamp;   /* sequence number of the last insert or hit */
	uint32_t count;   /* uses since loaded, halved by aging */
	uint32_t pos;     /* index in lfu.heap while resident */
};

struct lfu {
	vms_frame_t *heap;        /* nr_used frames, heap[0] = next victim */
	struct lfu_frame *frame;  /* per frame */
	uint32_t nr_used;
	uint64_t seq;             /* last stamp handed out */
	uint64_t period;          /* references between halvings; 0 = never */
	uint64_t next_decay;      /* time of the next halving */
};

/* True if frame a must be evicted before frame b. */
static inline bool lfu_before(const struct lfu *s, vms_frame_t a, vms_frame_t b)
{
	const struct lfu_frame *fa = &s->frame[a], *fb = &s->frame[b];

	return fa->count < fb->count || (fa->count == fb->count && fa->stamp < fb->stamp);
}

#define LFU_POS(s, f) ((s)->frame[f].pos)
VMS_FRAMEHEAP_DEFINE(lfu, lfu_before, LFU_POS)

/*
 * Halves every count once per multiple of the period in (last check, time].
 * Must run before the reference at `time` touches any count, so every hook
 * that can come first for a reference calls it; it is idempotent.
 */
static inline void lfu_age(struct lfu *s, uint64_t time)
{
	uint64_t halvings;

	if (s->period == 0 || time < s->next_decay)
		return;
	halvings = (time - s->next_decay) / s->period + 1;
	s->next_decay += halvings * s->period;
	for (uint32_t i = 0; i < s->nr_used; i++) {
		struct lfu_frame *fr = &s->frame[s->heap[i]];

		fr->count = halvings >= 32 ? 0 : fr->count >> halvings;
	}
	for (uint32_t i = s->nr_used / 2; i-- > 0;)
		sift_down(s, i);
}

static int lfu_create(const struct vms_policy_config *cfg, struct vms_frame_table *ft,
		      void **ret_state)
{
	struct lfu *s = calloc(1, sizeof(*s));

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
	s->period = cfg->lfu_decay_period;
	s->next_decay = s->period;
	*ret_state = s;
	return 0;
}

static void lfu_destroy(void *state)
{
	struct lfu *s = state;

	if (!s)
		return;
	free(s->heap);
	free(s->frame);
	free(s);
}

static void lfu_accessed(void *state, vms_frame_t f, const struct vms_ref *ref)
{
	struct lfu *s = state;
	struct lfu_frame *fr = &s->frame[f];

	lfu_age(s, ref->time);
	if (fr->count != UINT32_MAX)
		fr->count++;
	fr->stamp = ++s->seq;
	/* Both keys grew: the frame can only move away from the root. */
	sift_down(s, fr->pos);
}

static void lfu_missed(void *state, const struct vms_ref *ref)
{
	lfu_age(state, ref->time);
}

static vms_frame_t lfu_victim(void *state, const struct vms_ref *ref)
{
	struct lfu *s = state;
	vms_frame_t f;

	lfu_age(s, ref->time);
	f = s->heap[0];
	heap_delete(s, 0);
	return f;
}

static void lfu_inserted(void *state, vms_frame_t f, const struct vms_ref *ref)
{
	struct lfu *s = state;
	struct lfu_frame *fr = &s->frame[f];

	lfu_age(s, ref->time);
	fr->count = 1;
	fr->stamp = ++s->seq;
	heap_push(s, f);
}

static void lfu_removed(void *state, vms_frame_t f)
{
	struct lfu *s = state;

	heap_delete(s, s->frame[f].pos);
}

const struct vms_policy_ops vms_policy_lfu = {
	.name = "lfu",
	.summary = "least frequently used, ties to the least recent, counts halved every decay period",
	.flags = VMS_POLICY_HITS,
	.create = lfu_create,
	.destroy = lfu_destroy,
	.accessed = lfu_accessed,
	.missed = lfu_missed,
	.victim = lfu_victim,
	.inserted = lfu_inserted,
	.removed = lfu_removed,
};
