/* SPDX-License-Identifier: MIT */
/*
 * The global frame table.  Freed frames form a LIFO list threaded through
 * the table; frames never used yet are handed out in ascending order after
 * it runs dry, so a fresh run is deterministic, frame numbers read naturally
 * in traces, and a huge budget (an observe-only live run gets one frame per
 * page of RAM) costs nothing until its frames are used: the table is
 * calloc'ed and never walked at init.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "vmsandbox/frames.h"

int vms_frames_init(struct vms_frame_table *ft, uint32_t nr_frames)
{
	memset(ft, 0, sizeof(*ft));
	if (nr_frames == 0 || nr_frames == VMS_FRAME_NONE)
		return -EINVAL;
	ft->frames = calloc(nr_frames, sizeof(*ft->frames));
	if (!ft->frames)
		return -ENOMEM;
	ft->nr_frames = nr_frames;
	ft->free_head = VMS_FRAME_NONE;
	ft->next_fresh = 0;
	return 0;
}

void vms_frames_fini(struct vms_frame_table *ft)
{
	if (!ft)
		return;
	free(ft->frames);
	memset(ft, 0, sizeof(*ft));
}

vms_frame_t vms_frames_alloc(struct vms_frame_table *ft)
{
	vms_frame_t f = ft->free_head;

	if (f == VMS_FRAME_NONE) {
		if (ft->next_fresh == ft->nr_frames)
			return VMS_FRAME_NONE;
		f = ft->next_fresh++;
		ft->frames[f].cache_slot = VMS_SLOT_NONE;
	} else {
		ft->free_head = ft->frames[f].next_free;
	}
	ft->frames[f].next_free = VMS_FRAME_NONE;
	ft->nr_used++;
	if (ft->nr_used > ft->peak_used)
		ft->peak_used = ft->nr_used;
	return f;
}

void vms_frames_free(struct vms_frame_table *ft, vms_frame_t f)
{
	struct vms_frame *fr = &ft->frames[f];

	fr->pte = NULL;
	fr->as = NULL;
	fr->vpn = 0;
	fr->cache_slot = VMS_SLOT_NONE;
	fr->next_free = ft->free_head;
	ft->free_head = f;
	ft->nr_used--;
}
