/* SPDX-License-Identifier: MIT */
/*
 * The thrashing verdict: a run cut into windows (of wall time, or of the
 * engine's references for a deterministic series), what each window saw,
 * which windows thrashed, and whether the run did.
 *
 * A window thrashes when, within it,
 *   - the program waited on faults for at least min_stall_fraction of the
 *     window's wall time,
 *   - at least min_refault_fraction of its faults were refaults (pages
 *     that had been evicted coming back) and there were min_refaults of
 *     them.
 * The run thrashes from the first stretch of min_windows consecutive
 * thrashing windows on ("since"), or from the start of a shorter stretch
 * that lasts to the end of the run and covers at least half of its windows
 * (a short run cannot have a long stretch; a long run that only thrashes at
 * its very end is a burst).  A last window shorter than half a window
 * is reported but left out of the verdict, unless it is the only one.
 *
 * The series keeps at most max_windows windows: when full, neighbours are
 * merged in pairs and the window length doubles, so a long run's report
 * stays small.  Windows are classified as they close, at the length of the
 * time, so merging never changes the verdict.
 *
 * Pure computation, fed by the caller (the live pager); not thread safe.
 */
#ifndef VMSANDBOX_THRASH_H
#define VMSANDBOX_THRASH_H

#include <stdbool.h>
#include <stdint.h>

#include "vmsandbox/workingset.h"

struct vms_thrash_rule {
	double min_stall_fraction;     /* stall_ns / dur_ns */
	double min_refault_fraction;   /* refaults / faults */
	uint64_t min_refaults;         /* refaults in the window */
	uint32_t min_windows;          /* consecutive thrashing windows that make a verdict */
};

/* The pager's rule; docs/thrashing.md says why these numbers. */
#define VMS_THRASH_RULE_DEFAULT { .min_stall_fraction = 0.20, .min_refault_fraction = 0.5, \
				  .min_refaults = 10, .min_windows = 3 }

struct vms_thrash_config {
	uint64_t frames;               /* the budget, for the working-set estimate */
	uint64_t max_distance;         /* refault distances are known up to this (the
					* shadows kept, workingset.h), at most 2^28 */
	uint64_t window_len;           /* in the caller's unit (ns or references), >= 1 */
	uint32_t max_windows;          /* even, >= 2 */
	struct vms_thrash_rule rule;
};

/* What the caller measured over one window. */
struct vms_thrash_sample {
	uint64_t start_ns;             /* from the run's start */
	uint64_t dur_ns;               /* wall time */
	uint64_t len;                  /* in window_len's unit: less than window_len for a
					* last, partial window */
	uint64_t refs;                 /* the engine's references at the window's end */
	uint64_t faults;               /* references that needed a frame */
	uint64_t swap_ins;
	uint64_t evictions;
	uint64_t stall_ns;             /* wall time some thread waited on a fault */
	uint32_t resident;             /* frames in use at the window's end */
};

struct vms_thrash_window {
	struct vms_thrash_sample s;
	uint64_t refaults;             /* faults that brought an evicted page back */
	uint64_t wss_pages;            /* frames + median refault distance; 0 without refaults */
	bool wss_beyond;               /* the median is beyond max_distance: wss_pages is
					* only a lower bound */
	bool thrashing;
};

struct vms_thrash_totals {
	uint64_t nr_windows;
	uint64_t dur_ns, stall_ns, faults, swap_ins, evictions, refaults;
	uint64_t wss_pages;            /* frames + median refault distance; 0 without refaults */
	bool wss_beyond;               /* as in a window */
};

struct vms_thrash_verdict {
	bool thrashing;
	uint64_t since_ns;             /* start of the first sustained stretch (thrashing only) */
	struct vms_thrash_totals all;        /* the windows the verdict looked at */
	struct vms_thrash_totals thrashed;   /* those of them that thrashed */
};

struct vms_thrash;

/* 0, -EINVAL (window_len 0, max_windows odd or < 2), -ENOMEM. */
int vms_thrash_new(const struct vms_thrash_config *cfg, struct vms_thrash **ret);
void vms_thrash_free(struct vms_thrash *t);   /* accepts NULL */

/* A refault in the current window, at this distance (>= 1), or
 * VMS_THRASH_DISTANCE_UNKNOWN for a page evicted longer ago than the
 * shadows remember (more than max_distance). */
#define VMS_THRASH_DISTANCE_UNKNOWN UINT64_MAX
void vms_thrash_refault(struct vms_thrash *t, uint64_t distance);
/* Ends the current window with what the caller measured; `last` for the
 * run's final window. */
void vms_thrash_close(struct vms_thrash *t, const struct vms_thrash_sample *s, bool last);
/* The current window length (it doubles when windows are merged). */
uint64_t vms_thrash_window_len(const struct vms_thrash *t);

bool vms_thrash_window_thrashes(const struct vms_thrash_rule *rule,
				const struct vms_thrash_sample *s, uint64_t refaults);
const struct vms_thrash_window *vms_thrash_windows(const struct vms_thrash *t, uint32_t *ret_nr);
void vms_thrash_get_verdict(const struct vms_thrash *t, struct vms_thrash_verdict *ret);
const struct vms_thrash_config *vms_thrash_config(const struct vms_thrash *t);

#endif
