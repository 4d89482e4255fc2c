/* SPDX-License-Identifier: MIT */
/*
 * The TLB model: one or two levels of set-associative translation caches
 * over page keys (ASID << 36 | vpn), LRU within each set, with shootdowns
 * and flushes.  It decides nothing about residency; it only answers "which
 * level hit, or was it a page walk" and counts.  Pure and deterministic: no
 * syscalls, no printing, no allocation after vms_tlb_new().  See docs/tlb.md.
 *
 * Fill policy (non-inclusive, like most x86 second-level TLBs):
 *  - a hit in level i moves the entry to most-recently-used in level i and
 *    fills every level above it (0 .. i-1); levels below i are not touched
 *    (they did not see the access, so their recency is not updated);
 *  - a miss in every level is a page walk (VMS_TLB_WALK) and fills every
 *    level;
 *  - a fill into a full set evicts that set's least-recently-used entry;
 *    evicting from one level never removes the key from another level.
 *
 * Set index: a cheap hash of the key reduced modulo the number of sets of
 * the level (any number of sets; powers of two take a mask).  The hash is
 * the vpn plus an offset per ASID, so consecutive pages go to consecutive
 * sets as in hardware indexed by the low VPN bits (for ASID 0 and
 * vpn < 2^32 the set is vpn % sets), and the same vpn in two processes does
 * not land in the same set: with S sets (a power of two), any S consecutive
 * ASIDs put a given vpn in S different sets.
 */
#ifndef VMSANDBOX_TLB_H
#define VMSANDBOX_TLB_H

#include "vmsandbox/types.h"

/* Levels supported; everything below loops to nr_levels, so raising this is
 * the only change a third level needs. */
#define VMS_TLB_MAX_LEVELS 2

/* Bounds on one level's geometry.  The cost of an access is linear in the
 * ways of the sets it probes, so ways are bounded to keep a fully
 * associative level (ways == entries) usable; entries are bounded so that a
 * typo cannot ask for gigabytes. */
#define VMS_TLB_MAX_ENTRIES (UINT32_C(1) << 20)
#define VMS_TLB_MAX_WAYS    UINT32_C(4096)

struct vms_tlb_level_geom {
	uint32_t entries;   /* translations held by the level, >= 1 */
	uint32_t ways;      /* associativity, divides entries; == entries: fully associative */
};

struct vms_tlb_geom {
	unsigned nr_levels; /* 1 .. VMS_TLB_MAX_LEVELS; level[0] is probed first */
	struct vms_tlb_level_geom level[VMS_TLB_MAX_LEVELS];
};

/*
 * Parse "ENTRIESxWAYS[,ENTRIESxWAYS]" (decimal, no spaces, no sign); a level
 * written as "ENTRIES" alone is fully associative.  Returns 0, or -EINVAL
 * with a message naming the spec and the rule it broke written into err
 * (always NUL-terminated if errlen > 0; err may be NULL).  ret is untouched
 * on failure.
 */
int vms_tlb_parse(const char *spec, struct vms_tlb_geom *ret, char *err, size_t errlen);

/* Write the geometry as "64x4,1536x12" into buf.  Returns 0, -EINVAL for an
 * invalid geometry, -ENOSPC if it does not fit (buf untouched then). */
int vms_tlb_format(const struct vms_tlb_geom *geom, char *buf, size_t len);

struct vms_tlb;

/* Returns 0, -EINVAL for an invalid geometry, -ENOMEM.  Every allocation
 * the TLB will ever make happens here. */
int vms_tlb_new(const struct vms_tlb_geom *geom, struct vms_tlb **ret);
void vms_tlb_free(struct vms_tlb *tlb);

/*
 * Returned by vms_tlb_access() when no level held the translation: a page
 * walk.  A constant, greater than every level that can hit, so that
 * `r == VMS_TLB_WALK` and `r >= nr_levels` both work for any geometry; it
 * equals nr_levels when the TLB has VMS_TLB_MAX_LEVELS levels.
 */
#define VMS_TLB_WALK VMS_TLB_MAX_LEVELS

/*
 * Look key up as the MMU would.  Returns the level that hit (0 = first),
 * or VMS_TLB_WALK for a page walk; then fills as described at the top.
 */
int vms_tlb_access(struct vms_tlb *tlb, vms_key_t key);

/*
 * Whether the last vms_tlb_access() pushed a valid translation out of the
 * first level (the set was full), and which.  The live TLB model keeps
 * exactly the first level's pages mapped, so that page must be unmapped.
 */
bool vms_tlb_displaced(const struct vms_tlb *tlb, vms_key_t *ret);

/* Number of levels of the geometry the TLB was made with. */
unsigned vms_tlb_nr_levels(const struct vms_tlb *tlb);

/* Remove one translation from every level (eviction, unmap or remap of the
 * page). */
void vms_tlb_shootdown(struct vms_tlb *tlb, vms_key_t key);

/* Remove the translations of pages start <= vpn < end (end exclusive, as
 * munmap's range) of asid from every level.  Probes page by page for small
 * ranges and scans the whole TLB for large ones, whichever is cheaper. */
void vms_tlb_shootdown_range(struct vms_tlb *tlb, uint32_t asid, vms_vpn_t start, vms_vpn_t end);

/* Remove every translation of asid (exit, exec). */
void vms_tlb_flush_asid(struct vms_tlb *tlb, uint32_t asid);

/* Remove every translation. */
void vms_tlb_flush_all(struct vms_tlb *tlb);

struct vms_tlb_level_stats {
	uint64_t hits;      /* accesses that found the key in this level */
	uint64_t misses;    /* accesses that reached this level and missed */
	uint64_t evictions; /* valid entries displaced by a fill into a full set */
};

struct vms_tlb_stats {
	unsigned nr_levels;
	struct vms_tlb_level_stats level[VMS_TLB_MAX_LEVELS];
	uint64_t accesses;   /* vms_tlb_access() calls; == level[0].hits + level[0].misses */
	uint64_t walks;      /* == level[nr_levels-1].misses */
	uint64_t shootdowns; /* entries actually removed by shootdown / shootdown_range,
	                      * one per level that held the key */
	uint64_t flushes;    /* flush_asid and flush_all calls */
};

void vms_tlb_get_stats(const struct vms_tlb *tlb, struct vms_tlb_stats *ret);

/* Whether level holds key (false for a level >= nr_levels).  For tests; does
 * not change recency or counters. */
bool vms_tlb_contains(const struct vms_tlb *tlb, vms_key_t key, unsigned level);

/* The set of level that key maps to (UINT32_MAX for a level >= nr_levels).
 * Part of the model's definition: tests and reports use it to reason about
 * conflicts. */
uint32_t vms_tlb_set_of(const struct vms_tlb *tlb, vms_key_t key, unsigned level);

#endif
