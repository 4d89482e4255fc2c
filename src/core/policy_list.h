/* SPDX-License-Identifier: MIT */
/*
 * The state and the common hooks of the policies that keep their frames in
 * one list (FIFO, LRU: oldest first; Clock, Enhanced Clock: a ring whose
 * head is the hand).  New frames go to the tail; a removed frame leaves the
 * list, and if it was the head the head moves to the next frame, which is
 * what keeps a clock hand valid on unmap.  Internal to the core.
 */
#ifndef VMSANDBOX_POLICY_LIST_H
#define VMSANDBOX_POLICY_LIST_H

#include "framelist.h"
#include "vmsandbox/policy.h"

struct vms_list_policy {
	struct vms_flist list;        /* head = oldest, or the clock hand */
	struct vms_flink *link;       /* per frame */
	struct vms_frame_table *ft;   /* for the reference and dirty bits */
};

int vms_list_policy_create(const struct vms_policy_config *cfg, struct vms_frame_table *ft,
			   void **ret_state);
void vms_list_policy_destroy(void *state);
/* inserted(): the frame joins at the tail. */
void vms_list_policy_append(void *state, vms_frame_t f, const struct vms_ref *ref);
/* removed(): the frame leaves the list. */
void vms_list_policy_remove(void *state, vms_frame_t f);
/* victim() of FIFO and LRU: the head. */
vms_frame_t vms_list_policy_pop_head(void *state, const struct vms_ref *ref);

#endif
