/* SPDX-License-Identifier: MIT */
/*
 * LRU, exact: the resident frames in one list from least to most recently
 * used.  A hit moves its frame to the tail, a victim is the head: both O(1).
 * It needs every hit (VMS_POLICY_HITS), which the live pager only sees as
 * soft faults; replay sees them all.
 */
#include "policy_list.h"

/* The shared list is ordered from least to most recently used. */
static void lru_accessed(void *state, vms_frame_t f, const struct vms_ref *ref)
{
	struct vms_list_policy *s = state;

	vms_flist_move_to_tail(&s->list, s->link, f);
}

const struct vms_policy_ops vms_policy_lru = {
	.name = "lru",
	.summary = "least recently used, exact: evict the page unused for longest",
	.flags = VMS_POLICY_HITS,
	.create = vms_list_policy_create,
	.destroy = vms_list_policy_destroy,
	.accessed = lru_accessed,
	.victim = vms_list_policy_pop_head,
	.inserted = vms_list_policy_append,
	.removed = vms_list_policy_remove,
};
