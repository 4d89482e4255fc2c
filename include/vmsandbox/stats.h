/* SPDX-License-Identifier: MIT */
/*
 * The engine's counters, one X-macro list shared by the struct, the JSON and
 * text printers and the tests, so that a counter cannot exist in one and be
 * missing from another.
 */
#ifndef VMSANDBOX_STATS_H
#define VMSANDBOX_STATS_H

#include <stdint.h>

/* X(name, description) */
#define VMS_MM_STATS(X) \
	X(references,    "page references seen") \
	X(hits,          "references to resident pages") \
	X(faults,        "references that needed a frame") \
	X(faults_zero,   "first-touch faults, filled with zeros") \
	X(faults_swapin, "faults filled from a swap slot") \
	X(faults_same,   "faults filled from a same-filled value") \
	X(faults_around, "pages filled by fault-around next to a first-touch fault") \
	X(evictions,     "resident pages evicted to make room") \
	X(writebacks,    "evictions that stored the page (dirty or no swap copy)") \
	X(clean_drops,   "evictions of clean pages whose swap copy was valid") \
	X(same_evictions,"evictions of same-filled pages, kept as one value") \
	X(unmapped_resident, "resident pages released by unmap/discard/exit") \
	X(swap_full,     "evictions refused because swap was full") \
	X(cow_faults,    "writes to a frame shared since a fork: the writer got a frame of its own") \
	X(diverged_copies, "mappings of a shared frame whose bytes differed at eviction (stored apart)")

struct vms_mm_stats {
#define VMS_X_FIELD(name, desc) uint64_t name;
	VMS_MM_STATS(VMS_X_FIELD)
#undef VMS_X_FIELD
};

struct vms_stat_desc {
	const char *name;
	const char *description;
	size_t offset;
};

/* The list above as a table, terminated by a NULL name. */
extern const struct vms_stat_desc vms_mm_stat_descs[];

static inline uint64_t vms_stat_value(const struct vms_mm_stats *s, const struct vms_stat_desc *d)
{
	return *(const uint64_t *)((const char *)s + d->offset);
}

#endif
