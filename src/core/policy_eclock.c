/* SPDX-License-Identifier: MIT */
/*
 * Enhanced Clock (Silberschatz's "enhanced second chance", Tanenbaum's NRU
 * classes swept by a clock hand): each resident page is in a class
 * (referenced, dirty); (0,0) is the best victim, then (0,1), (1,0), (1,1).
 *
 * Victim search, every pass starting at the hand and going once round:
 *   pass 1: the first (0,0) page; no bit is changed;
 *   pass 2: the first (0,1) page, clearing the reference bit of every page
 *           it passes (so after a full pass 2 every bit is clear);
 *   pass 3: as pass 1;  pass 4: as pass 2.
 * Pass 3 finds a page unless every page was dirty; then pass 4 takes the
 * page at the hand.  The hand ends one past the victim, and new pages are
 * inserted just behind the hand (the tail of the ring), as in Clock
 * (policy_clock.c): a new page takes its victim's place in the ring.
 *
 * The dirty bit is only read: making a page clean is the engine's business
 * (write-back), not the policy's.  A victim search may look at up to
 * 4 * nr_frames pages; unlike plain Clock, pass 1 is not paid for by earlier
 * references, so the worst case is O(nr_frames) per fault.
 */
#include "policy_list.h"

/* One turn from the hand looking for (0, dirty); clears passed bits if asked. */
static vms_frame_t find_class(struct vms_list_policy *s, bool dirty, bool clear)
{
	vms_frame_t f = s->list.head;

	for (uint32_t i = 0; i < s->list.len; i++, f = s->link[f].next) {
		if (vms_frame_referenced(s->ft, f)) {
			if (clear)
				vms_frame_clear_referenced(s->ft, f);
		} else if (vms_frame_dirty(s->ft, f) == dirty) {
			return f;
		}
	}
	return VMS_FRAME_NONE;
}

static vms_frame_t eclock_victim(void *state, const struct vms_ref *ref)
{
	struct vms_list_policy *s = state;
	vms_frame_t f = VMS_FRAME_NONE;

	for (int round = 0; round < 2 && f == VMS_FRAME_NONE; round++) {
		f = find_class(s, false, false);
		if (f == VMS_FRAME_NONE)
			f = find_class(s, true, true);
	}
	/* The hand stops on the victim; popping it moves the hand one past. */
	s->list.head = f;
	return vms_flist_pop_head(&s->list, s->link);
}

const struct vms_policy_ops vms_policy_eclock = {
	.name = "eclock",
	.summary = "enhanced second chance: prefer unreferenced, then clean pages (NRU classes)",
	.flags = VMS_POLICY_REFBITS,
	.create = vms_list_policy_create,
	.destroy = vms_list_policy_destroy,
	.victim = eclock_victim,
	.inserted = vms_list_policy_append,
	.removed = vms_list_policy_remove,
};
