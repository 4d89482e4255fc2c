/* SPDX-License-Identifier: MIT */
/*
 * The frame table: the global budget of physical frames shared by every
 * address space, with a reverse map from each frame to the page table entry
 * that maps it.  The number of resident pages can never exceed nr_frames,
 * because a page is only resident while it owns a frame.
 */
#ifndef VMSANDBOX_FRAMES_H
#define VMSANDBOX_FRAMES_H

#include "vmsandbox/pagetable.h"
#include "vmsandbox/types.h"

struct vms_as;

struct vms_frame {
	struct vms_pte *pte;     /* reverse map; NULL while the frame is free */
	struct vms_as *as;       /* owner address space */
	vms_vpn_t vpn;           /* page of `as` held in this frame */
	vms_slot_t cache_slot;   /* valid swap copy of this page, or VMS_SLOT_NONE */
	vms_frame_t next_free;   /* free-list link while free */
};

struct vms_frame_table {
	struct vms_frame *frames;  /* nr_frames entries */
	uint32_t nr_frames;        /* the budget */
	uint32_t nr_used;          /* resident pages, always <= nr_frames */
	uint32_t peak_used;
	vms_frame_t free_head;     /* freed frames; VMS_FRAME_NONE when none */
	uint32_t next_fresh;       /* frames >= this were never used (and are free) */
};

int vms_frames_init(struct vms_frame_table *ft, uint32_t nr_frames);
void vms_frames_fini(struct vms_frame_table *ft);

/* A free frame, or VMS_FRAME_NONE if all nr_frames are in use. */
vms_frame_t vms_frames_alloc(struct vms_frame_table *ft);
void vms_frames_free(struct vms_frame_table *ft, vms_frame_t f);

static inline struct vms_frame *vms_frame(struct vms_frame_table *ft, vms_frame_t f)
{
	return &ft->frames[f];
}

static inline bool vms_frame_in_use(const struct vms_frame_table *ft, vms_frame_t f)
{
	return ft->frames[f].pte != NULL;
}

/* The MMU's bits of the page in frame f, as the policies read and clear them. */
static inline bool vms_frame_referenced(const struct vms_frame_table *ft, vms_frame_t f)
{
	return (ft->frames[f].pte->flags & VMS_PTE_REFERENCED) != 0;
}

static inline void vms_frame_clear_referenced(struct vms_frame_table *ft, vms_frame_t f)
{
	ft->frames[f].pte->flags &= (uint16_t)~VMS_PTE_REFERENCED;
}

static inline bool vms_frame_dirty(const struct vms_frame_table *ft, vms_frame_t f)
{
	return (ft->frames[f].pte->flags & VMS_PTE_DIRTY) != 0;
}

#endif
