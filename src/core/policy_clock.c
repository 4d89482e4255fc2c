/* SPDX-License-Identifier: MIT */
/*
 * Clock (second chance): the resident frames form a ring with a hand.  To
 * find a victim the hand looks at the frame under it: referenced -> clear
 * the bit and move on (a second chance); not referenced -> evict it.
 *
 * The ring is a vms_flist whose head *is* the hand, so "advance the hand" is
 * "head = next", and the tail is the frame just behind the hand, the last
 * one the hand will reach.  A new page is inserted at the tail.  After an
 * eviction the hand has moved one past the victim, so the new page takes the
 * victim's place in the ring, exactly as in the textbook array version.
 * vms_flist_remove moves the head to the next frame when the hand's frame
 * is removed (unmap), which keeps the hand valid.
 *
 * Hits cost nothing: the engine sets the reference bit.  A victim search
 * clears at most nr_frames bits, and every bit it clears was set by one
 * reference (a hit or a load), so a run of R references does at most R
 * clearing steps in all: O(1) amortized per reference.
 */
#include "policy_list.h"

/* Terminates within one full turn: every bit the hand passes is cleared. */
static vms_frame_t clock_victim(void *state, const struct vms_ref *ref)
{
	struct vms_list_policy *s = state;
	vms_frame_t hand = s->list.head;

	while (vms_frame_referenced(s->ft, hand)) {
		vms_frame_clear_referenced(s->ft, hand);
		hand = s->link[hand].next;
	}
	s->list.head = hand;
	return vms_flist_pop_head(&s->list, s->link);
}

const struct vms_policy_ops vms_policy_clock = {
	.name = "clock",
	.summary = "second chance: a hand sweeps the frames, sparing referenced pages once",
	.flags = VMS_POLICY_REFBITS,
	.create = vms_list_policy_create,
	.destroy = vms_list_policy_destroy,
	.victim = clock_victim,
	.inserted = vms_list_policy_append,
	.removed = vms_list_policy_remove,
};
