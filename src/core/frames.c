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

/* The bits of a frame, kept in its primary mapping's entry. */
#define FRAME_BITS (VMS_PTE_REFERENCED | VMS_PTE_DIRTY | VMS_PTE_SWAPCACHE)

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
	for (uint32_t f = 0; f < ft->next_fresh; f++)
		while (ft->frames[f].more) {
			struct vms_frame_map *m = ft->frames[f].more;

			ft->frames[f].more = m->next;
			free(m);
		}
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

	if (ft->hooks && ft->hooks->freed)
		ft->hooks->freed(ft->hooks->ctx, f);

	fr->pte = NULL;
	fr->as = NULL;
	fr->vpn = 0;
	fr->cache_slot = VMS_SLOT_NONE;
	fr->more = NULL;      /* the caller removed every further mapping */
	fr->nr_more = 0;
	fr->next_free = ft->free_head;
	ft->free_head = f;
	ft->nr_used--;
}

int vms_frame_add_map(struct vms_frame_table *ft, vms_frame_t f, struct vms_as *as, vms_vpn_t vpn,
		      struct vms_pte *pte)
{
	struct vms_frame *fr = &ft->frames[f];
	struct vms_frame_map *m = malloc(sizeof(*m));

	if (!m)
		return -ENOMEM;
	*m = (struct vms_frame_map){ .next = fr->more, .pte = pte, .as = as, .vpn = vpn };
	pte->flags &= (uint16_t)~FRAME_BITS;
	fr->more = m;
	fr->nr_more++;
	return 0;
}

bool vms_frame_del_map(struct vms_frame_table *ft, vms_frame_t f, struct vms_pte *pte)
{
	struct vms_frame *fr = &ft->frames[f];
	struct vms_frame_map *m, **mm;

	if (fr->pte == pte) {
		uint16_t bits = pte->flags & FRAME_BITS;

		m = fr->more;
		if (!m)
			return true;
		fr->more = m->next;
		fr->nr_more--;
		fr->pte = m->pte;
		fr->as = m->as;
		fr->vpn = m->vpn;
		fr->pte->flags = (uint16_t)((fr->pte->flags & ~FRAME_BITS) | bits);
		pte->flags &= (uint16_t)~FRAME_BITS;
		free(m);
		return false;
	}
	for (mm = &fr->more; (m = *mm); mm = &m->next)
		if (m->pte == pte) {
			*mm = m->next;
			fr->nr_more--;
			free(m);
			break;
		}
	return false;
}

void vms_frame_move_map(struct vms_frame_table *ft, vms_frame_t f, struct vms_pte *old_pte,
			struct vms_pte *new_pte, vms_vpn_t vpn)
{
	struct vms_frame *fr = &ft->frames[f];

	if (fr->pte == old_pte) {
		fr->pte = new_pte;
		fr->vpn = vpn;
		return;
	}
	for (struct vms_frame_map *m = fr->more; m; m = m->next)
		if (m->pte == old_pte) {
			m->pte = new_pte;
			m->vpn = vpn;
			return;
		}
}
