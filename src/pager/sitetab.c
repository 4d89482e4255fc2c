/* SPDX-License-Identifier: MIT */
/*
 * The allocation-site tables (sitetab.h): three open-addressing hash tables
 * (strings, stacks, symbols) and a sorted range array per process.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "attribtab.h"
#include "sitetab.h"

/* An open-addressing index of 32-bit ids (0 = empty slot), capacity a power
 * of two, kept under 1/2 full; the caller compares keys. */
struct id_index {
	uint32_t *slot;
	uint32_t cap;
	uint32_t nr;
};

struct vms_sitetab {
	char **strings;               /* strings[id - 1] */
	uint32_t nr_strings, cap_strings;
	struct id_index string_index;
	struct vms_site **sites;      /* sites[id - 1], each allocated once: stable */
	uint32_t nr_sites, cap_sites;
	struct id_index site_index;
	/* Symbols by (module, offset): the pair map gives the index in syms. */
	struct vms_pairmap sym_index;
	struct vms_site_sym *syms;
	uint32_t nr_syms, cap_syms;
};

static uint64_t mix(uint64_t h, uint64_t v)
{
	/* splitmix64's finalizer over a running combination */
	h ^= v + 0x9e3779b97f4a7c15ull + (h << 6) + (h >> 2);
	h ^= h >> 30;
	h *= 0xbf58476d1ce4e5b9ull;
	h ^= h >> 27;
	h *= 0x94d049bb133111ebull;
	h ^= h >> 31;
	return h;
}

static uint64_t hash_string(const char *s)
{
	uint64_t h = 0xcbf29ce484222325ull;

	for (; *s; s++)
		h = (h ^ (uint8_t)*s) * 0x100000001b3ull;
	return h;
}

static uint64_t hash_stack(const struct vms_site_frame *f, uint32_t nr,
			   const struct vms_site_pyframe *py, uint32_t nr_py)
{
	uint64_t h = mix(nr, nr_py);

	for (uint32_t i = 0; i < nr; i++)
		h = mix(mix(h, f[i].module), f[i].offset);
	for (uint32_t i = 0; i < nr_py; i++)
		h = mix(mix(mix(h, py[i].file), py[i].function), py[i].line);
	return h;
}

/* Grows idx to twice its capacity, re-placing every id by hash_of(id). */
static int index_grow(struct id_index *idx, uint64_t (*hash_of)(const void *ctx, uint32_t id),
		      const void *ctx)
{
	uint32_t cap = idx->cap ? idx->cap * 2 : 64;
	uint32_t *slot = calloc(cap, sizeof(*slot));

	if (!slot)
		return -ENOMEM;
	for (uint32_t i = 0; i < idx->cap; i++) {
		uint32_t id = idx->slot[i], j;

		if (!id)
			continue;
		for (j = (uint32_t)hash_of(ctx, id) & (cap - 1); slot[j]; j = (j + 1) & (cap - 1))
			;
		slot[j] = id;
	}
	free(idx->slot);
	idx->slot = slot;
	idx->cap = cap;
	return 0;
}

static uint64_t string_hash_of(const void *ctx, uint32_t id)
{
	const struct vms_sitetab *t = ctx;

	return hash_string(t->strings[id - 1]);
}

static uint64_t site_hash_of(const void *ctx, uint32_t id)
{
	const struct vms_sitetab *t = ctx;

	return t->sites[id - 1]->hash;
}

int vms_sitetab_new(struct vms_sitetab **ret)
{
	struct vms_sitetab *t = calloc(1, sizeof(*t));

	if (!t)
		return -ENOMEM;
	*ret = t;
	return 0;
}

void vms_sitetab_free(struct vms_sitetab *t)
{
	if (!t)
		return;
	for (uint32_t i = 0; i < t->nr_strings; i++)
		free(t->strings[i]);
	free(t->strings);
	free(t->string_index.slot);
	for (uint32_t i = 0; i < t->nr_sites; i++)
		free(t->sites[i]);
	free(t->sites);
	free(t->site_index.slot);
	vms_pairmap_fini(&t->sym_index);
	free(t->syms);
	free(t);
}

int vms_sitetab_intern(struct vms_sitetab *t, const char *s, uint32_t *ret_id)
{
	struct id_index *idx = &t->string_index;
	uint64_t h;
	uint32_t j;
	char *copy;

	if (!s || !*s) {
		*ret_id = 0;
		return 0;
	}
	h = hash_string(s);
	if (idx->cap) {
		for (j = (uint32_t)h & (idx->cap - 1); idx->slot[j]; j = (j + 1) & (idx->cap - 1))
			if (strcmp(t->strings[idx->slot[j] - 1], s) == 0) {
				*ret_id = idx->slot[j];
				return 0;
			}
	}
	if (t->nr_strings == UINT32_MAX - 1)
		return -ENOMEM;
	if ((idx->nr + 1) * 2 > idx->cap && index_grow(idx, string_hash_of, t) < 0)
		return -ENOMEM;
	if (t->nr_strings == t->cap_strings) {
		uint32_t cap = t->cap_strings ? t->cap_strings * 2 : 64;
		char **a = realloc(t->strings, cap * sizeof(*a));

		if (!a)
			return -ENOMEM;
		t->strings = a;
		t->cap_strings = cap;
	}
	copy = strdup(s);
	if (!copy)
		return -ENOMEM;
	t->strings[t->nr_strings++] = copy;
	for (j = (uint32_t)h & (idx->cap - 1); idx->slot[j]; j = (j + 1) & (idx->cap - 1))
		;
	idx->slot[j] = t->nr_strings;
	idx->nr++;
	*ret_id = t->nr_strings;
	return 0;
}

const char *vms_sitetab_string(const struct vms_sitetab *t, uint32_t id)
{
	return id && id <= t->nr_strings ? t->strings[id - 1] : NULL;
}

static bool same_stack(const struct vms_site *s, const struct vms_site_frame *f, uint32_t nr,
		       const struct vms_site_pyframe *py, uint32_t nr_py)
{
	if (s->nr_frames != nr || s->nr_pyframes != nr_py)
		return false;
	for (uint32_t i = 0; i < nr; i++)
		if (s->frames[i].module != f[i].module || s->frames[i].offset != f[i].offset)
			return false;
	for (uint32_t i = 0; i < nr_py; i++)
		if (s->pyframes[i].file != py[i].file || s->pyframes[i].function != py[i].function ||
		    s->pyframes[i].line != py[i].line)
			return false;
	return true;
}

int vms_sitetab_add(struct vms_sitetab *t, const struct vms_site_frame *frames, uint32_t nr,
		    const struct vms_site_pyframe *py, uint32_t nr_py, uint32_t *ret_id,
		    bool *ret_new)
{
	struct id_index *idx = &t->site_index;
	struct vms_site *s;
	uint64_t h;
	uint32_t j;

	if ((nr == 0 && nr_py == 0) || nr > VMS_SITE_MAX_FRAMES || nr_py > VMS_SITE_MAX_PYFRAMES)
		return -EINVAL;
	h = hash_stack(frames, nr, py, nr_py);
	if (idx->cap) {
		for (j = (uint32_t)h & (idx->cap - 1); idx->slot[j]; j = (j + 1) & (idx->cap - 1)) {
			s = t->sites[idx->slot[j] - 1];
			if (s->hash == h && same_stack(s, frames, nr, py, nr_py)) {
				*ret_id = s->id;
				*ret_new = false;
				return 0;
			}
		}
	}
	if ((idx->nr + 1) * 2 > idx->cap && index_grow(idx, site_hash_of, t) < 0)
		return -ENOMEM;
	if (t->nr_sites == t->cap_sites) {
		uint32_t cap = t->cap_sites ? t->cap_sites * 2 : 64;
		struct vms_site **a = realloc(t->sites, cap * sizeof(*a));

		if (!a)
			return -ENOMEM;
		t->sites = a;
		t->cap_sites = cap;
	}
	/* One allocation: the site, then its frames, then its Python frames. */
	s = calloc(1, sizeof(*s) + nr * sizeof(*frames) + nr_py * sizeof(*py));
	if (!s)
		return -ENOMEM;
	s->frames = (struct vms_site_frame *)(s + 1);
	s->pyframes = (struct vms_site_pyframe *)(s->frames + nr);
	if (nr)
		memcpy(s->frames, frames, nr * sizeof(*frames));
	if (nr_py)
		memcpy(s->pyframes, py, nr_py * sizeof(*py));
	s->nr_frames = nr;
	s->nr_pyframes = nr_py;
	s->hash = h;
	s->id = t->nr_sites + 1;
	t->sites[t->nr_sites++] = s;
	for (j = (uint32_t)h & (idx->cap - 1); idx->slot[j]; j = (j + 1) & (idx->cap - 1))
		;
	idx->slot[j] = s->id;
	idx->nr++;
	*ret_id = s->id;
	*ret_new = true;
	return 0;
}

struct vms_site *vms_sitetab_get(struct vms_sitetab *t, uint32_t id)
{
	return id && id <= t->nr_sites ? t->sites[id - 1] : NULL;
}

const struct vms_site *vms_sitetab_get_const(const struct vms_sitetab *t, uint32_t id)
{
	return id && id <= t->nr_sites ? t->sites[id - 1] : NULL;
}

uint32_t vms_sitetab_count(const struct vms_sitetab *t)
{
	return t->nr_sites;
}

bool vms_sitetab_sym_find(const struct vms_sitetab *t, uint32_t module, uint64_t offset,
			  struct vms_site_sym *ret)
{
	uint32_t i;

	if (!module || !vms_pairmap_find(&t->sym_index, module, offset, &i))
		return false;
	*ret = t->syms[i];
	return true;
}

int vms_sitetab_sym_add(struct vms_sitetab *t, uint32_t module, uint64_t offset,
			const struct vms_site_sym *sym)
{
	uint32_t i;
	bool added;

	if (!module)
		return -EINVAL;
	if (t->nr_syms == t->cap_syms) {
		uint32_t cap = t->cap_syms ? t->cap_syms * 2 : 256;
		struct vms_site_sym *a = realloc(t->syms, cap * sizeof(*a));

		if (!a)
			return -ENOMEM;
		t->syms = a;
		t->cap_syms = cap;
	}
	if (vms_pairmap_get_or_add(&t->sym_index, module, offset, t->nr_syms, &i, &added) < 0)
		return -ENOMEM;
	if (added)
		t->nr_syms++;
	t->syms[i] = *sym;
	return 0;
}

/* ---- ranges ---- */

/* Index of the first range whose end is above addr. */
static size_t first_above(const struct vms_site_ranges *rs, uint64_t addr)
{
	size_t lo = 0, hi = rs->nr;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (rs->r[mid].end <= addr)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

static int reserve(struct vms_site_ranges *rs, size_t extra)
{
	struct vms_site_range *a;
	size_t cap = rs->cap ? rs->cap * 2 : 16;

	if (rs->nr + extra <= rs->cap)
		return 0;
	while (cap < rs->nr + extra)
		cap *= 2;
	a = realloc(rs->r, cap * sizeof(*a));
	if (!a)
		return -ENOMEM;
	rs->r = a;
	rs->cap = cap;
	return 0;
}

int vms_site_ranges_set(struct vms_site_ranges *rs, uint64_t start, uint64_t end, uint32_t site)
{
	size_t i, j;
	struct vms_site_range head = { 0 }, tail = { 0 };
	bool has_head = false, has_tail = false;
	size_t nr_new;

	if (end <= start)
		return -EINVAL;
	/* At most two pieces of old ranges survive (a head before start, a
	 * tail after end) and one new range comes in. */
	if (reserve(rs, 3) < 0)
		return -ENOMEM;
	i = first_above(rs, start);
	for (j = i; j < rs->nr && rs->r[j].start < end; j++)
		;
	/* rs->r[i, j) overlap [start, end). */
	if (i < j && rs->r[i].start < start) {
		head = rs->r[i];
		head.end = start;
		has_head = true;
	}
	if (i < j && rs->r[j - 1].end > end) {
		tail = rs->r[j - 1];
		tail.start = end;
		has_tail = true;
	}
	nr_new = (size_t)has_head + (site != 0) + (size_t)has_tail;
	memmove(&rs->r[i + nr_new], &rs->r[j], (rs->nr - j) * sizeof(rs->r[0]));
	rs->nr = rs->nr - (j - i) + nr_new;
	if (has_head)
		rs->r[i++] = head;
	if (site)
		rs->r[i++] = (struct vms_site_range){ start, end, site };
	if (has_tail)
		rs->r[i++] = tail;
	/* Merge the new range with equal neighbours. */
	if (site) {
		size_t k = i - 1 - (size_t)has_tail;

		if (k + 1 < rs->nr && rs->r[k + 1].start == rs->r[k].end &&
		    rs->r[k + 1].site == site) {
			rs->r[k].end = rs->r[k + 1].end;
			memmove(&rs->r[k + 1], &rs->r[k + 2], (rs->nr - k - 2) * sizeof(rs->r[0]));
			rs->nr--;
		}
		if (k > 0 && rs->r[k - 1].end == rs->r[k].start && rs->r[k - 1].site == site) {
			rs->r[k - 1].end = rs->r[k].end;
			memmove(&rs->r[k], &rs->r[k + 1], (rs->nr - k - 1) * sizeof(rs->r[0]));
			rs->nr--;
		}
	}
	return 0;
}

int vms_site_ranges_move(struct vms_site_ranges *rs, uint64_t from, uint64_t to, uint64_t len)
{
	struct vms_site_range *moved;
	size_t i, j, n;
	int r = 0;

	if (!len || from == to)
		return 0;
	i = first_above(rs, from);
	for (j = i; j < rs->nr && rs->r[j].start < from + len; j++)
		;
	n = j - i;
	moved = n ? malloc(n * sizeof(*moved)) : NULL;
	if (n && !moved)
		return -ENOMEM;
	for (size_t k = 0; k < n; k++) {
		struct vms_site_range x = rs->r[i + k];

		if (x.start < from)
			x.start = from;
		if (x.end > from + len)
			x.end = from + len;
		moved[k] = (struct vms_site_range){ x.start - from + to, x.end - from + to, x.site };
	}
	r = vms_site_ranges_set(rs, from, from + len, 0);
	if (r == 0)
		r = vms_site_ranges_set(rs, to, to + len, 0);
	for (size_t k = 0; k < n && r == 0; k++)
		r = vms_site_ranges_set(rs, moved[k].start, moved[k].end, moved[k].site);
	free(moved);
	return r;
}

uint32_t vms_site_ranges_lookup(const struct vms_site_ranges *rs, uint64_t addr)
{
	size_t i = first_above(rs, addr);

	return i < rs->nr && rs->r[i].start <= addr ? rs->r[i].site : 0;
}

void vms_site_ranges_fini(struct vms_site_ranges *rs)
{
	free(rs->r);
	rs->r = NULL;
	rs->nr = rs->cap = 0;
}
