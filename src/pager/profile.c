/* SPDX-License-Identifier: MIT */
/*
 * The profile's time series (profile.h): faults, swap-ins, evictions and
 * soft faults per bucket of time.  A bucket is a few counters bumped after
 * each reference; when the last bucket fills, neighbours are merged and the
 * width doubles, as a histogram of unknown range does.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "profile.h"

int vms_profile_init(struct vms_pager *pg)
{
	struct vms_profile *pr;

	if (!pg->cfg.profile)
		return 0;
	pr = calloc(1, sizeof(*pr));
	if (!pr)
		return -ENOMEM;
	pr->virtual_time = pg->cfg.deterministic;
	pr->width = pr->virtual_time ? VMS_PROFILE_FIRST_REFS : VMS_PROFILE_FIRST_NS;
	pg->profile = pr;
	return 0;
}

static void merge_pairs(struct vms_profile *pr)
{
	uint32_t half = (pr->nr + 1) / 2;

	for (uint32_t i = 0; i < half; i++) {
		struct vms_profile_bucket m = pr->b[2 * i];
		const struct vms_profile_bucket *o = 2 * i + 1 < pr->nr ? &pr->b[2 * i + 1] : NULL;

		if (o) {
			m.refs += o->refs;
			m.faults += o->faults;
			m.zero_fills += o->zero_fills;
			m.swap_ins += o->swap_ins;
			m.evictions += o->evictions;
			m.soft_faults += o->soft_faults;
		}
		pr->b[i] = m;
	}
	memset(&pr->b[half], 0, (VMS_PROFILE_BUCKETS - half) * sizeof(pr->b[0]));
	pr->nr = half;
	pr->width *= 2;
}

/* The bucket of the present moment. */
static struct vms_profile_bucket *current(struct vms_pager *pg, struct vms_profile *pr)
{
	uint64_t t = pr->virtual_time ? pr->refs : vms_now_ns() - pg->start_ns;
	uint64_t i = t / pr->width;

	while (i >= VMS_PROFILE_BUCKETS) {
		merge_pairs(pr);
		i = t / pr->width;
	}
	if (i >= pr->nr)
		pr->nr = (uint32_t)i + 1;
	return &pr->b[i];
}

void vms_profile_after_ref(struct vms_pager *pg, const struct vms_ref_result *res)
{
	struct vms_profile *pr = pg->profile;
	struct vms_profile_bucket *b;

	if (!pr)
		return;   /* pages taken over at arrival count too: the engine's faults */
	b = current(pg, pr);
	pr->refs++;
	b->refs++;
	switch (res->outcome) {
	case VMS_REF_FAULT_ZERO:
	case VMS_REF_FAULT_SAME:
		b->faults++;
		b->zero_fills++;
		break;
	case VMS_REF_FAULT_SWAPIN:
		b->faults++;
		b->swap_ins++;
		break;
	case VMS_REF_HIT:
	case VMS_REF_COW:
		if (pg->ref_kind == VMS_REFK_SOFT)
			b->soft_faults++;
		break;
	}
	if (res->evicted)
		b->evictions++;
}

void vms_profile_fini(struct vms_pager *pg)
{
	free(pg->profile);
	pg->profile = NULL;
}
