/* SPDX-License-Identifier: MIT */
/*
 * The frame table: the global budget of physical frames shared by every
 * address space, with a reverse map from each frame to the page table
 * entries that map it.  The number of frames in use can never exceed
 * nr_frames, because a page is only resident while it maps a frame.
 *
 * After a fork, parent and child map the same frames until one of them
 * writes (copy-on-write, as the kernel shares anonymous pages): a frame has
 * one primary mapping (pte/as/vpn, whose entry holds the frame's referenced,
 * dirty and swap-cache bits, which the policies read) and a list of further
 * mappings, whose entries are RESIDENT with the frame's number and none of
 * those bits.  The frame is one frame of the budget however many map it.
 */
#ifndef VMSANDBOX_FRAMES_H
#define VMSANDBOX_FRAMES_H

#include "vmsandbox/pagetable.h"
#include "vmsandbox/types.h"

struct vms_as;

/* A further mapping of a shared frame. */
struct vms_frame_map {
	struct vms_frame_map *next;
	struct vms_pte *pte;
	struct vms_as *as;
	vms_vpn_t vpn;
};

struct vms_frame {
	struct vms_pte *pte;     /* primary mapping; NULL while the frame is free */
	struct vms_as *as;       /* its address space */
	vms_vpn_t vpn;           /* its page */
	vms_slot_t cache_slot;   /* valid swap copy of this page, or VMS_SLOT_NONE */
	vms_frame_t next_free;   /* free-list link while free */
	uint32_t nr_more;        /* further mappings (shared after fork) */
	struct vms_frame_map *more;
};

/*
 * What the owner of the frame table (the engine, for its live backend) hears
 * of: a policy clearing a page's reference bit (the live pager soft-unmaps
 * the page, so that its next touch is seen and sets the bit again), and a
 * frame being freed (whatever the pager kept about the frame is stale).
 * Either may be NULL; replay has no hooks.
 */
struct vms_frame_hooks {
	void *ctx;
	void (*unreferenced)(void *ctx, vms_frame_t f);
	void (*freed)(void *ctx, vms_frame_t f);
};

struct vms_frame_table {
	struct vms_frame *frames;  /* nr_frames entries */
	const struct vms_frame_hooks *hooks;   /* NULL: none */
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

static inline bool vms_frame_shared(const struct vms_frame_table *ft, vms_frame_t f)
{
	return ft->frames[f].more != NULL;
}

/* Adds a mapping (fork); -ENOMEM. */
int vms_frame_add_map(struct vms_frame_table *ft, vms_frame_t f, struct vms_as *as, vms_vpn_t vpn,
		      struct vms_pte *pte);
/*
 * Removes the mapping through pte.  If it was the primary, the next mapping
 * becomes primary and takes over the frame's bits.  Returns true when the
 * frame has no mapping left (the caller frees it).
 */
bool vms_frame_del_map(struct vms_frame_table *ft, vms_frame_t f, struct vms_pte *pte);
/* The mapping through old_pte moved to new_pte at vpn (mremap). */
void vms_frame_move_map(struct vms_frame_table *ft, vms_frame_t f, struct vms_pte *old_pte,
			struct vms_pte *new_pte, vms_vpn_t vpn);

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
	struct vms_pte *pte = ft->frames[f].pte;

	if (!(pte->flags & VMS_PTE_REFERENCED))
		return;
	pte->flags &= (uint16_t)~VMS_PTE_REFERENCED;
	if (ft->hooks && ft->hooks->unreferenced)
		ft->hooks->unreferenced(ft->hooks->ctx, f);
}

static inline bool vms_frame_dirty(const struct vms_frame_table *ft, vms_frame_t f)
{
	return (ft->frames[f].pte->flags & VMS_PTE_DIRTY) != 0;
}

#endif
