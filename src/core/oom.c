/* SPDX-License-Identifier: MIT */
/* Overcommit and OOM-victim rules (include/vmsandbox/oom.h, docs/oom.md). */
#include "vmsandbox/oom.h"

uint64_t vms_commit_default_limit(uint64_t ram_pages, uint64_t swap_pages)
{
	if (swap_pages == UINT64_MAX)
		return UINT64_MAX;
	return ram_pages / 2 + swap_pages;
}

bool vms_commit_allows(const struct vms_commit_rules *r, uint64_t committed, uint64_t pages)
{
	switch (r->mode) {
	case VMS_OVERCOMMIT_ALWAYS:
		return true;
	case VMS_OVERCOMMIT_NEVER:
		return r->limit_pages == UINT64_MAX ||
		       (committed <= r->limit_pages && pages <= r->limit_pages - committed);
	case VMS_OVERCOMMIT_HEURISTIC:
	default:
		if (!r->ram_pages || r->swap_pages == UINT64_MAX)
			return true;
		return pages <= r->ram_pages + r->swap_pages;
	}
}

int64_t vms_oom_badness(const struct vms_oom_candidate *c, uint64_t total_pages)
{
	int64_t points, adj;

	if (c->oom_score_adj <= -1000)
		return VMS_OOM_UNKILLABLE;
	points = (int64_t)(c->resident + c->swapped + c->pt_pages);
	/* The kernel normalises the adjustment to thousandths of the memory
	 * available (RAM + swap): +500 counts as half the machine.  It
	 * divides first (adj * (total / 1000)), which on a machine of a few
	 * thousand pages loses up to a third of the adjustment: multiplied
	 * first here. */
	adj = (int64_t)c->oom_score_adj * (int64_t)total_pages / 1000;
	points += adj;
	/* A process with nothing is still a candidate, ranked last. */
	return points > 0 ? points : 1;
}

long vms_oom_choose(const struct vms_oom_candidate *c, size_t n, uint64_t total_pages,
		    int64_t *badness)
{
	long victim = -1;
	int64_t best = VMS_OOM_UNKILLABLE;

	for (size_t i = 0; i < n; i++) {
		int64_t b = vms_oom_badness(&c[i], total_pages);

		if (badness)
			badness[i] = b;
		if (b != VMS_OOM_UNKILLABLE && b > best) {
			best = b;
			victim = (long)i;
		}
	}
	return victim;
}

static int count_entry(void *ctx, vms_vpn_t vpn, struct vms_pte *pte)
{
	struct vms_as_usage *u = ctx;

	(void)vpn;
	switch (vms_pte_state(pte)) {
	case VMS_PTE_RESIDENT:
		u->resident++;
		break;
	case VMS_PTE_SWAPPED:
		u->swapped++;
		break;
	case VMS_PTE_SAME:
		u->same_filled++;
		break;
	default:
		break;
	}
	return 0;
}

void vms_mm_as_usage(struct vms_as *as, struct vms_as_usage *u)
{
	*u = (struct vms_as_usage){ 0 };
	vms_pt_walk(&as->pt, 0, VMS_VPN_MAX + 1, count_entry, u);
	u->pt_bytes = vms_pt_bytes(&as->pt);
}
