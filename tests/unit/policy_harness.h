/* SPDX-License-Identifier: MIT */
/*
 * A minimal driver for one policy over one address space: the frame table,
 * a page table and the policy, following the call protocol of policy.h
 * exactly as the engine does, without swap or TLB.  Unit tests of the
 * policies use it; the engine's own tests (test_mm.c) check that vms_mm
 * gives the same answers.
 */
#ifndef VMS_POLICY_HARNESS_H
#define VMS_POLICY_HARNESS_H

#include <stdlib.h>
#include <string.h>

#include "vmsandbox/frames.h"
#include "vmsandbox/pagetable.h"
#include "vmsandbox/policy.h"

struct harness {
	struct vms_frame_table ft;
	struct vms_pagetable pt;
	struct vms_policy pol;
	uint64_t time;
	uint64_t faults;
	uint64_t hits;
	uint64_t evictions;
	vms_vpn_t last_victim;   /* valid after an eviction */
};

static inline int harness_init(struct harness *h, const struct vms_policy_ops *ops,
			       const struct vms_policy_config *cfg)
{
	int r;

	memset(h, 0, sizeof(*h));
	r = vms_frames_init(&h->ft, cfg->nr_frames);
	if (r < 0)
		return r;
	r = vms_pt_init(&h->pt);
	if (r < 0)
		return r;
	return vms_policy_create(&h->pol, ops, cfg, &h->ft);
}

static inline void harness_fini(struct harness *h)
{
	vms_policy_destroy(&h->pol);
	vms_pt_fini(&h->pt);
	vms_frames_fini(&h->ft);
}

/* One reference; returns true on a fault.  next_use matters only for OPT. */
static inline bool harness_ref(struct harness *h, vms_vpn_t vpn, bool write, uint64_t next_use)
{
	const struct vms_policy_ops *ops = h->pol.ops;
	struct vms_ref ref = { .key = vms_key(1, vpn), .time = h->time++,
			       .next_use = next_use, .write = write };
	struct vms_pte *pte = vms_pt_get(&h->pt, vpn);
	vms_frame_t f;

	if (vms_pte_state(pte) == VMS_PTE_RESIDENT) {
		pte->flags |= VMS_PTE_REFERENCED | (write ? VMS_PTE_DIRTY : 0);
		if (ops->accessed)
			ops->accessed(h->pol.state, (vms_frame_t)pte->payload, &ref);
		h->hits++;
		return false;
	}
	h->faults++;
	if (ops->missed)
		ops->missed(h->pol.state, &ref);
	f = vms_frames_alloc(&h->ft);
	if (f == VMS_FRAME_NONE) {
		vms_frame_t v = ops->victim(h->pol.state, &ref);
		struct vms_frame *fr = vms_frame(&h->ft, v);

		h->last_victim = fr->vpn;
		vms_pte_set_state(fr->pte, VMS_PTE_SWAPPED);
		fr->pte->flags &= (uint16_t)~(VMS_PTE_REFERENCED | VMS_PTE_DIRTY);
		vms_frames_free(&h->ft, v);
		h->evictions++;
		f = vms_frames_alloc(&h->ft);
	}
	if (vms_pte_state(pte) == VMS_PTE_NONE)
		vms_pt_note_used(&h->pt, vpn);
	vms_pte_set_state(pte, VMS_PTE_RESIDENT);
	pte->payload = f;
	pte->flags |= VMS_PTE_REFERENCED | (write ? VMS_PTE_DIRTY : 0);
	vms_frame(&h->ft, f)->pte = pte;
	vms_frame(&h->ft, f)->vpn = vpn;
	ops->inserted(h->pol.state, f, &ref);
	return true;
}

/* The page leaves without being chosen (unmap). */
static inline void harness_unmap(struct harness *h, vms_vpn_t vpn)
{
	struct vms_pte *pte = vms_pt_lookup(&h->pt, vpn);

	if (!pte || vms_pte_state(pte) == VMS_PTE_NONE)
		return;
	if (vms_pte_state(pte) == VMS_PTE_RESIDENT) {
		h->pol.ops->removed(h->pol.state, (vms_frame_t)pte->payload);
		vms_frames_free(&h->ft, (vms_frame_t)pte->payload);
	}
	memset(pte, 0, sizeof(*pte));
	vms_pt_note_unused(&h->pt, vpn);
}

static inline bool harness_resident(struct harness *h, vms_vpn_t vpn)
{
	struct vms_pte *pte = vms_pt_lookup(&h->pt, vpn);

	return pte && vms_pte_state(pte) == VMS_PTE_RESIDENT;
}

/* next_use[i] = index of the next reference to refs[i]'s page, or VMS_TIME_NEVER. */
static inline void harness_next_use(const vms_vpn_t *refs, size_t n, uint64_t *next_use)
{
	for (size_t i = 0; i < n; i++) {
		next_use[i] = VMS_TIME_NEVER;
		for (size_t j = i + 1; j < n; j++)
			if (refs[j] == refs[i]) {
				next_use[i] = j;
				break;
			}
	}
}

#endif
