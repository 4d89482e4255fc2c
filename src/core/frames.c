/* SPDX-License-Identifier: MIT */
/*
 * The global frame table.  Free frames form a LIFO list threaded through the
 * table, initialised so that frames are handed out in ascending order: a
 * fresh run is deterministic and frame numbers read naturally in traces.
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
	for (uint32_t f = 0; f < nr_frames; f++) {
		ft->frames[f].next_free = f + 1 < nr_frames ? f + 1 : VMS_FRAME_NONE;
		ft->frames[f].cache_slot = VMS_SLOT_NONE;
	}
	ft->free_head = 0;
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

	if (f == VMS_FRAME_NONE)
		return f;
	ft->free_head = ft->frames[f].next_free;
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
