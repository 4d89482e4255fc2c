/* SPDX-License-Identifier: MIT */
/*
 * The engine: page tables, the frame table, the policy, swap and the TLB
 * model, combined into the operations a memory manager performs.  See mm.h
 * for the slot ownership rule; every function below keeps it.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vmsandbox/mm.h"

#define AS_HASH_BUCKETS 256u

struct vms_mm {
	struct vms_frame_table ft;
	struct vms_policy policy;
	struct vms_swap *swap;
	struct vms_tlb *tlb;
	const struct vms_mm_backend *backend;
	struct vms_mm_stats stats;
	struct vms_as *as_hash[AS_HASH_BUCKETS];
	struct vms_as **as_list;      /* creation order */
	size_t nr_as;
	size_t as_list_cap;
	unsigned char *page_buf;      /* VMS_PAGE_SIZE, for backend transfers */
};

static struct vms_as **as_bucket(struct vms_mm *mm, uint32_t id)
{
	return &mm->as_hash[(id * 2654435761u) % AS_HASH_BUCKETS];
}

int vms_mm_new(const struct vms_mm_config *cfg, struct vms_mm **ret)
{
	struct vms_policy_config pcfg;
	struct vms_mm *mm;
	int r;

	if (!cfg->policy || cfg->nr_frames == 0 || cfg->nr_frames == VMS_FRAME_NONE)
		return -EINVAL;
	mm = calloc(1, sizeof(*mm));
	if (!mm)
		return -ENOMEM;
	mm->backend = cfg->backend;
	r = vms_frames_init(&mm->ft, cfg->nr_frames);
	if (r < 0)
		goto err_free;
	pcfg = cfg->policy_cfg;
	pcfg.nr_frames = cfg->nr_frames;
	r = vms_policy_create(&mm->policy, cfg->policy, &pcfg, &mm->ft);
	if (r < 0)
		goto err_frames;
	r = vms_swap_new(&cfg->swap, &mm->swap);
	if (r < 0)
		goto err_policy;
	if (cfg->tlb.nr_levels) {
		r = vms_tlb_new(&cfg->tlb, &mm->tlb);
		if (r < 0)
			goto err_swap;
	}
	mm->page_buf = malloc(VMS_PAGE_SIZE);
	if (!mm->page_buf) {
		r = -ENOMEM;
		goto err_tlb;
	}
	*ret = mm;
	return 0;

err_tlb:
	vms_tlb_free(mm->tlb);
err_swap:
	vms_swap_free(mm->swap);
err_policy:
	vms_policy_destroy(&mm->policy);
err_frames:
	vms_frames_fini(&mm->ft);
err_free:
	free(mm);
	return r;
}

void vms_mm_free(struct vms_mm *mm)
{
	if (!mm)
		return;
	while (mm->nr_as)
		vms_mm_as_destroy(mm, mm->as_list[mm->nr_as - 1]);
	free(mm->as_list);
	free(mm->page_buf);
	vms_tlb_free(mm->tlb);
	vms_swap_free(mm->swap);
	vms_policy_destroy(&mm->policy);
	vms_frames_fini(&mm->ft);
	free(mm);
}

struct vms_as *vms_mm_as_find(struct vms_mm *mm, uint32_t id)
{
	for (struct vms_as *as = *as_bucket(mm, id); as; as = as->hash_next)
		if (as->id == id)
			return as;
	return NULL;
}

int vms_mm_as_new(struct vms_mm *mm, uint32_t id, struct vms_as **ret)
{
	struct vms_as *as;
	int r;

	if (id > VMS_ASID_MAX)
		return -EINVAL;
	if (vms_mm_as_find(mm, id))
		return -EEXIST;
	if (mm->nr_as == mm->as_list_cap) {
		size_t cap = mm->as_list_cap ? mm->as_list_cap * 2 : 16;
		struct vms_as **list = realloc(mm->as_list, cap * sizeof(*list));

		if (!list)
			return -ENOMEM;
		mm->as_list = list;
		mm->as_list_cap = cap;
	}
	as = calloc(1, sizeof(*as));
	if (!as)
		return -ENOMEM;
	r = vms_pt_init(&as->pt);
	if (r < 0) {
		free(as);
		return r;
	}
	as->id = id;
	as->hash_next = *as_bucket(mm, id);
	*as_bucket(mm, id) = as;
	mm->as_list[mm->nr_as++] = as;
	*ret = as;
	return 0;
}

/* Releases whatever an entry holds (frame, slot, swap cache) and clears it. */
static void release_pte(struct vms_mm *mm, struct vms_as *as, vms_vpn_t vpn, struct vms_pte *pte)
{
	switch (vms_pte_state(pte)) {
	case VMS_PTE_RESIDENT: {
		vms_frame_t f = (vms_frame_t)pte->payload;
		struct vms_frame *fr = vms_frame(&mm->ft, f);

		mm->policy.ops->removed(mm->policy.state, f);
		if (fr->cache_slot != VMS_SLOT_NONE)
			vms_swap_release(mm->swap, fr->cache_slot);
		vms_frames_free(&mm->ft, f);
		as->stats.resident--;
		mm->stats.unmapped_resident++;
		break;
	}
	case VMS_PTE_SWAPPED:
		vms_swap_release(mm->swap, (vms_slot_t)pte->payload);
		break;
	case VMS_PTE_SAME:
	case VMS_PTE_NONE:
		break;
	}
	memset(pte, 0, sizeof(*pte));
	vms_pt_note_unused(&as->pt, vpn);
}

struct release_ctx {
	struct vms_mm *mm;
	struct vms_as *as;
};

static int release_visit(void *ctx, vms_vpn_t vpn, struct vms_pte *pte)
{
	struct release_ctx *c = ctx;

	release_pte(c->mm, c->as, vpn, pte);
	return 0;
}

void vms_mm_unmap(struct vms_mm *mm, struct vms_as *as, vms_vpn_t start, uint64_t nr_pages)
{
	struct release_ctx c = { mm, as };
	vms_vpn_t end;

	if (start > VMS_VPN_MAX || nr_pages == 0)
		return;
	end = nr_pages > VMS_VPN_MAX + 1 - start ? VMS_VPN_MAX + 1 : start + nr_pages;
	vms_pt_walk(&as->pt, start, end, release_visit, &c);
	vms_pt_trim(&as->pt, start, end);
	if (mm->tlb)
		vms_tlb_shootdown_range(mm->tlb, as->id, start, end);
}

void vms_mm_as_destroy(struct vms_mm *mm, struct vms_as *as)
{
	struct release_ctx c = { mm, as };
	struct vms_as **pp;

	if (!as)
		return;
	vms_pt_walk(&as->pt, 0, VMS_VPN_MAX + 1, release_visit, &c);
	vms_pt_fini(&as->pt);
	if (mm->tlb)
		vms_tlb_flush_asid(mm->tlb, as->id);
	for (pp = as_bucket(mm, as->id); *pp != as; pp = &(*pp)->hash_next)
		;
	*pp = as->hash_next;
	for (size_t i = 0; i < mm->nr_as; i++)
		if (mm->as_list[i] == as) {
			memmove(&mm->as_list[i], &mm->as_list[i + 1],
				(mm->nr_as - i - 1) * sizeof(*mm->as_list));
			mm->nr_as--;
			break;
		}
	free(as);
}

/*
 * Stores the contents of a page that is leaving a frame (eviction) or being
 * shared (fork).  With a backend the bytes are in mm->page_buf; a same-filled
 * page becomes *ret_same = true with its value, anything else a new slot.
 * Without a backend (replay) a data-less slot is reserved.
 */
static int store_page(struct vms_mm *mm, bool *ret_same, uint64_t *ret_value, vms_slot_t *ret_slot)
{
	if (!mm->backend) {
		*ret_same = false;
		return vms_swap_reserve(mm->swap, ret_slot);
	}
	if (vms_page_same_filled(mm->page_buf, ret_value)) {
		*ret_same = true;
		return 0;
	}
	*ret_same = false;
	return vms_swap_put(mm->swap, mm->page_buf, ret_slot);
}

/*
 * Chooses a victim through the policy and evicts it.  On failure the victim
 * is put back (into the process and into the policy) and nothing is lost;
 * its position in the policy's order may differ, which only matters to a
 * run that is about to stop for OOM.
 */
static int evict_one(struct vms_mm *mm, const struct vms_ref *ref, vms_key_t *ret_victim)
{
	const struct vms_mm_backend *be = mm->backend;
	vms_frame_t v = mm->policy.ops->victim(mm->policy.state, ref);
	struct vms_frame *fr = vms_frame(&mm->ft, v);
	struct vms_pte *pte = fr->pte;
	struct vms_as *as = fr->as;
	vms_vpn_t vpn = fr->vpn;
	bool dirty = (pte->flags & VMS_PTE_DIRTY) != 0;
	int r;

	if (!dirty && fr->cache_slot == VMS_SLOT_NONE && !be) {
		/* Without page contents (replay), a clean page with no swap copy
		 * can only have been zero-filled and never written: like the
		 * kernel's zero page, it costs nothing to drop and comes back as
		 * zeros.  (With a backend, store_page() finds the same out from
		 * the bytes.) */
		vms_pte_set_state(pte, VMS_PTE_SAME);
		pte->payload = 0;
		mm->stats.same_evictions++;
	} else if (!dirty && fr->cache_slot != VMS_SLOT_NONE) {
		if (be) {
			r = be->drop_page(be->ctx, as, vpn);
			if (r < 0)
				goto undo;
		}
		/* The cache's slot reference becomes the entry's. */
		vms_pte_set_state(pte, VMS_PTE_SWAPPED);
		pte->payload = fr->cache_slot;
		mm->stats.clean_drops++;
	} else {
		uint64_t value = 0;
		vms_slot_t slot = VMS_SLOT_NONE;
		bool same;

		if (be) {
			r = be->take_page(be->ctx, as, vpn, mm->page_buf);
			if (r < 0)
				goto undo;
		}
		r = store_page(mm, &same, &value, &slot);
		if (r < 0) {
			mm->stats.swap_full += r == -ENOSPC;
			if (be) {
				/* If the page cannot go back either, it is lost to the
				 * process: that error wins, so the caller stops the
				 * program instead of letting it fault in zeros. */
				int rr = be->restore_page(be->ctx, as, vpn, mm->page_buf);

				if (rr < 0)
					r = rr;
			}
			goto undo;
		}
		if (fr->cache_slot != VMS_SLOT_NONE)
			vms_swap_release(mm->swap, fr->cache_slot);
		if (same) {
			vms_pte_set_state(pte, VMS_PTE_SAME);
			pte->payload = value;
			mm->stats.same_evictions++;
		} else {
			vms_pte_set_state(pte, VMS_PTE_SWAPPED);
			pte->payload = slot;
			mm->stats.writebacks++;
		}
	}
	pte->flags = (uint16_t)((pte->flags & ~(VMS_PTE_REFERENCED | VMS_PTE_DIRTY |
						VMS_PTE_SWAPCACHE)) | VMS_PTE_EVER_SWAPPED);
	if (pte->nr_evictions != UINT16_MAX)
		pte->nr_evictions++;
	if (mm->tlb)
		vms_tlb_shootdown(mm->tlb, vms_key(as->id, vpn));
	as->stats.evictions++;
	as->stats.resident--;
	mm->stats.evictions++;
	vms_frames_free(&mm->ft, v);
	*ret_victim = vms_key(as->id, vpn);
	return 0;

undo:
	{
		struct vms_ref back = { .key = vms_key(as->id, vpn), .time = ref->time,
					.next_use = VMS_TIME_NEVER, .write = false };

		if (mm->policy.ops->reinstate)
			mm->policy.ops->reinstate(mm->policy.state, v, &back);
		else
			mm->policy.ops->inserted(mm->policy.state, v, &back);
	}
	return r;
}

int vms_mm_ref(struct vms_mm *mm, struct vms_as *as, vms_vpn_t vpn, bool write,
	       uint64_t next_use, struct vms_ref_result *ret)
{
	const struct vms_policy_ops *ops = mm->policy.ops;
	struct vms_ref ref;
	struct vms_pte *pte;
	vms_frame_t f;
	int r;

	if (vpn > VMS_VPN_MAX)
		return -EINVAL;
	pte = vms_pt_get(&as->pt, vpn);
	if (!pte)
		return -ENOMEM;
	ref.key = vms_key(as->id, vpn);
	ref.time = mm->stats.references;
	ref.next_use = next_use;
	ref.write = write;
	mm->stats.references++;
	as->stats.references++;
	ret->evicted = false;
	ret->slot = VMS_SLOT_NONE;
	ret->value = 0;
	ret->tlb_level = mm->tlb ? vms_tlb_access(mm->tlb, ref.key) : -1;

	if (vms_pte_state(pte) == VMS_PTE_RESIDENT) {
		f = (vms_frame_t)pte->payload;
		pte->flags |= VMS_PTE_REFERENCED;
		if (write) {
			pte->flags |= VMS_PTE_DIRTY;
			/* The swap copy is stale from now on: free it early. */
			if (pte->flags & VMS_PTE_SWAPCACHE) {
				struct vms_frame *fr = vms_frame(&mm->ft, f);

				vms_swap_release(mm->swap, fr->cache_slot);
				fr->cache_slot = VMS_SLOT_NONE;
				pte->flags &= (uint16_t)~VMS_PTE_SWAPCACHE;
			}
		}
		if (ops->accessed)
			ops->accessed(mm->policy.state, f, &ref);
		mm->stats.hits++;
		ret->outcome = VMS_REF_HIT;
		ret->frame = f;
		return 0;
	}

	if (ops->missed)
		ops->missed(mm->policy.state, &ref);
	f = vms_frames_alloc(&mm->ft);
	if (f == VMS_FRAME_NONE) {
		r = evict_one(mm, &ref, &ret->victim);
		if (r < 0)
			return r;
		ret->evicted = true;
		f = vms_frames_alloc(&mm->ft);
	}
	struct vms_frame *fr = vms_frame(&mm->ft, f);

	switch (vms_pte_state(pte)) {
	case VMS_PTE_NONE:
		vms_pt_note_used(&as->pt, vpn);
		ret->outcome = VMS_REF_FAULT_ZERO;
		mm->stats.faults_zero++;
		break;
	case VMS_PTE_SWAPPED:
		/* The entry's slot reference becomes the swap cache's.  It stays
		 * even on a write fault, because the caller still has to read
		 * it; DIRTY marks it stale for the next eviction. */
		ret->outcome = VMS_REF_FAULT_SWAPIN;
		ret->slot = (vms_slot_t)pte->payload;
		fr->cache_slot = ret->slot;
		pte->flags |= VMS_PTE_SWAPCACHE;
		mm->stats.faults_swapin++;
		as->stats.faults_swapin++;
		break;
	case VMS_PTE_SAME:
		ret->outcome = VMS_REF_FAULT_SAME;
		ret->value = pte->payload;
		mm->stats.faults_same++;
		break;
	case VMS_PTE_RESIDENT:
		break;  /* handled above */
	}
	vms_pte_set_state(pte, VMS_PTE_RESIDENT);
	pte->payload = f;
	pte->flags |= VMS_PTE_REFERENCED | (write ? VMS_PTE_DIRTY : 0);
	if (pte->nr_faults != UINT32_MAX)
		pte->nr_faults++;
	fr->pte = pte;
	fr->as = as;
	fr->vpn = vpn;
	mm->stats.faults++;
	as->stats.faults++;
	if (++as->stats.resident > as->stats.peak_resident)
		as->stats.peak_resident = as->stats.resident;
	ops->inserted(mm->policy.state, f, &ref);
	ret->frame = f;
	return 0;
}

/*
 * Fault-around: page vpn gets a frame without being referenced, if it has
 * never been touched (or was discarded) and a frame is free; it never
 * evicts, so read-ahead cannot push out pages in use.  The page enters the
 * policy unreferenced, as the kernel's fault-around pages enter the LRU.
 */
int vms_mm_populate(struct vms_mm *mm, struct vms_as *as, vms_vpn_t vpn)
{
	struct vms_pte *pte;
	struct vms_ref ref;
	vms_frame_t f;

	if (vpn > VMS_VPN_MAX)
		return -EINVAL;
	pte = vms_pt_lookup(&as->pt, vpn);
	if (pte && vms_pte_state(pte) != VMS_PTE_NONE)
		return 0;
	if (mm->ft.free_head == VMS_FRAME_NONE && mm->ft.next_fresh == mm->ft.nr_frames)
		return 0;
	pte = vms_pt_get(&as->pt, vpn);
	if (!pte)
		return -ENOMEM;
	f = vms_frames_alloc(&mm->ft);
	vms_pt_note_used(&as->pt, vpn);
	vms_pte_set_state(pte, VMS_PTE_RESIDENT);
	pte->payload = f;
	pte->flags &= (uint16_t)~(VMS_PTE_REFERENCED | VMS_PTE_DIRTY);
	struct vms_frame *fr = vms_frame(&mm->ft, f);
	fr->pte = pte;
	fr->as = as;
	fr->vpn = vpn;
	mm->stats.faults_around++;
	if (++as->stats.resident > as->stats.peak_resident)
		as->stats.peak_resident = as->stats.resident;
	ref.key = vms_key(as->id, vpn);
	ref.time = mm->stats.references;
	ref.next_use = VMS_TIME_NEVER;
	ref.write = false;
	/* A page entering the cache is a miss to the policy even when nobody
	 * waits for it: ARC keeps |T1|+|B1| <= c only if missed() sees every
	 * page that inserted() puts in T1. */
	if (mm->policy.ops->missed)
		mm->policy.ops->missed(mm->policy.state, &ref);
	mm->policy.ops->inserted(mm->policy.state, f, &ref);
	return 1;
}

struct move_ctx {
	struct vms_mm *mm;
	struct vms_as *as;
	vms_vpn_t old_start;
	vms_vpn_t new_start;
	int err;
};

static int move_visit(void *ctx, vms_vpn_t vpn, struct vms_pte *pte)
{
	struct move_ctx *c = ctx;
	vms_vpn_t to = c->new_start + (vpn - c->old_start);
	struct vms_pte *dst = vms_pt_get(&c->as->pt, to);

	if (!dst)
		return -ENOMEM;
	*dst = *pte;
	vms_pt_note_used(&c->as->pt, to);
	if (vms_pte_state(pte) == VMS_PTE_RESIDENT) {
		struct vms_frame *fr = vms_frame(&c->mm->ft, (vms_frame_t)pte->payload);

		fr->pte = dst;
		fr->vpn = to;
	}
	memset(pte, 0, sizeof(*pte));
	vms_pt_note_unused(&c->as->pt, vpn);
	return 0;
}

int vms_mm_remap(struct vms_mm *mm, struct vms_as *as, vms_vpn_t old_start,
		 uint64_t nr_pages, vms_vpn_t new_start)
{
	struct move_ctx c = { mm, as, old_start, new_start, 0 };
	int r;

	if (nr_pages == 0 || old_start > VMS_VPN_MAX || new_start > VMS_VPN_MAX ||
	    nr_pages > VMS_VPN_MAX + 1 - old_start || nr_pages > VMS_VPN_MAX + 1 - new_start)
		return -EINVAL;
	if (old_start < new_start + nr_pages && new_start < old_start + nr_pages)
		return -EINVAL;
	vms_mm_unmap(mm, as, new_start, nr_pages);
	r = vms_pt_walk(&as->pt, old_start, old_start + nr_pages, move_visit, &c);
	vms_pt_trim(&as->pt, old_start, old_start + nr_pages);
	if (mm->tlb)
		vms_tlb_shootdown_range(mm->tlb, as->id, old_start, old_start + nr_pages);
	return r;
}

struct clone_ctx {
	struct vms_mm *mm;
	struct vms_as *parent;
	struct vms_as *child;
	bool resident_stays;     /* vms_mm_as_clone_live */
};

static int clone_visit(void *ctx, vms_vpn_t vpn, struct vms_pte *pte)
{
	struct clone_ctx *c = ctx;
	struct vms_mm *mm = c->mm;
	struct vms_pte *dst = vms_pt_get(&c->child->pt, vpn);
	struct vms_pte copy = { 0 };
	int r;

	if (!dst)
		return -ENOMEM;
	switch (vms_pte_state(pte)) {
	case VMS_PTE_RESIDENT: {
		struct vms_frame *fr = vms_frame(&mm->ft, (vms_frame_t)pte->payload);

		if (c->resident_stays)
			return 0;

		if ((pte->flags & VMS_PTE_DIRTY) || fr->cache_slot == VMS_SLOT_NONE) {
			/* Snapshot once; the parent's frame keeps it as its swap cache. */
			uint64_t value = 0;
			vms_slot_t slot = VMS_SLOT_NONE;
			bool same;

			if (mm->backend) {
				r = mm->backend->peek_page(mm->backend->ctx, c->parent, vpn,
							   mm->page_buf);
				if (r < 0)
					return r;
			}
			r = store_page(mm, &same, &value, &slot);
			if (r < 0)
				return r;
			if (same) {
				vms_pte_set_state(&copy, VMS_PTE_SAME);
				copy.payload = value;
				break;
			}
			if (fr->cache_slot != VMS_SLOT_NONE)
				vms_swap_release(mm->swap, fr->cache_slot);
			fr->cache_slot = slot;
			pte->flags = (uint16_t)((pte->flags & ~VMS_PTE_DIRTY) | VMS_PTE_SWAPCACHE);
		}
		vms_swap_dup(mm->swap, fr->cache_slot);
		vms_pte_set_state(&copy, VMS_PTE_SWAPPED);
		copy.payload = fr->cache_slot;
		break;
	}
	case VMS_PTE_SWAPPED:
		vms_swap_dup(mm->swap, (vms_slot_t)pte->payload);
		vms_pte_set_state(&copy, VMS_PTE_SWAPPED);
		copy.payload = pte->payload;
		break;
	case VMS_PTE_SAME:
		vms_pte_set_state(&copy, VMS_PTE_SAME);
		copy.payload = pte->payload;
		break;
	case VMS_PTE_NONE:
		return 0;
	}
	*dst = copy;
	vms_pt_note_used(&c->child->pt, vpn);
	return 0;
}

static int clone_as(struct vms_mm *mm, struct vms_as *parent, uint32_t child_id,
		    bool resident_stays, struct vms_as **ret)
{
	struct clone_ctx c = { mm, parent, NULL, resident_stays };
	int r;

	r = vms_mm_as_new(mm, child_id, &c.child);
	if (r < 0)
		return r;
	r = vms_pt_walk(&parent->pt, 0, VMS_VPN_MAX + 1, clone_visit, &c);
	if (r < 0) {
		vms_mm_as_destroy(mm, c.child);
		return r;
	}
	*ret = c.child;
	return 0;
}

int vms_mm_as_clone(struct vms_mm *mm, struct vms_as *parent, uint32_t child_id,
		    struct vms_as **ret)
{
	return clone_as(mm, parent, child_id, false, ret);
}

int vms_mm_as_clone_live(struct vms_mm *mm, struct vms_as *parent, uint32_t child_id,
			 struct vms_as **ret)
{
	return clone_as(mm, parent, child_id, true, ret);
}

const struct vms_mm_stats *vms_mm_stats(const struct vms_mm *mm)
{
	return &mm->stats;
}

const struct vms_frame_table *vms_mm_frames(const struct vms_mm *mm)
{
	return &mm->ft;
}

struct vms_swap *vms_mm_swap(struct vms_mm *mm)
{
	return mm->swap;
}

const struct vms_tlb *vms_mm_tlb(const struct vms_mm *mm)
{
	return mm->tlb;
}

const char *vms_mm_policy_name(const struct vms_mm *mm)
{
	return mm->policy.ops->name;
}

struct vms_pt_memory vms_mm_pt_memory(const struct vms_mm *mm)
{
	struct vms_pt_memory m = { 0, 0 };

	for (size_t i = 0; i < mm->nr_as; i++) {
		m.bytes += vms_pt_bytes(&mm->as_list[i]->pt);
		m.nr_entries += mm->as_list[i]->pt.nr_entries;
	}
	return m;
}

void vms_mm_for_each_as(struct vms_mm *mm, void (*fn)(void *ctx, struct vms_as *as), void *ctx)
{
	for (size_t i = 0; i < mm->nr_as; i++)
		fn(ctx, mm->as_list[i]);
}

/* ---- invariant checker (tests) ---- */

struct check_ctx {
	struct vms_mm *mm;
	struct vms_as *as;
	uint32_t *slot_refs;
	size_t nr_slots;
	uint64_t resident;
	uint64_t entries;
	char *msg;
	size_t msglen;
};

static int note_slot(struct check_ctx *c, vms_slot_t s)
{
	if (s >= c->nr_slots) {
		size_t n = (size_t)s * 2 + 64;
		uint32_t *refs = realloc(c->slot_refs, n * sizeof(*refs));

		if (!refs)
			return -ENOMEM;
		memset(refs + c->nr_slots, 0, (n - c->nr_slots) * sizeof(*refs));
		c->slot_refs = refs;
		c->nr_slots = n;
	}
	c->slot_refs[s]++;
	return 0;
}

static int check_visit(void *ctx, vms_vpn_t vpn, struct vms_pte *pte)
{
	struct check_ctx *c = ctx;

	c->entries++;
	switch (vms_pte_state(pte)) {
	case VMS_PTE_RESIDENT: {
		vms_frame_t f = (vms_frame_t)pte->payload;
		struct vms_frame *fr;

		if (f >= c->mm->ft.nr_frames) {
			snprintf(c->msg, c->msglen, "as %u vpn %#llx: frame %u out of range",
				 c->as->id, (unsigned long long)vpn, f);
			return -EUCLEAN;
		}
		fr = vms_frame(&c->mm->ft, f);
		if (fr->pte != pte || fr->as != c->as || fr->vpn != vpn) {
			snprintf(c->msg, c->msglen, "as %u vpn %#llx: frame %u rmap disagrees",
				 c->as->id, (unsigned long long)vpn, f);
			return -EUCLEAN;
		}
		c->resident++;
		if (!!(pte->flags & VMS_PTE_SWAPCACHE) != (fr->cache_slot != VMS_SLOT_NONE)) {
			snprintf(c->msg, c->msglen, "as %u vpn %#llx: swap-cache flag disagrees "
				 "with frame %u", c->as->id, (unsigned long long)vpn, f);
			return -EUCLEAN;
		}
		if (fr->cache_slot != VMS_SLOT_NONE)
			return note_slot(c, fr->cache_slot);
		return 0;
	}
	case VMS_PTE_SWAPPED:
		return note_slot(c, (vms_slot_t)pte->payload);
	default:
		return 0;
	}
}

int vms_mm_check(struct vms_mm *mm, char *msg, size_t msglen)
{
	struct check_ctx c = { .mm = mm, .msg = msg, .msglen = msglen };
	struct vms_swap_stats ss;
	uint64_t distinct = 0;
	int r = 0;

	msg[0] = '\0';
	for (size_t i = 0; i < mm->nr_as && r == 0; i++) {
		uint64_t before = c.resident, entries_before = c.entries;

		c.as = mm->as_list[i];
		r = vms_pt_walk(&c.as->pt, 0, VMS_VPN_MAX + 1, check_visit, &c);
		if (r == 0 && c.resident - before != c.as->stats.resident) {
			snprintf(msg, msglen, "as %u: %llu resident pages, counter says %u", c.as->id,
				 (unsigned long long)(c.resident - before), c.as->stats.resident);
			r = -EUCLEAN;
		}
		if (r == 0 && c.entries - entries_before != c.as->pt.nr_entries) {
			snprintf(msg, msglen, "as %u: %llu entries, page table counts %llu", c.as->id,
				 (unsigned long long)(c.entries - entries_before),
				 (unsigned long long)c.as->pt.nr_entries);
			r = -EUCLEAN;
		}
	}
	if (r == 0 && (c.resident != mm->ft.nr_used || mm->ft.nr_used > mm->ft.nr_frames)) {
		snprintf(msg, msglen, "%llu resident pages, %u frames used, budget %u",
			 (unsigned long long)c.resident, mm->ft.nr_used, mm->ft.nr_frames);
		r = -EUCLEAN;
	}
	for (size_t s = 0; r == 0 && s < c.nr_slots; s++) {
		if (!c.slot_refs[s])
			continue;
		distinct++;
		if (vms_swap_refcount(mm->swap, (vms_slot_t)s) != c.slot_refs[s]) {
			snprintf(msg, msglen, "slot %zu: %u holders, refcount %u", s,
				 c.slot_refs[s], vms_swap_refcount(mm->swap, (vms_slot_t)s));
			r = -EUCLEAN;
		}
	}
	if (r == 0) {
		vms_swap_get_stats(mm->swap, &ss);
		if (ss.stored_pages != distinct) {
			snprintf(msg, msglen, "%llu slots held, swap stores %llu",
				 (unsigned long long)distinct, (unsigned long long)ss.stored_pages);
			r = -EUCLEAN;
		}
	}
	free(c.slot_refs);
	if (r == 0 && mm->policy.ops->check)
		r = mm->policy.ops->check(mm->policy.state, msg, msglen);
	return r;
}
