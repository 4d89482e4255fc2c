/* SPDX-License-Identifier: MIT */
/*
 * Miss-ratio curve engine: one pass over a reference stream gives the exact
 * number of faults LRU would take for every frame count at once.
 *
 * Each reference is given its LRU stack distance (Mattson et al., 1970):
 * 1 for the most recently used page, 2 for the one before it, and so on; a
 * page never seen (or forgotten since) is a cold miss with infinite
 * distance.  LRU with k frames hits exactly the references of distance <= k,
 * so a histogram of distances is the whole curve.  Cost: O(log n) per
 * reference, memory O(distinct pages); see docs/mrc.md.
 *
 * Pure computation: no syscalls, no printing.  malloc is used (amortized:
 * the tables grow by doubling), so this runs in the supervisor or replay,
 * never in a restricted context.  Not thread safe; one owner at a time.
 */
#ifndef VMSANDBOX_MRC_H
#define VMSANDBOX_MRC_H

#include <stddef.h>
#include <stdint.h>

#include "vmsandbox/types.h"

struct vms_mrc;

/*
 * expected_pages is a sizing hint (distinct pages the caller expects); 0 is
 * fine, and the tables grow past it.  Hints above 2^24 pages are clamped so
 * that a wild hint cannot allocate gigabytes up front.
 * Returns 0 or -ENOMEM; *ret is untouched on failure.
 */
int vms_mrc_new(uint64_t expected_pages, struct vms_mrc **ret);
void vms_mrc_free(struct vms_mrc *mrc);  /* accepts NULL */

/*
 * One reference to the page named by key (any 64-bit value is a valid key).
 * Returns 0, or -ENOMEM if a table could not grow; the reference is then not
 * counted and the engine is unchanged apart from internal renumbering.
 */
int vms_mrc_access(struct vms_mrc *mrc, vms_key_t key);

/*
 * Same as calling vms_mrc_access() on keys[0 .. nr_keys-1] in order, but
 * prefetches ahead so that the cache misses of several references overlap
 * (2-3x the throughput on large page sets; the replayer's entry point).
 * On -ENOMEM the references before the failing one are counted:
 * vms_mrc_references() tells how many.
 */
int vms_mrc_access_batch(struct vms_mrc *mrc, const vms_key_t *keys, size_t nr_keys);

/*
 * The page was unmapped: take it off the LRU stack, so its next access is a
 * cold miss and every page below it moves up one place.  Not a reference.
 * No-op for a key not on the stack.  Never allocates, never fails.
 * See docs/mrc.md for how this relates to a pager that frees the frame:
 * the counts are then a lower bound for each frame count.
 */
void vms_mrc_forget(struct vms_mrc *mrc, vms_key_t key);

uint64_t vms_mrc_references(const struct vms_mrc *mrc);
/* References to a page not on the stack (first touch, or after forget). */
uint64_t vms_mrc_cold_misses(const struct vms_mrc *mrc);
/* Pages currently on the stack (accessed and not forgotten since). */
uint64_t vms_mrc_distinct_pages(const struct vms_mrc *mrc);
/* Largest finite stack distance seen so far; 0 if none. */
uint64_t vms_mrc_max_distance(const struct vms_mrc *mrc);

/*
 * Faults LRU takes with `frames` frames: cold misses plus references of
 * distance > frames.  frames == 0 gives references (every reference
 * faults).  O(min(frames, max_distance - frames)); use vms_mrc_curve() for
 * many frame counts.
 */
uint64_t vms_mrc_faults(const struct vms_mrc *mrc, uint64_t frames);

/*
 * faults_out[k] = vms_mrc_faults(mrc, k) for k = 0 .. max_frames, so the
 * array must hold max_frames + 1 entries.  O(max_frames).
 * Returns 0, or -EINVAL if faults_out is NULL or max_frames + 1 overflows.
 */
int vms_mrc_curve(const struct vms_mrc *mrc, uint64_t max_frames, uint64_t *faults_out);

/* Heap bytes held by the engine (tables and histogram), for reports. */
size_t vms_mrc_bytes(const struct vms_mrc *mrc);

#endif
