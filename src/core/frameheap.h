/* SPDX-License-Identifier: MIT */
/*
 * A binary heap of frames with a position index per frame, for the policies
 * that order frames by a key (LFU by count, OPT by next use).  The heap
 * lives in the policy's own state so that the ordering predicate and the
 * position field are inlined, not called through a pointer:
 *
 *   VMS_FRAMEHEAP_DEFINE(STATE, BEFORE, POS)
 *
 * generates static heap_set, sift_up, sift_down, heap_fix, heap_push and
 * heap_delete
 * over `struct STATE`, which must have `vms_frame_t *heap` and `uint32_t
 * nr_used`.  BEFORE(s, a, b) is true when frame a must leave before frame b
 * (heap[0] is the next victim); POS(s, f) is an lvalue holding f's index in
 * the heap.  Every operation is O(log n).  Internal to the core.
 */
#ifndef VMSANDBOX_FRAMEHEAP_H
#define VMSANDBOX_FRAMEHEAP_H

#include "vmsandbox/types.h"

#define VMS_FRAMEHEAP_DEFINE(STATE, BEFORE, POS)					\
static inline void heap_set(struct STATE *s, uint32_t i, vms_frame_t f)			\
{											\
	s->heap[i] = f;									\
	POS(s, f) = i;									\
}											\
											\
static void sift_up(struct STATE *s, uint32_t i)					\
{											\
	vms_frame_t f = s->heap[i];							\
											\
	while (i > 0) {									\
		uint32_t parent = (i - 1) / 2;						\
											\
		if (!BEFORE(s, f, s->heap[parent]))					\
			break;								\
		heap_set(s, i, s->heap[parent]);					\
		i = parent;								\
	}										\
	heap_set(s, i, f);								\
}											\
											\
static void sift_down(struct STATE *s, uint32_t i)					\
{											\
	vms_frame_t f = s->heap[i];							\
											\
	for (;;) {									\
		uint32_t child = 2 * i + 1;						\
											\
		if (child >= s->nr_used)						\
			break;								\
		if (child + 1 < s->nr_used && BEFORE(s, s->heap[child + 1], s->heap[child])) \
			child++;							\
		if (!BEFORE(s, s->heap[child], f))					\
			break;								\
		heap_set(s, i, s->heap[child]);						\
		i = child;								\
	}										\
	heap_set(s, i, f);								\
}											\
											\
/* Restores the heap after the entry at index i changed its key either way. */	\
static void heap_fix(struct STATE *s, uint32_t i)					\
{											\
	if (i > 0 && BEFORE(s, s->heap[i], s->heap[(i - 1) / 2]))			\
		sift_up(s, i);								\
	else										\
		sift_down(s, i);							\
}											\
											\
/* Adds frame f, whose key is already set. */					\
static void heap_push(struct STATE *s, vms_frame_t f)					\
{											\
	heap_set(s, s->nr_used, f);							\
	sift_up(s, s->nr_used++);							\
}											\
											\
/* Takes the entry at heap index i out, keeping the heap valid. */		\
static void heap_delete(struct STATE *s, uint32_t i)					\
{											\
	vms_frame_t last = s->heap[--s->nr_used];					\
											\
	if (i == s->nr_used)								\
		return;									\
	heap_set(s, i, last);								\
	heap_fix(s, i);									\
}

#endif
