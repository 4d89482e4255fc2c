/* SPDX-License-Identifier: MIT */
/*
 * The pure parts of the profile's attribution (attribtab.h).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "attribtab.h"

/* ---- pair map: open addressing, linear probing, at most half full ---- */

static uint64_t pair_hash(uint64_t a, uint64_t b)
{
	uint64_t h = a * 0x9e3779b97f4a7c15ull ^ (b + 0x632be59bd9b4e019ull + (a << 6) + (a >> 2));

	/* splitmix64's finalizer */
	h ^= h >> 30;
	h *= 0xbf58476d1ce4e5b9ull;
	h ^= h >> 27;
	h *= 0x94d049bb133111ebull;
	h ^= h >> 31;
	return h;
}

static size_t pair_slot(const struct vms_pairmap_slot *slot, size_t cap, uint64_t a, uint64_t b)
{
	size_t j = (size_t)pair_hash(a, b) & (cap - 1);

	while (slot[j].used && (slot[j].a != a || slot[j].b != b))
		j = (j + 1) & (cap - 1);
	return j;
}

static int pairmap_grow(struct vms_pairmap *m)
{
	size_t cap = m->cap ? m->cap * 2 : 256;
	struct vms_pairmap_slot *slot = calloc(cap, sizeof(*slot));

	if (!slot)
		return -ENOMEM;
	for (size_t i = 0; i < m->cap; i++)
		if (m->slot[i].used)
			slot[pair_slot(slot, cap, m->slot[i].a, m->slot[i].b)] = m->slot[i];
	free(m->slot);
	m->slot = slot;
	m->cap = cap;
	return 0;
}

int vms_pairmap_get_or_add(struct vms_pairmap *m, uint64_t a, uint64_t b, uint32_t value,
			   uint32_t *ret_value, bool *ret_new)
{
	size_t j;

	if (m->cap) {
		j = pair_slot(m->slot, m->cap, a, b);
		if (m->slot[j].used) {
			*ret_value = m->slot[j].value;
			*ret_new = false;
			return 0;
		}
	}
	if ((m->nr + 1) * 2 > m->cap && pairmap_grow(m) < 0)
		return -ENOMEM;
	j = pair_slot(m->slot, m->cap, a, b);
	m->slot[j] = (struct vms_pairmap_slot){ .a = a, .b = b, .value = value, .used = true };
	m->nr++;
	*ret_value = value;
	*ret_new = true;
	return 0;
}

bool vms_pairmap_find(const struct vms_pairmap *m, uint64_t a, uint64_t b, uint32_t *ret_value)
{
	size_t j;

	if (!m->cap)
		return false;
	j = pair_slot(m->slot, m->cap, a, b);
	if (!m->slot[j].used)
		return false;
	*ret_value = m->slot[j].value;
	return true;
}

void vms_pairmap_fini(struct vms_pairmap *m)
{
	free(m->slot);
	m->slot = NULL;
	m->cap = m->nr = 0;
}

/* ---- /proc/TID/syscall ---- */

int vms_thread_regs_parse(const char *text, struct vms_thread_regs *ret)
{
	unsigned long long v[8];
	long nr;
	int n;

	if (strncmp(text, "running", 7) == 0)
		return -EAGAIN;
	if (sscanf(text, "%ld%n", &nr, &n) != 1)
		return -EINVAL;
	text += n;
	if (nr < 0) {
		/* Blocked, not in a syscall: "-1 SP PC". */
		if (sscanf(text, "%llx %llx", &v[0], &v[1]) != 2)
			return -EINVAL;
		*ret = (struct vms_thread_regs){ .nr = -1, .sp = v[0], .pc = v[1] };
		return 0;
	}
	if (sscanf(text, "%llx %llx %llx %llx %llx %llx %llx %llx", &v[0], &v[1], &v[2], &v[3],
		   &v[4], &v[5], &v[6], &v[7]) != 8)
		return -EINVAL;
	*ret = (struct vms_thread_regs){ .nr = nr, .sp = v[6], .pc = v[7] };
	return 0;
}

/* ---- classification ---- */

const char *vms_region_kind_name(enum vms_region_kind kind)
{
	static const char *const names[VMS_REGION_NR_KINDS] = {
		[VMS_REGION_HEAP] = "heap",
		[VMS_REGION_STACK] = "stack",
		[VMS_REGION_THREAD_STACK] = "thread_stack",
		[VMS_REGION_MMAP] = "mmap",
		[VMS_REGION_DATA] = "data",
		[VMS_REGION_OTHER] = "other",
	};

	return (unsigned)kind < VMS_REGION_NR_KINDS ? names[kind] : "other";
}

bool vms_region_is_data(uint64_t start, uint64_t prev_end, uint64_t prev_inode,
			const char *prev_perms)
{
	return prev_inode != 0 && prev_end == start && prev_perms && prev_perms[0] == 'r' &&
	       prev_perms[1] == 'w';
}

bool vms_region_is_thread_stack(const char *const *functions, size_t nr)
{
	/* glibc (allocate_stack is inlined into pthread_create in some
	 * builds), musl (pthread_create maps the stack itself). */
	static const char *const names[] = { "allocate_stack", "pthread_create",
					     "__pthread_create_2_1", "__pthread_create" };

	for (size_t i = 0; i < nr; i++) {
		if (!functions[i])
			continue;
		for (size_t k = 0; k < sizeof(names) / sizeof(names[0]); k++)
			if (strcmp(functions[i], names[k]) == 0)
				return true;
	}
	return false;
}

/* ---- counters and rows ---- */

void vms_region_counts_add(struct vms_region_counts *to, const struct vms_region_counts *c)
{
	to->pages_touched += c->pages_touched;
	to->faults += c->faults;
	to->zero_fills += c->zero_fills;
	to->swap_ins += c->swap_ins;
	to->evictions += c->evictions;
	to->soft_faults += c->soft_faults;
	to->wp_faults += c->wp_faults;
	to->adopted += c->adopted;
}

bool vms_region_counts_zero(const struct vms_region_counts *c)
{
	return !c->pages_touched && !c->faults && !c->evictions && !c->soft_faults &&
	       !c->wp_faults && !c->adopted;
}

static int cmp_u32(uint32_t x, uint32_t y)
{
	return (x > y) - (x < y);
}

static int cmp_u64_desc(uint64_t x, uint64_t y)
{
	return (x < y) - (x > y);
}

static int by_key(const void *pa, const void *pb)
{
	const struct vms_region_row *a = pa, *b = pb;
	int r;

	if ((r = cmp_u32(a->key.as_id, b->key.as_id)) || (r = cmp_u32(a->key.kind, b->key.kind)) ||
	    (r = cmp_u32(a->key.site, b->key.site)) || (r = cmp_u32(a->key.ident, b->key.ident)))
		return r;
	return cmp_u32(a->first, b->first);
}

static bool same_key(const struct vms_region_key *a, const struct vms_region_key *b)
{
	return a->as_id == b->as_id && a->kind == b->kind && a->site == b->site &&
	       a->ident == b->ident;
}

static int by_activity(const void *pa, const void *pb)
{
	const struct vms_region_row *a = pa, *b = pb;
	int r;

	if ((r = cmp_u64_desc(a->c.faults, b->c.faults)) ||
	    (r = cmp_u64_desc(a->c.evictions, b->c.evictions)) ||
	    (r = cmp_u64_desc(a->c.soft_faults, b->c.soft_faults)) ||
	    (r = cmp_u64_desc(a->c.pages_touched, b->c.pages_touched)))
		return r;
	return cmp_u32(a->first, b->first);
}

size_t vms_region_rows_merge(struct vms_region_row *rows, size_t nr)
{
	size_t out = 0;

	if (!nr)
		return 0;
	qsort(rows, nr, sizeof(*rows), by_key);
	for (size_t i = 0; i < nr; i++) {
		struct vms_region_row *o = out ? &rows[out - 1] : NULL;

		if (o && same_key(&o->key, &rows[i].key)) {
			if (rows[i].start < o->start)
				o->start = rows[i].start;
			if (rows[i].end > o->end)
				o->end = rows[i].end;
			o->bytes += rows[i].bytes;
			o->mappings += rows[i].mappings;
			o->open += rows[i].open;
			vms_region_counts_add(&o->c, &rows[i].c);
			continue;   /* `first` stays the smallest: sorted by it */
		}
		rows[out++] = rows[i];
	}
	nr = out;
	out = 0;
	for (size_t i = 0; i < nr; i++)
		if (!vms_region_counts_zero(&rows[i].c))
			rows[out++] = rows[i];
	qsort(rows, out, sizeof(*rows), by_activity);
	return out;
}
