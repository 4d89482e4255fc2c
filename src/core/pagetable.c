/* SPDX-License-Identifier: MIT */
/*
 * Sparse four-level radix tree over 36-bit vpns (9 bits per level, as on
 * x86-64).  Interior nodes hold 512 child pointers and a count of non-NULL
 * children; leaves hold 512 entries of 16 bytes and a count of entries whose
 * state is not NONE.  Leaves are only freed by vms_pt_trim() and only when
 * empty, so pointers to entries stay valid while the entry is in use (the
 * frame table's reverse map relies on it).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "vmsandbox/pagetable.h"

struct vms_pt_node {
	void *child[VMS_PT_FANOUT];  /* vms_pt_node, or vms_pt_leaf at the last level */
	uint32_t nr_children;
};

struct vms_pt_leaf {
	struct vms_pte pte[VMS_PT_FANOUT];
	uint32_t nr_used;            /* entries with state != NONE */
};

#define LEAF_MASK ((vms_vpn_t)VMS_PT_FANOUT - 1)

static unsigned level_index(vms_vpn_t vpn, unsigned level)
{
	/* level 0 is the root; level VMS_PT_LEVELS-1 indexes the leaf */
	unsigned shift = VMS_PT_BITS * (VMS_PT_LEVELS - 1 - level);

	return (unsigned)((vpn >> shift) & LEAF_MASK);
}

int vms_pt_init(struct vms_pagetable *pt)
{
	memset(pt, 0, sizeof(*pt));
	pt->root = calloc(1, sizeof(*pt->root));
	if (!pt->root)
		return -ENOMEM;
	pt->nr_nodes = 1;
	pt->last_base = UINT64_MAX;
	return 0;
}

static void free_subtree(void *p, unsigned level)
{
	if (!p)
		return;
	if (level < VMS_PT_LEVELS - 1) {
		struct vms_pt_node *n = p;

		for (unsigned i = 0; i < VMS_PT_FANOUT && n->nr_children; i++)
			if (n->child[i]) {
				free_subtree(n->child[i], level + 1);
				n->nr_children--;
			}
	}
	free(p);
}

void vms_pt_fini(struct vms_pagetable *pt)
{
	if (!pt || !pt->root)
		return;
	free_subtree(pt->root, 0);
	memset(pt, 0, sizeof(*pt));
}

/* Interior levels above the leaf: VMS_PT_LEVELS-1 of them, the root first. */
static struct vms_pt_leaf *find_leaf(struct vms_pagetable *pt, vms_vpn_t vpn, bool create)
{
	vms_vpn_t base = vpn & ~LEAF_MASK;
	struct vms_pt_node *n = pt->root;

	if (base == pt->last_base)
		return pt->last_leaf;
	if (vpn > VMS_VPN_MAX)
		return NULL;
	for (unsigned level = 0; level < VMS_PT_LEVELS - 2; level++) {
		unsigned i = level_index(vpn, level);
		struct vms_pt_node *next = n->child[i];

		if (!next) {
			if (!create)
				return NULL;
			next = calloc(1, sizeof(*next));
			if (!next)
				return NULL;
			n->child[i] = next;
			n->nr_children++;
			pt->nr_nodes++;
		}
		n = next;
	}
	unsigned i = level_index(vpn, VMS_PT_LEVELS - 2);
	struct vms_pt_leaf *leaf = n->child[i];

	if (!leaf) {
		if (!create)
			return NULL;
		leaf = calloc(1, sizeof(*leaf));
		if (!leaf)
			return NULL;
		n->child[i] = leaf;
		n->nr_children++;
		pt->nr_leaves++;
	}
	pt->last_base = base;
	pt->last_leaf = leaf;
	return leaf;
}

struct vms_pte *vms_pt_lookup(struct vms_pagetable *pt, vms_vpn_t vpn)
{
	struct vms_pt_leaf *leaf = find_leaf(pt, vpn, false);

	return leaf ? &leaf->pte[vpn & LEAF_MASK] : NULL;
}

struct vms_pte *vms_pt_get(struct vms_pagetable *pt, vms_vpn_t vpn)
{
	struct vms_pt_leaf *leaf = find_leaf(pt, vpn, true);

	return leaf ? &leaf->pte[vpn & LEAF_MASK] : NULL;
}

void vms_pt_note_used(struct vms_pagetable *pt, vms_vpn_t vpn)
{
	struct vms_pt_leaf *leaf = find_leaf(pt, vpn, false);

	leaf->nr_used++;
	pt->nr_entries++;
}

void vms_pt_note_unused(struct vms_pagetable *pt, vms_vpn_t vpn)
{
	struct vms_pt_leaf *leaf = find_leaf(pt, vpn, false);

	leaf->nr_used--;
	pt->nr_entries--;
}

/*
 * Frees empty leaves (and interior nodes left empty) under node n, which
 * covers vpns from `base` at `level`.  Returns true if n itself is now empty.
 */
static bool trim_node(struct vms_pagetable *pt, struct vms_pt_node *n, unsigned level,
		      vms_vpn_t base, vms_vpn_t start, vms_vpn_t end)
{
	unsigned shift = VMS_PT_BITS * (VMS_PT_LEVELS - 1 - level);
	vms_vpn_t span = (vms_vpn_t)1 << shift;   /* vpns covered by one child */
	/* Only the children [first, last] overlap [start, end): an unmap of a
	 * few pages must not scan the whole fan-out at every level. */
	unsigned first = start > base ? (unsigned)((start - base) >> shift) : 0;
	vms_vpn_t last_vpn = end - 1 - base;
	unsigned last = (last_vpn >> shift) >= VMS_PT_FANOUT ? VMS_PT_FANOUT - 1
							     : (unsigned)(last_vpn >> shift);

	for (unsigned i = first; i <= last && n->nr_children; i++) {
		vms_vpn_t cbase = base + (vms_vpn_t)i * span;

		if (!n->child[i])
			continue;
		bool empty;

		if (level == VMS_PT_LEVELS - 2) {
			empty = ((struct vms_pt_leaf *)n->child[i])->nr_used == 0;
			if (empty) {
				if (pt->last_leaf == n->child[i])
					pt->last_base = UINT64_MAX;
				pt->nr_leaves--;
			}
		} else {
			empty = trim_node(pt, n->child[i], level + 1, cbase, start, end);
			if (empty)
				pt->nr_nodes--;
		}
		if (empty) {
			free(n->child[i]);
			n->child[i] = NULL;
			n->nr_children--;
		}
	}
	return n->nr_children == 0;
}

void vms_pt_trim(struct vms_pagetable *pt, vms_vpn_t start, vms_vpn_t end)
{
	if (start >= end)
		return;
	trim_node(pt, pt->root, 0, 0, start, end);
}

static int walk_node(struct vms_pt_node *n, unsigned level, vms_vpn_t base,
		     vms_vpn_t start, vms_vpn_t end, vms_pt_visit_fn fn, void *ctx)
{
	unsigned shift = VMS_PT_BITS * (VMS_PT_LEVELS - 1 - level);
	vms_vpn_t span = (vms_vpn_t)1 << shift;
	unsigned first = start > base ? (unsigned)((start - base) >> shift) : 0;

	for (unsigned i = first; i < VMS_PT_FANOUT; i++) {
		vms_vpn_t cbase = base + (vms_vpn_t)i * span;
		int r;

		if (cbase >= end)
			break;
		if (!n->child[i])
			continue;
		if (level == VMS_PT_LEVELS - 2) {
			struct vms_pt_leaf *leaf = n->child[i];
			unsigned lo = start > cbase ? (unsigned)(start - cbase) : 0;

			for (unsigned j = lo; j < VMS_PT_FANOUT && leaf->nr_used; j++) {
				vms_vpn_t vpn = cbase + j;

				if (vpn >= end)
					break;
				if (vms_pte_state(&leaf->pte[j]) == VMS_PTE_NONE)
					continue;
				r = fn(ctx, vpn, &leaf->pte[j]);
				if (r)
					return r;
			}
		} else {
			r = walk_node(n->child[i], level + 1, cbase, start, end, fn, ctx);
			if (r)
				return r;
		}
	}
	return 0;
}

int vms_pt_walk(struct vms_pagetable *pt, vms_vpn_t start, vms_vpn_t end,
		vms_pt_visit_fn fn, void *ctx)
{
	if (end > VMS_VPN_MAX + 1)
		end = VMS_VPN_MAX + 1;
	if (start >= end)
		return 0;
	return walk_node(pt->root, 0, 0, start, end, fn, ctx);
}

uint64_t vms_pt_bytes(const struct vms_pagetable *pt)
{
	return pt->nr_nodes * sizeof(struct vms_pt_node) +
	       pt->nr_leaves * sizeof(struct vms_pt_leaf);
}
