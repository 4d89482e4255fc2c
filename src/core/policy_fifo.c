/* SPDX-License-Identifier: MIT */
/*
 * FIFO: evict the page that has been resident longest.  Hits change nothing,
 * which is what makes Belady's anomaly possible.  The list, oldest first, is
 * the shared one of policy_list.c.
 */
#include "policy_list.h"

const struct vms_policy_ops vms_policy_fifo = {
	.name = "fifo",
	.summary = "first in, first out: evict the page loaded longest ago",
	.flags = 0,
	.create = vms_list_policy_create,
	.destroy = vms_list_policy_destroy,
	.victim = vms_list_policy_pop_head,
	.inserted = vms_list_policy_append,
	.removed = vms_list_policy_remove,
};
