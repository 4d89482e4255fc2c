/* SPDX-License-Identifier: MIT */
/*
 * FIFO: evict the page that has been resident longest.  Hits change nothing,
 * which is what makes Belady's anomaly possible.
 */
#include <errno.h>
#include <stdlib.h>

#include "framelist.h"
#include "vmsandbox/policy.h"

struct fifo {
	struct vms_flist queue;     /* head = loaded first */
	struct vms_flink *link;     /* per frame */
};

static int fifo_create(const struct vms_policy_config *cfg, struct vms_frame_table *ft,
		       void **ret_state)
{
	struct fifo *s = calloc(1, sizeof(*s));

	if (!s)
		return -ENOMEM;
	s->link = calloc(cfg->nr_frames, sizeof(*s->link));
	if (!s->link) {
		free(s);
		return -ENOMEM;
	}
	vms_flist_init(&s->queue);
	*ret_state = s;
	return 0;
}

static void fifo_destroy(void *state)
{
	struct fifo *s = state;

	if (!s)
		return;
	free(s->link);
	free(s);
}

static vms_frame_t fifo_victim(void *state, const struct vms_ref *ref)
{
	struct fifo *s = state;

	return vms_flist_pop_head(&s->queue, s->link);
}

static void fifo_inserted(void *state, vms_frame_t f, const struct vms_ref *ref)
{
	struct fifo *s = state;

	vms_flist_push_tail(&s->queue, s->link, f);
}

static void fifo_removed(void *state, vms_frame_t f)
{
	struct fifo *s = state;

	vms_flist_remove(&s->queue, s->link, f);
}

const struct vms_policy_ops vms_policy_fifo = {
	.name = "fifo",
	.summary = "first in, first out: evict the page loaded longest ago",
	.flags = 0,
	.create = fifo_create,
	.destroy = fifo_destroy,
	.victim = fifo_victim,
	.inserted = fifo_inserted,
	.removed = fifo_removed,
};
