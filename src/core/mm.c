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
	struct vms_frame_hooks hooks;   /* the backend's, if it wants them */
	const struct vms_mm_backend *backend;
	struct vms_mm_stats stats;
	struct vms_as *as_hash[AS_HASH_BUCKETS];
	struct vms_as **as_list;      /* creation order */
	size_t nr_as;
	size_t as_list_cap;
	unsigned char *page_buf;      /* 2 x VMS_PAGE_SIZE, for backend transfers: the
				       * second half holds a shared frame's other copies */
};

/* The bits of a frame, kept in its primary mapping's entry (frames.h). */
#define FRAME_BITS (VMS_PTE_REFERENCED | VMS_PTE_DIRTY | VMS_PTE_SWAPCACHE)

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
	if (cfg->backend && (cfg->backend->unreferenced || cfg->backend->frame_freed)) {
		mm->hooks.ctx = cfg->backend->ctx;
		mm->hooks.unreferenced = cfg->backend->unreferenced;
		mm->hooks.freed = cfg->backend->frame_freed;
		mm->ft.hooks = &mm->hooks;
	}
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
	mm->page_buf = malloc(2 * VMS_PAGE_SIZE);
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

		as->stats.resident--;
		if (!vms_frame_del_map(&mm->ft, f, pte))
			break;   /* another process still maps the frame */
		mm->policy.ops->removed(mm->policy.state, f);
		if (fr->cache_slot != VMS_SLOT_NONE)
			vms_swap_release(mm->swap, fr->cache_slot);
		vms_frames_free(&mm->ft, f);
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
static int store_page(struct vms_mm *mm, const void *buf, bool *ret_same, uint64_t *ret_value,
		      vms_slot_t *ret_slot)
{
	if (!mm->backend) {
		*ret_same = false;
		return vms_swap_reserve(mm->swap, ret_slot);
	}
	if (vms_page_same_filled(buf, ret_value)) {
		*ret_same = true;
		return 0;
	}
	*ret_same = false;
	return vms_swap_put(mm->swap, buf, ret_slot);
}

/* Where one mapping of an evicted frame put its contents. */
struct stored_copy {
	bool valid;              /* something was stored (the first mapping) */
	bool same;
	uint64_t value;
	vms_slot_t slot;
};

static void set_swapped(struct vms_pte *pte, const struct stored_copy *c)
{
	vms_pte_set_state(pte, c->same ? VMS_PTE_SAME : VMS_PTE_SWAPPED);
	pte->payload = c->same ? c->value : c->slot;
}

/*
 * Takes one mapping of frame fr (of a page that was `dirty`) out of its
 * process and points its entry at the page's contents in swap.  `first` is
 * what an earlier mapping of the same frame stored: a mapping whose bytes
 * are equal shares it (the normal case: one page in the kernel too); one
 * whose bytes differ (the kernel copied it on a write the caller could not
 * see) is stored on its own, so no process ever reads another's bytes.
 * Nothing has changed when it fails.
 */
static int evict_mapping(struct vms_mm *mm, struct vms_frame *fr, struct vms_as *as, vms_vpn_t vpn,
			 struct vms_pte *pte, bool dirty, struct stored_copy *first)
{
	const struct vms_mm_backend *be = mm->backend;
	unsigned char *buf = first->valid ? mm->page_buf + VMS_PAGE_SIZE : mm->page_buf;
	struct stored_copy c = { .valid = true };
	int r;

	if (!dirty && fr->cache_slot != VMS_SLOT_NONE) {
		if (be) {
			r = be->drop_page(be->ctx, as, vpn);
			if (r < 0)
				return r;
		}
		/* The entry takes a reference; the frame's own goes when the
		 * frame is freed. */
		vms_swap_dup(mm->swap, fr->cache_slot);
		c.slot = fr->cache_slot;
		set_swapped(pte, &c);
		mm->stats.clean_drops++;
		return 0;
	}
	if (!dirty && !be) {
		/* Without page contents (replay), a clean page with no swap copy
		 * can only have been zero-filled and never written: like the
		 * kernel's zero page, it costs nothing to drop and comes back as
		 * zeros.  (With a backend, store_page() finds the same out from
		 * the bytes.) */
		c.same = true;
		set_swapped(pte, &c);
		mm->stats.same_evictions++;
		return 0;
	}
	if (be) {
		r = be->take_page(be->ctx, as, vpn, buf);
		if (r < 0)
			return r;
	}
	if (first->valid && (!be || memcmp(buf, mm->page_buf, VMS_PAGE_SIZE) == 0)) {
		if (!first->same)
			vms_swap_dup(mm->swap, first->slot);
		set_swapped(pte, first);
		return 0;
	}
	r = store_page(mm, buf, &c.same, &c.value, &c.slot);
	mm->stats.diverged_copies += first->valid && r == 0;
	if (r < 0) {
		mm->stats.swap_full += r == -ENOSPC;
		if (be) {
			/* If the page cannot go back either, it is lost to the
			 * process: that error wins, so the caller stops the
			 * program instead of letting it fault in zeros. */
			int rr = be->restore_page(be->ctx, as, vpn, buf);

			if (rr < 0)
				r = rr;
		}
		return r;
	}
	if (c.same)
		mm->stats.same_evictions++;
	else
		mm->stats.writebacks++;
	if (!first->valid)
		*first = c;
	set_swapped(pte, &c);
	return 0;
}

/* The mapping to evict next: further mappings first, the primary last, so
 * that a refusal leaves the frame with its primary; never `keep`. */
static bool next_mapping(const struct vms_frame *fr, const struct vms_pte *keep,
			 struct vms_frame_map *ret)
{
	for (const struct vms_frame_map *m = fr->more; m; m = m->next)
		if (m->pte != keep) {
			*ret = *m;
			return true;
		}
	if (fr->pte == keep)
		return false;
	*ret = (struct vms_frame_map){ .pte = fr->pte, .as = fr->as, .vpn = fr->vpn };
	return true;
}

/*
 * Evicts frame v, which the policy has chosen (and forgotten), from every
 * process that maps it except through `keep` (a writer breaking the sharing
 * of this very frame, or NULL).  Returns 0 when the frame is free, 1 when it
 * is kept for `keep` alone, or the error that stopped it; then the policy
 * has the frame back, and the mappings evicted before the error stay
 * evicted (each one is complete on its own), so nothing is lost.
 */
static int evict_frame(struct vms_mm *mm, const struct vms_ref *ref, vms_frame_t v,
		       struct vms_pte *keep, vms_key_t *ret_victim)
{
	struct vms_frame *fr = vms_frame(&mm->ft, v);
	bool dirty = (fr->pte->flags & VMS_PTE_DIRTY) != 0;
	struct stored_copy first = { .valid = false };
	struct vms_frame_map m;
	bool evicted = false;
	int r = 0;

	*ret_victim = vms_key(fr->as->id, fr->vpn);
	while (next_mapping(fr, keep, &m)) {
		uint16_t ever = m.pte->flags & VMS_PTE_EVER_SWAPPED;

		r = evict_mapping(mm, fr, m.as, m.vpn, m.pte, dirty, &first);
		if (r < 0)
			break;
		evicted = true;
		/* The frame's bits move on with the primary, if there is one. */
		if (vms_frame_del_map(&mm->ft, v, m.pte)) {
			if (fr->cache_slot != VMS_SLOT_NONE)
				vms_swap_release(mm->swap, fr->cache_slot);
			vms_frames_free(&mm->ft, v);
		}
		m.pte->flags = (uint16_t)((m.pte->flags & ~FRAME_BITS) | ever | VMS_PTE_EVER_SWAPPED);
		if (m.pte->nr_evictions != UINT16_MAX)
			m.pte->nr_evictions++;
		if (mm->tlb)
			vms_tlb_shootdown(mm->tlb, vms_key(m.as->id, m.vpn));
		m.as->stats.evictions++;
		m.as->stats.resident--;
	}
	if (evicted)
		mm->stats.evictions++;
	if (r == 0 && !keep)
		return 0;
	{
		struct vms_ref back = { .key = vms_key(fr->as->id, fr->vpn), .time = ref->time,
					.next_use = VMS_TIME_NEVER, .write = false };

		if (mm->policy.ops->reinstate)
			mm->policy.ops->reinstate(mm->policy.state, v, &back);
		else
			mm->policy.ops->inserted(mm->policy.state, v, &back);
	}
	return r < 0 ? r : 1;
}

/*
 * Chooses a victim through the policy and evicts it.  On failure the victim
 * is put back (into the process and into the policy) and nothing is lost;
 * its position in the policy's order may differ, which only matters to a
 * run that is about to stop for OOM.
 */
static int evict_one(struct vms_mm *mm, const struct vms_ref *ref, vms_key_t *ret_victim)
{
	vms_frame_t v = mm->policy.ops->victim(mm->policy.state, ref);

	return evict_frame(mm, ref, v, NULL, ret_victim);
}

/*
 * A write to a frame shared since a fork: the writer gets a frame of its
 * own (evicting for it if needed), the others keep the old one.  If the
 * victim is the shared frame itself, the others' mappings are evicted and
 * the writer keeps the frame alone.
 */
static int break_cow(struct vms_mm *mm, struct vms_as *as, vms_vpn_t vpn, struct vms_pte *pte,
		     const struct vms_ref *ref, struct vms_ref_result *ret)
{
	vms_frame_t f = (vms_frame_t)pte->payload, g;
	struct vms_frame *fr;
	int r;

	/* A page entering the cache: the policy hears of the miss before it
	 * chooses a victim, as in vms_mm_ref(). */
	if (mm->policy.ops->missed)
		mm->policy.ops->missed(mm->policy.state, ref);
	g = vms_frames_alloc(&mm->ft);
	if (g == VMS_FRAME_NONE) {
		vms_frame_t v = mm->policy.ops->victim(mm->policy.state, ref);

		r = evict_frame(mm, ref, v, v == f ? pte : NULL, &ret->victim);
		if (r < 0)
			return r;
		ret->evicted = true;
		if (r == 1) {
			/* The shared frame was the victim: now ours alone. */
			fr = vms_frame(&mm->ft, f);
			pte->flags |= VMS_PTE_REFERENCED | VMS_PTE_DIRTY;
			if (pte->flags & VMS_PTE_SWAPCACHE) {
				vms_swap_release(mm->swap, fr->cache_slot);
				fr->cache_slot = VMS_SLOT_NONE;
				pte->flags &= (uint16_t)~VMS_PTE_SWAPCACHE;
			}
			ret->outcome = VMS_REF_COW;
			ret->frame = f;
			mm->stats.cow_faults++;
			as->stats.cow_faults++;
			return 0;
		}
		g = vms_frames_alloc(&mm->ft);
	}
	vms_frame_del_map(&mm->ft, f, pte);   /* others still map f */
	pte->payload = g;
	pte->flags = (uint16_t)((pte->flags & ~FRAME_BITS) | VMS_PTE_REFERENCED | VMS_PTE_DIRTY);
	fr = vms_frame(&mm->ft, g);
	fr->pte = pte;
	fr->as = as;
	fr->vpn = vpn;
	if (mm->tlb)
		vms_tlb_shootdown(mm->tlb, ref->key);
	mm->policy.ops->inserted(mm->policy.state, g, ref);
	mm->stats.cow_faults++;
	as->stats.cow_faults++;
	ret->outcome = VMS_REF_COW;
	ret->frame = g;
	return 0;
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
	ret->tlb_displaced = mm->tlb && vms_tlb_displaced(mm->tlb, &ret->tlb_displaced_key);

	if (vms_pte_state(pte) == VMS_PTE_RESIDENT) {
		struct vms_pte *bits;

		f = (vms_frame_t)pte->payload;
		if (write && vms_frame_shared(&mm->ft, f))
			return break_cow(mm, as, vpn, pte, &ref, ret);
		bits = vms_frame(&mm->ft, f)->pte;   /* the frame's bits: its primary's */
		bits->flags |= VMS_PTE_REFERENCED;
		if (write) {
			bits->flags |= VMS_PTE_DIRTY;
			/* The swap copy is stale from now on: free it early. */
			if (bits->flags & VMS_PTE_SWAPCACHE) {
				struct vms_frame *fr = vms_frame(&mm->ft, f);

				vms_swap_release(mm->swap, fr->cache_slot);
				fr->cache_slot = VMS_SLOT_NONE;
				bits->flags &= (uint16_t)~VMS_PTE_SWAPCACHE;
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
	if (vms_pte_state(pte) == VMS_PTE_RESIDENT)
		vms_frame_move_map(&c->mm->ft, (vms_frame_t)pte->payload, pte, dst, to);
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
	bool share_frames;       /* vms_mm_as_clone_live */
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

		if (c->share_frames) {
			r = vms_frame_add_map(&mm->ft, (vms_frame_t)pte->payload, c->child, vpn, dst);
			if (r < 0)
				return r;
			dst->flags = 0;
			vms_pte_set_state(dst, VMS_PTE_RESIDENT);
			dst->payload = pte->payload;
			vms_pt_note_used(&c->child->pt, vpn);
			if (++c->child->stats.resident > c->child->stats.peak_resident)
				c->child->stats.peak_resident = c->child->stats.resident;
			return 0;
		}

		/* A frame shared with another process keeps its bits (its other
		 * copies may differ, see evict_mapping): the child's snapshot is
		 * the child's alone. */
		bool shared = vms_frame_shared(&mm->ft, (vms_frame_t)pte->payload);

		if (shared || (fr->pte->flags & VMS_PTE_DIRTY) || fr->cache_slot == VMS_SLOT_NONE) {
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
			r = store_page(mm, mm->page_buf, &same, &value, &slot);
			if (r < 0)
				return r;
			if (same) {
				vms_pte_set_state(&copy, VMS_PTE_SAME);
				copy.payload = value;
				break;
			}
			if (shared) {
				vms_pte_set_state(&copy, VMS_PTE_SWAPPED);
				copy.payload = slot;
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
		    bool share_frames, struct vms_as **ret)
{
	struct clone_ctx c = { mm, parent, NULL, share_frames };
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
	uint64_t resident;       /* mappings of frames */
	uint64_t primaries;      /* frames */
	uint64_t secondaries;    /* further mappings of shared frames */
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
		c->resident++;
		if (fr->pte != pte) {
			const struct vms_frame_map *m = fr->more;

			while (m && m->pte != pte)
				m = m->next;
			if (!m || m->as != c->as || m->vpn != vpn || (pte->flags & FRAME_BITS)) {
				snprintf(c->msg, c->msglen, "as %u vpn %#llx: shared frame %u rmap "
					 "disagrees", c->as->id, (unsigned long long)vpn, f);
				return -EUCLEAN;
			}
			c->secondaries++;
			return 0;
		}
		if (fr->as != c->as || fr->vpn != vpn) {
			snprintf(c->msg, c->msglen, "as %u vpn %#llx: frame %u rmap disagrees",
				 c->as->id, (unsigned long long)vpn, f);
			return -EUCLEAN;
		}
		c->primaries++;
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
	if (r == 0 && (c.primaries != mm->ft.nr_used || mm->ft.nr_used > mm->ft.nr_frames)) {
		snprintf(msg, msglen, "%llu resident frames, %u frames used, budget %u",
			 (unsigned long long)c.primaries, mm->ft.nr_used, mm->ft.nr_frames);
		r = -EUCLEAN;
	}
	if (r == 0) {
		uint64_t listed = 0;

		for (uint32_t f = 0; f < mm->ft.next_fresh; f++)
			listed += mm->ft.frames[f].nr_more;
		if (listed != c.secondaries) {
			snprintf(msg, msglen, "%llu further mappings listed by frames, %llu found",
				 (unsigned long long)listed, (unsigned long long)c.secondaries);
			r = -EUCLEAN;
		}
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
