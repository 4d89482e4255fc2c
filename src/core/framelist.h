/* SPDX-License-Identifier: MIT */
/*
 * Doubly linked, circular lists of frames (or of any dense index: ARC
 * threads its ghost lists through node numbers), threaded through a link array
 * indexed by frame number (one array may carry several disjoint lists, as
 * ARC's T1 and T2 do).  O(1) insert, remove and move; no allocation.  Used by
 * the policies that keep frames in an order (FIFO, LRU, Clock, ARC, ...).
 * Internal to the core.
 */
#ifndef VMSANDBOX_FRAMELIST_H
#define VMSANDBOX_FRAMELIST_H

#include "vmsandbox/types.h"

struct vms_flink {
	vms_frame_t prev;
	vms_frame_t next;
};

struct vms_flist {
	vms_frame_t head;   /* oldest / least recent; VMS_FRAME_NONE if empty */
	uint32_t len;
};

static inline void vms_flist_init(struct vms_flist *l)
{
	l->head = VMS_FRAME_NONE;
	l->len = 0;
}

static inline vms_frame_t vms_flist_tail(const struct vms_flist *l, const struct vms_flink *k)
{
	return l->head == VMS_FRAME_NONE ? VMS_FRAME_NONE : k[l->head].prev;
}

/* Appends f at the tail (newest end). */
static inline void vms_flist_push_tail(struct vms_flist *l, struct vms_flink *k, vms_frame_t f)
{
	if (l->head == VMS_FRAME_NONE) {
		k[f].prev = k[f].next = f;
		l->head = f;
	} else {
		vms_frame_t tail = k[l->head].prev;

		k[f].prev = tail;
		k[f].next = l->head;
		k[tail].next = f;
		k[l->head].prev = f;
	}
	l->len++;
}

static inline void vms_flist_remove(struct vms_flist *l, struct vms_flink *k, vms_frame_t f)
{
	if (k[f].next == f) {
		l->head = VMS_FRAME_NONE;
	} else {
		k[k[f].prev].next = k[f].next;
		k[k[f].next].prev = k[f].prev;
		if (l->head == f)
			l->head = k[f].next;
	}
	k[f].prev = k[f].next = VMS_FRAME_NONE;
	l->len--;
}

/* Removes and returns the head (oldest), or VMS_FRAME_NONE. */
static inline vms_frame_t vms_flist_pop_head(struct vms_flist *l, struct vms_flink *k)
{
	vms_frame_t f = l->head;

	if (f != VMS_FRAME_NONE)
		vms_flist_remove(l, k, f);
	return f;
}

static inline void vms_flist_move_to_tail(struct vms_flist *l, struct vms_flink *k, vms_frame_t f)
{
	if (vms_flist_tail(l, k) == f)
		return;
	if (l->head == f) {
		/* circular: the head becomes the tail by moving the head on */
		l->head = k[f].next;
		return;
	}
	vms_flist_remove(l, k, f);
	vms_flist_push_tail(l, k, f);
}

#endif
