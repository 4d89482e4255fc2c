/* SPDX-License-Identifier: MIT */
/*
 * The TLB model.  Each level is a flat array of keys, nr_sets * ways, plus a
 * fill count per set.  Within a set the valid keys sit in slots
 * 0 .. fill-1 ordered from most to least recently used, so the array *is*
 * the LRU list: a hit moves its key to slot 0, a fill shifts the set down by
 * one and drops the last key if the set was full, a removal closes the gap.
 * With at most VMS_TLB_MAX_WAYS slots per set these moves are short, no
 * recency stamps are needed, and lookups find recent keys first.
 *
 * All memory is one block allocated by vms_tlb_new(); nothing allocates
 * afterwards.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vmsandbox/tlb.h"

struct tlb_level {
	vms_key_t *keys;        /* nr_sets * ways; set s is keys[s*ways ..], MRU first */
	uint16_t *fill;         /* valid keys per set, 0 .. ways */
	uint32_t nr_sets;
	uint32_t ways;
	uint32_t set_mask;      /* nr_sets - 1 when nr_sets is a power of two, else 0 */
	bool sets_pow2;
	uint64_t fastmod;       /* ceil(2^64 / nr_sets) for the division-free modulo */
	struct vms_tlb_level_stats stats;
};

struct vms_tlb {
	unsigned nr_levels;
	uint32_t sum_ways;      /* probe cost of one page over all levels */
	uint32_t sum_entries;   /* scan cost of the whole TLB */
	struct tlb_level level[VMS_TLB_MAX_LEVELS];
	uint64_t accesses;
	uint64_t walks;
	uint64_t shootdowns;
	uint64_t flushes;
	vms_key_t displaced;    /* pushed out of level 0 by the last access */
	bool has_displaced;
	/* then the keys of every level, then the fill counts of every level */
};

/* ---------------------------------------------------------------------- */
/* Geometry: parse, check, format                                          */

#define SPEC_HINT "expected ENTRIESxWAYS[,ENTRIESxWAYS], e.g. 64x4,1536x12"

static int level_geom_check(const struct vms_tlb_level_geom *g)
{
	if (g->entries < 1 || g->entries > VMS_TLB_MAX_ENTRIES)
		return -EINVAL;
	if (g->ways < 1 || g->ways > VMS_TLB_MAX_WAYS)
		return -EINVAL;
	if (g->entries % g->ways != 0)
		return -EINVAL;
	return 0;
}

static int geom_check(const struct vms_tlb_geom *geom)
{
	if (!geom || geom->nr_levels < 1 || geom->nr_levels > VMS_TLB_MAX_LEVELS)
		return -EINVAL;
	for (unsigned i = 0; i < geom->nr_levels; i++)
		if (level_geom_check(&geom->level[i]) < 0)
			return -EINVAL;
	return 0;
}

/* snprintf into err if there is room for anything; always returns -EINVAL so
 * that callers can `return bad(...)`. */
__attribute__((format(printf, 3, 4)))
static int bad(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (err && errlen > 0) {
		va_start(ap, fmt);
		vsnprintf(err, errlen, fmt, ap);
		va_end(ap);
	}
	return -EINVAL;
}

/*
 * Parse a decimal number at *p into *ret, advancing *p.  Returns 0, -EINVAL
 * if there is no digit, -ERANGE if the value exceeds max (checked digit by
 * digit, so a 30-digit number cannot overflow).
 */
static int parse_u32(const char **p, uint32_t max, uint32_t *ret)
{
	const char *s = *p;
	uint64_t v = 0;

	if (*s < '0' || *s > '9')
		return -EINVAL;
	for (; *s >= '0' && *s <= '9'; s++) {
		v = v * 10 + (uint64_t)(*s - '0');
		if (v > max)
			return -ERANGE;
	}
	*p = s;
	*ret = (uint32_t)v;
	return 0;
}

int vms_tlb_parse(const char *spec, struct vms_tlb_geom *ret, char *err, size_t errlen)
{
	struct vms_tlb_geom geom = { 0 };
	const char *p = spec;
	int r;

	if (!spec)
		return bad(err, errlen, "bad TLB geometry: none given: " SPEC_HINT);
	if (!*spec)
		return bad(err, errlen, "bad TLB geometry '': empty: " SPEC_HINT);

	for (;;) {
		struct vms_tlb_level_geom *g;

		if (geom.nr_levels == VMS_TLB_MAX_LEVELS)
			return bad(err, errlen, "bad TLB geometry '%s': more than %d levels: " SPEC_HINT,
				   spec, VMS_TLB_MAX_LEVELS);
		g = &geom.level[geom.nr_levels];

		r = parse_u32(&p, VMS_TLB_MAX_ENTRIES, &g->entries);
		if (r == -ERANGE)
			return bad(err, errlen, "bad TLB geometry '%s': level %u has more than %u entries",
				   spec, geom.nr_levels + 1, (unsigned)VMS_TLB_MAX_ENTRIES);
		if (r < 0)
			return bad(err, errlen, "bad TLB geometry '%s': " SPEC_HINT, spec);

		if (*p == 'x') {
			p++;
			r = parse_u32(&p, VMS_TLB_MAX_WAYS, &g->ways);
			if (r == -ERANGE)
				return bad(err, errlen, "bad TLB geometry '%s': level %u has more than %u ways",
					   spec, geom.nr_levels + 1, (unsigned)VMS_TLB_MAX_WAYS);
			if (r < 0)
				return bad(err, errlen, "bad TLB geometry '%s': " SPEC_HINT, spec);
		} else {
			/* ENTRIES alone: fully associative */
			if (g->entries > VMS_TLB_MAX_WAYS)
				return bad(err, errlen,
					   "bad TLB geometry '%s': level %u is fully associative with %u entries, "
					   "at most %u ways are supported: give ENTRIESxWAYS",
					   spec, geom.nr_levels + 1, g->entries, (unsigned)VMS_TLB_MAX_WAYS);
			g->ways = g->entries;
		}

		if (g->entries == 0)
			return bad(err, errlen, "bad TLB geometry '%s': level %u has 0 entries", spec,
				   geom.nr_levels + 1);
		if (g->ways == 0)
			return bad(err, errlen, "bad TLB geometry '%s': level %u has 0 ways", spec,
				   geom.nr_levels + 1);
		if (g->entries % g->ways != 0)
			return bad(err, errlen,
				   "bad TLB geometry '%s': level %u: %u entries are not a multiple of %u ways",
				   spec, geom.nr_levels + 1, g->entries, g->ways);
		geom.nr_levels++;

		if (*p == '\0')
			break;
		if (*p != ',')
			return bad(err, errlen, "bad TLB geometry '%s': unexpected '%c': " SPEC_HINT, spec, *p);
		p++;
		if (*p == '\0')
			return bad(err, errlen, "bad TLB geometry '%s': trailing ',': " SPEC_HINT, spec);
	}

	*ret = geom;
	return 0;
}

int vms_tlb_format(const struct vms_tlb_geom *geom, char *buf, size_t len)
{
	/* "1048576x4096," is 13 characters */
	char tmp[VMS_TLB_MAX_LEVELS * 16];
	size_t n = 0;

	if (geom_check(geom) < 0 || !buf)
		return -EINVAL;
	for (unsigned i = 0; i < geom->nr_levels; i++)
		n += (size_t)snprintf(tmp + n, sizeof(tmp) - n, "%s%ux%u", i ? "," : "",
				      geom->level[i].entries, geom->level[i].ways);
	if (n + 1 > len)
		return -ENOSPC;
	memcpy(buf, tmp, n + 1);
	return 0;
}

/* ---------------------------------------------------------------------- */
/* Construction                                                            */

int vms_tlb_new(const struct vms_tlb_geom *geom, struct vms_tlb **ret)
{
	size_t nr_keys = 0, nr_sets = 0, size;
	struct vms_tlb *tlb;
	vms_key_t *keys;
	uint16_t *fill;

	if (geom_check(geom) < 0 || !ret)
		return -EINVAL;

	for (unsigned i = 0; i < geom->nr_levels; i++) {
		nr_keys += geom->level[i].entries;
		nr_sets += geom->level[i].entries / geom->level[i].ways;
	}
	/* bounded by VMS_TLB_MAX_LEVELS * VMS_TLB_MAX_ENTRIES: no overflow */
	size = sizeof(*tlb) + nr_keys * sizeof(vms_key_t) + nr_sets * sizeof(uint16_t);
	tlb = calloc(1, size);
	if (!tlb)
		return -ENOMEM;

	keys = (vms_key_t *)(tlb + 1);
	fill = (uint16_t *)(keys + nr_keys);
	tlb->nr_levels = geom->nr_levels;
	for (unsigned i = 0; i < geom->nr_levels; i++) {
		struct tlb_level *l = &tlb->level[i];

		l->ways = geom->level[i].ways;
		l->nr_sets = geom->level[i].entries / l->ways;
		l->sets_pow2 = (l->nr_sets & (l->nr_sets - 1)) == 0;
		l->set_mask = l->sets_pow2 ? l->nr_sets - 1 : 0;
		/* floor((2^64-1)/d) + 1 == ceil(2^64/d) for d not a power of two */
		l->fastmod = UINT64_MAX / l->nr_sets + 1;
		l->keys = keys;
		l->fill = fill;
		keys += geom->level[i].entries;
		fill += l->nr_sets;
		tlb->sum_ways += l->ways;
		tlb->sum_entries += geom->level[i].entries;
	}

	*ret = tlb;
	return 0;
}

void vms_tlb_free(struct vms_tlb *tlb)
{
	free(tlb);
}

unsigned vms_tlb_nr_levels(const struct vms_tlb *tlb)
{
	return tlb->nr_levels;
}

/* ---------------------------------------------------------------------- */
/* Set index                                                               */

/*
 * 32-bit hash of a key: the vpn's low 32 bits, plus an offset per 2^32-page
 * region (the 36-bit vpn's top 4 bits), plus an offset per ASID, all modulo
 * 2^32.  An offset keeps consecutive pages of one address space in
 * consecutive sets, as hardware indexed by the low VPN bits does (for ASID 0
 * and vpn < 2^32 the hash is the vpn).  The ASID's offset is the ASID times
 * an odd constant (2^32 / golden ratio), so on a level with a power-of-two
 * number of sets S, two ASIDs put the same vpn in the same set only if they
 * are congruent modulo S: S consecutive ASIDs never alias one another.
 */
static inline uint32_t key_hash(vms_key_t key)
{
	vms_vpn_t vpn = vms_key_vpn(key);

	return (uint32_t)vpn + (uint32_t)(vpn >> 32) * UINT32_C(0x85ebca6b) +
	       vms_key_asid(key) * UINT32_C(0x9e3779b9);
}

/*
 * h mod nr_sets.  For sets that are not a power of two this is the
 * division-free remainder of Lemire, Kaser and Kurz ("Faster remainder by
 * direct computation", 2019): with M = ceil(2^64/d), the fractional part
 * M*h mod 2^64 multiplied by d gives h mod d in its high 64 bits, exactly
 * for every 32-bit h and d.
 */
static inline uint32_t level_set(const struct tlb_level *l, uint32_t h)
{
	if (l->sets_pow2)
		return h & l->set_mask;
	return (uint32_t)(((unsigned __int128)(l->fastmod * h) * l->nr_sets) >> 64);
}

uint32_t vms_tlb_set_of(const struct vms_tlb *tlb, vms_key_t key, unsigned level)
{
	if (level >= tlb->nr_levels)
		return UINT32_MAX;
	return level_set(&tlb->level[level], key_hash(key));
}

/* ---------------------------------------------------------------------- */
/* Access                                                                  */

/* Slot of key in the set (MRU first), or -1. */
static inline int set_find(const vms_key_t *set, unsigned fill, vms_key_t key)
{
	for (unsigned i = 0; i < fill; i++)
		if (set[i] == key)
			return (int)i;
	return -1;
}

/* Insert key, known to be absent, as most recently used; a full set's LRU
 * key goes to *displaced (if not NULL). */
static inline void set_insert(struct tlb_level *l, uint32_t s, vms_key_t key, vms_key_t *displaced,
			      bool *ret_displaced)
{
	vms_key_t *set = l->keys + (size_t)s * l->ways;
	unsigned fill = l->fill[s];

	if (fill == l->ways) {
		if (displaced) {
			*displaced = set[fill - 1];
			*ret_displaced = true;
		}
		l->stats.evictions++;
		fill--;   /* the LRU key in slot ways-1 is overwritten by the shift */
	} else {
		l->fill[s] = (uint16_t)(fill + 1);
	}
	memmove(set + 1, set, fill * sizeof(*set));
	set[0] = key;
}

int vms_tlb_access(struct vms_tlb *tlb, vms_key_t key)
{
	uint32_t h = key_hash(key);
	uint32_t sets[VMS_TLB_MAX_LEVELS];
	unsigned hit;

	tlb->accesses++;
	tlb->has_displaced = false;
	for (hit = 0; hit < tlb->nr_levels; hit++) {
		struct tlb_level *l = &tlb->level[hit];
		uint32_t s = level_set(l, h);
		vms_key_t *set = l->keys + (size_t)s * l->ways;
		int slot = set_find(set, l->fill[s], key);

		if (slot >= 0) {
			l->stats.hits++;
			if (slot > 0) {
				memmove(set + 1, set, (size_t)slot * sizeof(*set));
				set[0] = key;
			}
			break;
		}
		l->stats.misses++;
		sets[hit] = s;
	}

	if (hit == tlb->nr_levels)
		tlb->walks++;
	/* fill every level that missed; they are exactly 0 .. hit-1 */
	for (unsigned i = 0; i < hit; i++)
		set_insert(&tlb->level[i], sets[i], key, i == 0 ? &tlb->displaced : NULL,
			   &tlb->has_displaced);

	return hit == tlb->nr_levels ? VMS_TLB_WALK : (int)hit;
}

bool vms_tlb_displaced(const struct vms_tlb *tlb, vms_key_t *ret)
{
	if (tlb->has_displaced)
		*ret = tlb->displaced;
	return tlb->has_displaced;
}

bool vms_tlb_contains(const struct vms_tlb *tlb, vms_key_t key, unsigned level)
{
	const struct tlb_level *l;
	uint32_t s;

	if (level >= tlb->nr_levels)
		return false;
	l = &tlb->level[level];
	s = level_set(l, key_hash(key));
	return set_find(l->keys + (size_t)s * l->ways, l->fill[s], key) >= 0;
}

/* ---------------------------------------------------------------------- */
/* Shootdowns and flushes                                                  */

/* Remove key from one level; returns the number of entries removed (0/1). */
static unsigned level_remove_key(struct tlb_level *l, uint32_t h, vms_key_t key)
{
	uint32_t s = level_set(l, h);
	vms_key_t *set = l->keys + (size_t)s * l->ways;
	unsigned fill = l->fill[s];
	int slot = set_find(set, fill, key);

	if (slot < 0)
		return 0;
	memmove(set + slot, set + slot + 1, (fill - (unsigned)slot - 1) * sizeof(*set));
	l->fill[s] = (uint16_t)(fill - 1);
	return 1;
}

/*
 * Remove from every set of l the keys first <= key <= last, keeping the
 * others in their recency order.  Returns the number removed.  The keys of
 * one ASID are contiguous in key order, so the interval expresses a page
 * range of one ASID as well as a whole ASID.  It is inclusive because the
 * last page of the last ASID is UINT64_MAX, with no key after it.
 */
static uint64_t level_remove_keys(struct tlb_level *l, vms_key_t first, vms_key_t last)
{
	uint64_t removed = 0;

	for (uint32_t s = 0; s < l->nr_sets; s++) {
		vms_key_t *set = l->keys + (size_t)s * l->ways;
		unsigned fill = l->fill[s], kept = 0;

		for (unsigned i = 0; i < fill; i++) {
			if (set[i] >= first && set[i] <= last)
				continue;
			set[kept++] = set[i];
		}
		removed += fill - kept;
		l->fill[s] = (uint16_t)kept;
	}
	return removed;
}

void vms_tlb_shootdown(struct vms_tlb *tlb, vms_key_t key)
{
	uint32_t h = key_hash(key);

	for (unsigned i = 0; i < tlb->nr_levels; i++)
		tlb->shootdowns += level_remove_key(&tlb->level[i], h, key);
}

void vms_tlb_shootdown_range(struct vms_tlb *tlb, uint32_t asid, vms_vpn_t start, vms_vpn_t end)
{
	asid &= VMS_ASID_MAX;
	if (end > VMS_VPN_MAX + 1)
		end = VMS_VPN_MAX + 1;
	if (start >= end)
		return;

	/*
	 * Probing costs about sum_ways compares per page, scanning the whole
	 * TLB sum_entries; both touch only the TLB's own arrays.
	 */
	if ((end - start) * tlb->sum_ways <= tlb->sum_entries) {
		for (vms_vpn_t vpn = start; vpn < end; vpn++)
			vms_tlb_shootdown(tlb, vms_key(asid, vpn));
		return;
	}

	for (unsigned i = 0; i < tlb->nr_levels; i++)
		tlb->shootdowns += level_remove_keys(&tlb->level[i], vms_key(asid, start),
						     vms_key(asid, end - 1));
}

void vms_tlb_flush_asid(struct vms_tlb *tlb, uint32_t asid)
{
	asid &= VMS_ASID_MAX;
	tlb->flushes++;
	for (unsigned i = 0; i < tlb->nr_levels; i++)
		level_remove_keys(&tlb->level[i], vms_key(asid, 0), vms_key(asid, VMS_VPN_MAX));
}

void vms_tlb_flush_all(struct vms_tlb *tlb)
{
	tlb->flushes++;
	for (unsigned i = 0; i < tlb->nr_levels; i++)
		memset(tlb->level[i].fill, 0, tlb->level[i].nr_sets * sizeof(uint16_t));
}

void vms_tlb_get_stats(const struct vms_tlb *tlb, struct vms_tlb_stats *ret)
{
	struct vms_tlb_stats st = { 0 };

	st.nr_levels = tlb->nr_levels;
	for (unsigned i = 0; i < tlb->nr_levels; i++)
		st.level[i] = tlb->level[i].stats;
	st.accesses = tlb->accesses;
	st.walks = tlb->walks;
	st.shootdowns = tlb->shootdowns;
	st.flushes = tlb->flushes;
	*ret = st;
}
