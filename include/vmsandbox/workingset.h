/* SPDX-License-Identifier: MIT */
/*
 * Refault distances: how far beyond the budget a program's working set
 * reaches, measured from evictions and faults the pager sees anyway, as
 * Linux's mm/workingset.c does with its shadow entries.
 *
 * Every eviction ticks a clock and leaves a shadow of the page: its key and
 * the clock's value.  When the page faults back in, its refault distance is
 * the number of evictions since its own, that one included.  Under an
 * LRU-like order the page would still have been resident with `distance`
 * more frames: a program sweeping W pages with F < W frames refaults every
 * page at distance W - F, so frames + distance estimates the working set.
 *
 * The shadows of the last `capacity` evictions are kept (a ring, indexed
 * by the clock, with a hash over the keys): a page evicted longer ago is
 * forgotten, as the kernel reclaims old shadow entries, and its fault is
 * not a refault here (its distance is more than capacity).  No memory is
 * allocated after vms_workingset_new(); each call is O(1) on average.
 *
 * The distance histogram is log-linear (64 sub-buckets per power of two,
 * exact below 128): any quantile is within 1/64 of the true value, read
 * as the lower bound of its bucket.
 *
 * Pure computation; not thread safe.
 */
#ifndef VMSANDBOX_WORKINGSET_H
#define VMSANDBOX_WORKINGSET_H

#include <stdbool.h>
#include <stdint.h>

#include "vmsandbox/types.h"

struct vms_workingset;

/* capacity: evictions remembered, 1 .. 2^28.  0 or -EINVAL, -ENOMEM; *ret
 * untouched on failure. */
int vms_workingset_new(uint32_t capacity, struct vms_workingset **ret);
void vms_workingset_free(struct vms_workingset *ws);   /* accepts NULL */

/* The page `key` was evicted.  A shadow it left earlier (evicted, then
 * unmapped and touched anew, never refaulted) is replaced. */
void vms_workingset_evicted(struct vms_workingset *ws, vms_key_t key);

/*
 * The page `key` faulted.  If its eviction is remembered, forgets it and
 * returns true with the refault distance (>= 1) in *ret_distance; false
 * for a page never evicted or evicted more than capacity evictions ago.
 */
bool vms_workingset_refault(struct vms_workingset *ws, vms_key_t key, uint64_t *ret_distance);

uint64_t vms_workingset_evictions(const struct vms_workingset *ws);
uint32_t vms_workingset_capacity(const struct vms_workingset *ws);
/* Heap bytes held (for the docs' cost figures and reports). */
uint64_t vms_workingset_bytes(const struct vms_workingset *ws);

/* A histogram of refault distances (values up to 2^32 - 1; larger ones are
 * counted in the last bucket). */
#define VMS_WS_HIST_SUB_BITS 6
/* Exact below 2 << SUB_BITS; then 1 << SUB_BITS buckets for each power of two
 * up to 2^31. */
#define VMS_WS_HIST_BUCKETS ((33 - VMS_WS_HIST_SUB_BITS) << VMS_WS_HIST_SUB_BITS)

struct vms_ws_hist {
	uint64_t total;
	uint64_t count[VMS_WS_HIST_BUCKETS];
};

void vms_ws_hist_reset(struct vms_ws_hist *h);
void vms_ws_hist_add(struct vms_ws_hist *h, uint64_t value);
void vms_ws_hist_merge(struct vms_ws_hist *into, const struct vms_ws_hist *from);
/* The smallest bucket lower bound v such that at least q (0 < q <= 1) of
 * the values are <= its bucket; 0 when the histogram is empty. */
uint64_t vms_ws_hist_quantile(const struct vms_ws_hist *h, double q);

#endif
