/* SPDX-License-Identifier: MIT */
/*
 * The page table of one address space: a sparse radix tree over 36-bit
 * virtual page numbers, four levels of 9 bits like x86-64's, with one
 * 16-byte entry per page in the leaves.
 *
 * Entries are never moved once allocated (leaves are freed only when they
 * hold no entry at all), so the frame table may keep pointers to them as its
 * reverse map.
 */
#ifndef VMSANDBOX_PAGETABLE_H
#define VMSANDBOX_PAGETABLE_H

#include "vmsandbox/types.h"

enum vms_pte_state {
	VMS_PTE_NONE = 0,     /* never touched, or its contents discarded */
	VMS_PTE_RESIDENT = 1, /* payload = frame number */
	VMS_PTE_SWAPPED = 2,  /* payload = swap slot */
	VMS_PTE_SAME = 3,     /* payload = the 64-bit word the page is filled with */
};

#define VMS_PTE_STATE_MASK  0x3u
#define VMS_PTE_REFERENCED  0x4u  /* the MMU's accessed bit, as emulated */
#define VMS_PTE_DIRTY       0x8u  /* written since it was last made clean */
#define VMS_PTE_EVER_SWAPPED 0x10u /* has been evicted at least once (profiler) */
#define VMS_PTE_SWAPCACHE   0x20u /* resident and its frame's cache_slot is set: a
				     * mirror that spares the hit path a frame access */

struct vms_pte {
	uint64_t payload;     /* frame, slot or fill value, by state */
	uint16_t flags;       /* state in the low 2 bits, then VMS_PTE_* bits */
	uint16_t nr_evictions; /* saturating */
	uint32_t nr_faults;   /* saturating; every fault that filled this page */
};

static inline enum vms_pte_state vms_pte_state(const struct vms_pte *pte)
{
	return (enum vms_pte_state)(pte->flags & VMS_PTE_STATE_MASK);
}

static inline void vms_pte_set_state(struct vms_pte *pte, enum vms_pte_state s)
{
	pte->flags = (uint16_t)((pte->flags & ~VMS_PTE_STATE_MASK) | (unsigned)s);
}

#define VMS_PT_LEVELS      4
#define VMS_PT_BITS        9
#define VMS_PT_FANOUT      (1u << VMS_PT_BITS)

struct vms_pt_node;
struct vms_pt_leaf;

struct vms_pagetable {
	struct vms_pt_node *root;
	/* One-entry lookup cache: the leaf that covers last_base .. +511. */
	struct vms_pt_leaf *last_leaf;
	vms_vpn_t last_base;
	uint64_t nr_entries;     /* entries whose state is not NONE */
	uint64_t nr_leaves;
	uint64_t nr_nodes;       /* interior nodes, root included */
};

/* Statistics over all page tables, for the "bytes per tracked page" figure. */
struct vms_pt_memory {
	uint64_t bytes;
	uint64_t nr_entries;
};

int vms_pt_init(struct vms_pagetable *pt);
/* Frees every node.  The caller has already released frames and slots. */
void vms_pt_fini(struct vms_pagetable *pt);

/* The entry for vpn, or NULL if its leaf does not exist.  Never allocates. */
struct vms_pte *vms_pt_lookup(struct vms_pagetable *pt, vms_vpn_t vpn);

/*
 * The entry for vpn, creating the path to it.  A new entry is all zero
 * (state NONE).  Returns NULL only when memory is exhausted.
 */
struct vms_pte *vms_pt_get(struct vms_pagetable *pt, vms_vpn_t vpn);

/*
 * Bookkeeping when an entry's state changes between NONE and not NONE: the
 * counts tell vms_pt_trim which leaves are empty.  Never frees anything, so
 * a walk may change entries freely.
 */
void vms_pt_note_used(struct vms_pagetable *pt, vms_vpn_t vpn);
void vms_pt_note_unused(struct vms_pagetable *pt, vms_vpn_t vpn);

/* Frees the leaves and interior nodes in [start, end) that hold no entry. */
void vms_pt_trim(struct vms_pagetable *pt, vms_vpn_t start, vms_vpn_t end);

/*
 * Calls fn on every entry with state != NONE in [start, end), in ascending
 * vpn order.  fn may change the entry (to NONE too, then it calls
 * vms_pt_note_unused).  A non-zero return from fn stops the walk and is
 * returned.
 */
typedef int (*vms_pt_visit_fn)(void *ctx, vms_vpn_t vpn, struct vms_pte *pte);
int vms_pt_walk(struct vms_pagetable *pt, vms_vpn_t start, vms_vpn_t end,
		vms_pt_visit_fn fn, void *ctx);

/* Bytes held by this page table's nodes and leaves. */
uint64_t vms_pt_bytes(const struct vms_pagetable *pt);

#endif
