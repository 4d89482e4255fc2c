/* SPDX-License-Identifier: MIT */
/*
 * Shadows of evicted pages and their refault distances (workingset.h).
 *
 * The shadow of eviction number s lives in ring[s % capacity], so its
 * clock value is not stored: of the last `capacity` evictions exactly one
 * has each remainder, and the ring slot tells which.  A slot is reused
 * capacity evictions later, which forgets the oldest shadow.  The hash
 * chains link ring slots by index.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "vmsandbox/workingset.h"

#define NIL UINT32_MAX

struct shadow {
	vms_key_t key;
	uint32_t next;           /* next slot in the same hash chain, or NIL */
	uint32_t used;           /* 1: holds a shadow */
};

struct vms_workingset {
	struct shadow *ring;     /* capacity slots */
	uint32_t *buckets;       /* 1 << bucket_bits chain heads */
	uint32_t capacity;
	unsigned bucket_bits;
	uint64_t clock;          /* evictions so far: the next one's number */
};

int vms_workingset_new(uint32_t capacity, struct vms_workingset **ret)
{
	struct vms_workingset *ws;
	unsigned bits = 1;

	if (capacity == 0 || capacity > (UINT32_C(1) << 28))
		return -EINVAL;
	while ((UINT32_C(1) << bits) < capacity)
		bits++;
	ws = calloc(1, sizeof(*ws));
	if (!ws)
		return -ENOMEM;
	ws->ring = calloc(capacity, sizeof(*ws->ring));
	ws->buckets = malloc(sizeof(*ws->buckets) << bits);
	if (!ws->ring || !ws->buckets) {
		vms_workingset_free(ws);
		return -ENOMEM;
	}
	memset(ws->buckets, 0xff, sizeof(*ws->buckets) << bits);   /* NIL */
	ws->capacity = capacity;
	ws->bucket_bits = bits;
	*ret = ws;
	return 0;
}

void vms_workingset_free(struct vms_workingset *ws)
{
	if (!ws)
		return;
	free(ws->ring);
	free(ws->buckets);
	free(ws);
}

static uint32_t *bucket_of(struct vms_workingset *ws, vms_key_t key)
{
	return &ws->buckets[(key * UINT64_C(0x9E3779B97F4A7C15)) >> (64 - ws->bucket_bits)];
}

/* The link that points at the shadow of key (a bucket head or a slot's
 * next), or NULL when key has no shadow. */
static uint32_t *find_link(struct vms_workingset *ws, vms_key_t key)
{
	uint32_t *link = bucket_of(ws, key);

	while (*link != NIL) {
		if (ws->ring[*link].key == key)
			return link;
		link = &ws->ring[*link].next;
	}
	return NULL;
}

static void unlink_slot(struct vms_workingset *ws, uint32_t *link)
{
	struct shadow *sh = &ws->ring[*link];

	*link = sh->next;
	sh->used = 0;
	sh->next = NIL;
}

void vms_workingset_evicted(struct vms_workingset *ws, vms_key_t key)
{
	uint32_t slot = (uint32_t)(ws->clock % ws->capacity);
	uint32_t *link = find_link(ws, key), *head;

	if (link)
		unlink_slot(ws, link);
	if (ws->ring[slot].used) {
		/* The oldest shadow: forgotten. */
		link = find_link(ws, ws->ring[slot].key);
		unlink_slot(ws, link);
	}
	head = bucket_of(ws, key);
	ws->ring[slot] = (struct shadow){ .key = key, .next = *head, .used = 1 };
	*head = slot;
	ws->clock++;
}

bool vms_workingset_refault(struct vms_workingset *ws, vms_key_t key, uint64_t *ret_distance)
{
	uint32_t *link = find_link(ws, key);
	uint64_t back;

	if (!link)
		return false;
	/* Slot i holds eviction s = clock - 1 - back, back = (clock - 1 - i)
	 * mod capacity; its distance is clock - s. */
	back = ((ws->clock - 1) % ws->capacity + ws->capacity - *link) % ws->capacity;
	*ret_distance = back + 1;
	unlink_slot(ws, link);
	return true;
}

uint64_t vms_workingset_evictions(const struct vms_workingset *ws)
{
	return ws->clock;
}

uint32_t vms_workingset_capacity(const struct vms_workingset *ws)
{
	return ws->capacity;
}

uint64_t vms_workingset_bytes(const struct vms_workingset *ws)
{
	return sizeof(*ws) + (uint64_t)ws->capacity * sizeof(*ws->ring) +
	       (sizeof(*ws->buckets) << ws->bucket_bits);
}

/* ---- the distance histogram ---- */

#define SUB (UINT64_C(1) << VMS_WS_HIST_SUB_BITS)

static unsigned hist_index(uint64_t v)
{
	unsigned e;

	if (v < 2 * SUB)
		return (unsigned)v;
	if (v > UINT32_MAX)
		return VMS_WS_HIST_BUCKETS - 1;
	e = 63u - (unsigned)__builtin_clzll(v);
	return (unsigned)(SUB * (e - VMS_WS_HIST_SUB_BITS) + (v >> (e - VMS_WS_HIST_SUB_BITS)));
}

static uint64_t hist_lower_bound(unsigned idx)
{
	unsigned shift;

	if (idx < 2 * SUB)
		return idx;
	shift = idx / (unsigned)SUB - 1;
	return (SUB + idx % SUB) << shift;
}

void vms_ws_hist_reset(struct vms_ws_hist *h)
{
	memset(h, 0, sizeof(*h));
}

void vms_ws_hist_add(struct vms_ws_hist *h, uint64_t value)
{
	h->count[hist_index(value)]++;
	h->total++;
}

void vms_ws_hist_merge(struct vms_ws_hist *into, const struct vms_ws_hist *from)
{
	if (!from->total)
		return;
	for (unsigned i = 0; i < VMS_WS_HIST_BUCKETS; i++)
		into->count[i] += from->count[i];
	into->total += from->total;
}

uint64_t vms_ws_hist_quantile(const struct vms_ws_hist *h, double q)
{
	uint64_t need, seen = 0;

	if (!h->total)
		return 0;
	if (q > 1)
		q = 1;
	need = (uint64_t)(q * (double)h->total);   /* ceil(q * total), at least 1 */
	if ((double)need < q * (double)h->total || need == 0)
		need++;
	for (unsigned i = 0; i < VMS_WS_HIST_BUCKETS; i++) {
		seen += h->count[i];
		if (seen >= need)
			return hist_lower_bound(i);
	}
	return hist_lower_bound(VMS_WS_HIST_BUCKETS - 1);
}
