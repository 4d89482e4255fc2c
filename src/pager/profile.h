/* SPDX-License-Identifier: MIT */
/*
 * The locality profile's live part (--profile): what happened over time, in
 * buckets that double in width as the run goes on (so a run of any length
 * keeps at most VMS_PROFILE_BUCKETS of them).  The reference stream itself
 * is the trace (livetrace.c), which the front end analyses after the run
 * (tools/profile.c: miss-ratio curves, heatmap, working set over time), and
 * park.c keeps only the last --profile-window pages mapped so that the
 * stream holds every other touch.
 */
#ifndef VMSANDBOX_PAGER_PROFILE_H
#define VMSANDBOX_PAGER_PROFILE_H

#include "pager.h"

#define VMS_PROFILE_BUCKETS 512u
/* The first buckets' width: 1 ms of wall time, or 1,000 references of
 * virtual time with --deterministic (the trace then has no times). */
#define VMS_PROFILE_FIRST_NS 1000000u
#define VMS_PROFILE_FIRST_REFS 1000u

struct vms_profile_bucket {
	uint64_t refs;                /* references the engine saw */
	uint64_t faults;              /* missing pages: first touches and swap-ins */
	uint64_t zero_fills;          /* of them, first touches (zero or same-filled) */
	uint64_t swap_ins;
	uint64_t evictions;
	uint64_t soft_faults;         /* touches of soft-unmapped pages */
};

struct vms_profile {
	bool virtual_time;            /* buckets of references, not of nanoseconds */
	uint64_t width;               /* of a bucket: ns, or references */
	uint64_t refs;                /* references so far (the virtual clock) */
	uint32_t nr;                  /* buckets in use */
	struct vms_profile_bucket b[VMS_PROFILE_BUCKETS];
};

int vms_profile_init(struct vms_pager *pg);
void vms_profile_after_ref(struct vms_pager *pg, const struct vms_ref_result *res);
void vms_profile_fini(struct vms_pager *pg);

#endif
