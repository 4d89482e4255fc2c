/* SPDX-License-Identifier: MIT */
/*
 * LRU, exact: the resident frames in one list from least to most recently
 * used.  A hit moves its frame to the tail, a victim is the head: both O(1).
 * It needs every hit (VMS_POLICY_HITS), which the live pager only sees as
 * soft faults; replay sees them all.
 */
#include <errno.h>
#include <stdlib.h>

#include "framelist.h"
#include "vmsandbox/policy.h"

struct lru {
	struct vms_flist order;       /* head = least recently used */
	struct vms_flink *link;       /* per frame */
};

static int lru_create(const struct vms_policy_config *cfg, struct vms_frame_table *ft,
		      void **ret_state)
{
	struct lru *s = calloc(1, sizeof(*s));

	if (!s)
		return -ENOMEM;
	s->link = calloc(cfg->nr_frames, sizeof(*s->link));
	if (!s->link) {
		free(s);
		return -ENOMEM;
	}
	vms_flist_init(&s->order);
	*ret_state = s;
	return 0;
}

static void lru_destroy(void *state)
{
	struct lru *s = state;

	if (!s)
		return;
	free(s->link);
	free(s);
}

/* The hot path of replay: a few loads and stores, no branch but the one in
 * vms_flist_move_to_tail for "already most recent". */
static void lru_accessed(void *state, vms_frame_t f, const struct vms_ref *ref)
{
	struct lru *s = state;

	vms_flist_move_to_tail(&s->order, s->link, f);
}

static vms_frame_t lru_victim(void *state, const struct vms_ref *ref)
{
	struct lru *s = state;

	return vms_flist_pop_head(&s->order, s->link);
}

static void lru_inserted(void *state, vms_frame_t f, const struct vms_ref *ref)
{
	struct lru *s = state;

	vms_flist_push_tail(&s->order, s->link, f);
}

static void lru_removed(void *state, vms_frame_t f)
{
	struct lru *s = state;

	vms_flist_remove(&s->order, s->link, f);
}

const struct vms_policy_ops vms_policy_lru = {
	.name = "lru",
	.summary = "least recently used, exact: evict the page unused for longest",
	.flags = VMS_POLICY_HITS,
	.create = lru_create,
	.destroy = lru_destroy,
	.accessed = lru_accessed,
	.victim = lru_victim,
	.inserted = lru_inserted,
	.removed = lru_removed,
};
