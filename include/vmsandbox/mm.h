/* SPDX-License-Identifier: MIT */
/*
 * The engine: one memory manager for a tree of address spaces sharing one
 * frame budget, one replacement policy, one swap store and an optional TLB
 * model.  `vmsandbox replay` drives it with references from a trace; the
 * live pager drives it with faults and supplies page contents through a
 * backend.  Deterministic: the same calls give the same results.
 *
 * Swap slot ownership, the rule everything else follows: a SWAPPED entry
 * holds one reference on its slot; a resident page whose swap copy is still
 * valid (clean since it was swapped in, the "swap cache") holds one reference
 * through its frame's cache_slot.  Fork duplicates references, so parent and
 * child share a slot until either writes (copy-on-write).
 */
#ifndef VMSANDBOX_MM_H
#define VMSANDBOX_MM_H

#include "vmsandbox/frames.h"
#include "vmsandbox/pagetable.h"
#include "vmsandbox/policy.h"
#include "vmsandbox/stats.h"
#include "vmsandbox/swap.h"
#include "vmsandbox/tlb.h"
#include "vmsandbox/types.h"

struct vms_mm;

/* Per address space counters (the report's per-process breakdown). */
struct vms_as_stats {
	uint64_t references;
	uint64_t faults;
	uint64_t faults_swapin;
	uint64_t evictions;        /* of this address space's pages */
	uint64_t cow_faults;       /* writes that unshared a frame shared since a fork */
	uint32_t resident;         /* pages resident now (shared frames count in each) */
	uint32_t peak_resident;
};

struct vms_as {
	uint32_t id;               /* the pid in live runs and traces; the TLB's ASID */
	struct vms_pagetable pt;
	struct vms_as_stats stats;
	struct vms_as *hash_next;  /* engine's id lookup */
	void *owner;               /* the caller's (live pager: its process); never read here */
};

/*
 * What the engine needs from the live pager to move page contents; NULL in
 * replay, where pages have no contents and swap slots are only reserved.
 * Each returns 0 or -errno; a failure aborts the operation that called it.
 */
struct vms_mm_backend {
	void *ctx;
	/* Evicting a dirty page: remove it from the process and give its
	 * bytes, atomically with respect to writers of the process. */
	int (*take_page)(void *ctx, struct vms_as *as, vms_vpn_t vpn, void *buf);
	/* Evicting a clean page whose bytes are already in swap: discard it. */
	int (*drop_page)(void *ctx, struct vms_as *as, vms_vpn_t vpn);
	/* Undo take_page when the bytes could not be stored (swap full): put
	 * them back so that nothing is lost. */
	int (*restore_page)(void *ctx, struct vms_as *as, vms_vpn_t vpn, const void *buf);
	/* Fork: read a resident page without removing it.  Its bytes become
	 * its swap copy (the page is clean afterwards), so the backend must
	 * make the page's next write visible as a write reference. */
	int (*peek_page)(void *ctx, struct vms_as *as, vms_vpn_t vpn, void *buf);
	/* Optional.  The policy cleared the reference bit of the page in
	 * frame f (a clock hand passing it): the live pager soft-unmaps the
	 * page so that its next touch is seen and sets the bit again. */
	void (*unreferenced)(void *ctx, vms_frame_t f);
	/* Optional.  Frame f is free again (its page was evicted, unmapped,
	 * or its process ended): what the backend kept about it is stale. */
	void (*frame_freed)(void *ctx, vms_frame_t f);
};

struct vms_mm_config {
	uint32_t nr_frames;                     /* the budget, >= 1 */
	const struct vms_policy_ops *policy;
	struct vms_policy_config policy_cfg;    /* nr_frames is filled in by the engine */
	struct vms_swap_config swap;
	struct vms_tlb_geom tlb;                /* nr_levels == 0: no TLB model */
	const struct vms_mm_backend *backend;   /* NULL: simulation only */
};

enum vms_ref_outcome {
	VMS_REF_HIT,
	VMS_REF_FAULT_ZERO,    /* first touch (or after discard): fill with zeros */
	VMS_REF_FAULT_SWAPIN,  /* fill from swap slot `slot` */
	VMS_REF_FAULT_SAME,    /* fill with the 64-bit word `value` */
	VMS_REF_COW,           /* a write to a frame shared since a fork: the page
				* has a frame of its own now; the process keeps its
				* bytes (the kernel copies them on the write) */
};

struct vms_ref_result {
	enum vms_ref_outcome outcome;
	vms_frame_t frame;
	vms_slot_t slot;        /* SWAPIN: the slot to read (still valid, now the swap cache) */
	uint64_t value;         /* SAME */
	bool evicted;           /* a page was evicted to make room */
	vms_key_t victim;       /* which one */
	int tlb_level;          /* vms_tlb_access() result, or -1 without a TLB model */
	bool tlb_displaced;     /* the TLB's fill pushed another page out of its first level */
	vms_key_t tlb_displaced_key;
};

int vms_mm_new(const struct vms_mm_config *cfg, struct vms_mm **ret);
/* Destroys every address space, then the engine. */
void vms_mm_free(struct vms_mm *mm);

int vms_mm_as_new(struct vms_mm *mm, uint32_t id, struct vms_as **ret);
struct vms_as *vms_mm_as_find(struct vms_mm *mm, uint32_t id);
/*
 * Fork: the child gets the parent's pages.  Swapped pages share the slot;
 * resident pages are snapshotted into swap once (the parent's frame keeps
 * the slot as its swap cache), so the child faults them in on first touch
 * and the budget is never exceeded.  -EEXIST if child_id is taken,
 * -ENOSPC if swap is full (the child is not created).
 */
int vms_mm_as_clone(struct vms_mm *mm, struct vms_as *parent, uint32_t child_id,
		    struct vms_as **ret);
/*
 * Fork of a live process, as the kernel forks: the child maps the parent's
 * resident frames (copy-on-write: one frame of the budget for both, until
 * either writes, which vms_mm_ref() reports as VMS_REF_COW and gives the
 * writer a frame of its own); swapped and same-filled pages are shared as
 * in vms_mm_as_clone.  Evicting a shared frame takes it out of every
 * process that maps it; a mapping whose bytes differ from the others' (the
 * caller could not see a write) gets its own slot.
 */
int vms_mm_as_clone_live(struct vms_mm *mm, struct vms_as *parent, uint32_t child_id,
			 struct vms_as **ret);
/* Exit: frees the address space's frames, slots and page table. */
void vms_mm_as_destroy(struct vms_mm *mm, struct vms_as *as);

/*
 * One reference to page vpn.  Returns 0 with *ret filled, or -ENOSPC when a
 * frame was needed, every frame was in use and the victim could not be
 * stored (swap full: the caller's OOM), -ENOMEM, or a backend error.  On
 * error nothing about the referenced page has changed.  A restore_page
 * error is returned in place of -ENOSPC: the victim is then in neither the
 * process nor swap, and the caller must stop the program.
 */
int vms_mm_ref(struct vms_mm *mm, struct vms_as *as, vms_vpn_t vpn, bool write,
	       uint64_t next_use, struct vms_ref_result *ret);

/*
 * Fault-around: gives page vpn a free frame without a reference, if it was
 * never touched (state NONE) and a frame is free.  Returns 1 if it did (the
 * caller fills it with zeros), 0 if not, -ENOMEM.  Never evicts.
 */
int vms_mm_populate(struct vms_mm *mm, struct vms_as *as, vms_vpn_t vpn);

/* munmap / MADV_DONTNEED: the range's contents are gone (next touch is zero). */
void vms_mm_unmap(struct vms_mm *mm, struct vms_as *as, vms_vpn_t start, uint64_t nr_pages);
/*
 * mremap move: the pages of [old, old+n) now live at [new, new+n); whatever
 * was at the destination is discarded.  -EINVAL if the ranges overlap.
 */
int vms_mm_remap(struct vms_mm *mm, struct vms_as *as, vms_vpn_t old_start,
		 uint64_t nr_pages, vms_vpn_t new_start);

const struct vms_mm_stats *vms_mm_stats(const struct vms_mm *mm);
const struct vms_frame_table *vms_mm_frames(const struct vms_mm *mm);
struct vms_swap *vms_mm_swap(struct vms_mm *mm);
/* NULL without a TLB model. */
const struct vms_tlb *vms_mm_tlb(const struct vms_mm *mm);
const char *vms_mm_policy_name(const struct vms_mm *mm);
/* Bytes of engine metadata (page tables), and entries in use, over all address spaces. */
struct vms_pt_memory vms_mm_pt_memory(const struct vms_mm *mm);
/* Calls fn for every address space, in creation order. */
void vms_mm_for_each_as(struct vms_mm *mm, void (*fn)(void *ctx, struct vms_as *as), void *ctx);

/*
 * Checks every invariant the engine promises (resident <= frames, rmap and
 * page tables agree, slot references balance) and returns 0 or -EUCLEAN
 * with a description in msg.  O(pages); for tests.
 */
int vms_mm_check(struct vms_mm *mm, char *msg, size_t msglen);

#endif
