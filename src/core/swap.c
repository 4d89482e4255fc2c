/* SPDX-License-Identifier: MIT */
/*
 * The compressed swap store (see swap.h for the contract and docs/swap.md
 * for the design and its measurements).
 *
 * Layout: one table of 16-byte slots indexed by slot number, grown by
 * doubling (never beyond max_slots), plus one malloc'd buffer per slot that
 * holds data (compressed or raw).  Same-filled pages keep their word in the
 * slot itself; free slots keep the free-list link there.
 *
 * Invariants:
 *  - slot ids handed out so far are 0 .. nr_slots_used-1; every one of them
 *    is either in use (refcount >= 1) or on the free list (refcount 0);
 *  - stats.stored_pages = number of slots in use;
 *  - stats.bytes_stored = sum of len over slots in use <= capacity_bytes
 *    (when a capacity is set).
 */
#include <assert.h>
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "vmsandbox/swap.h"

enum slot_kind {
	SLOT_FREE = 0,
	SLOT_SAME,        /* u.value is the fill word */
	SLOT_COMPRESSED,  /* u.data holds len compressed bytes */
	SLOT_RAW,         /* u.data holds the page, len = VMS_PAGE_SIZE */
	SLOT_RESERVED,    /* no data */
};

struct swap_slot {
	union {
		void *data;            /* SLOT_COMPRESSED, SLOT_RAW */
		uint64_t value;        /* SLOT_SAME */
		vms_slot_t next_free;  /* SLOT_FREE: next free slot or VMS_SLOT_NONE */
	} u;
	uint32_t refcount;  /* 0 while free */
	uint16_t len;       /* bytes of data held: 0 for same-filled and reserved */
	uint8_t kind;       /* enum slot_kind */
	uint8_t pad;
};

/* The project promises <= 32 bytes of metadata per tracked page. */
_Static_assert(sizeof(struct swap_slot) <= 16, "swap slot metadata must stay within 16 bytes");
_Static_assert(VMS_PAGE_SIZE <= UINT16_MAX, "slot len is 16 bits");

#define SLOT_TABLE_MIN 1024u

struct vms_swap {
	struct vms_codec *codec;
	struct swap_slot *slots;   /* nr_slots_alloc entries */
	uint32_t nr_slots_alloc;   /* entries in the table */
	uint32_t nr_slots_used;    /* ids handed out so far: 0 .. nr_slots_used-1 */
	uint32_t slot_limit;       /* most slots in use at once (max_slots, or all ids) */
	vms_slot_t free_head;      /* LIFO free list, VMS_SLOT_NONE when empty */
	uint64_t capacity_bytes;   /* 0 = unlimited */
	struct vms_swap_stats stats;
	unsigned char scratch[VMS_SWAP_MAX_COMPRESSED_BYTES]; /* compressor output */
};

int vms_swap_new(const struct vms_swap_config *cfg, struct vms_swap **ret)
{
	static const struct vms_swap_config defaults;
	struct vms_swap *swap;
	int r;

	if (!cfg)
		cfg = &defaults;
	swap = calloc(1, sizeof(*swap));
	if (!swap)
		return -ENOMEM;
	r = vms_codec_new(cfg->compressor, cfg->zstd_level, &swap->codec);
	if (r < 0) {
		free(swap);
		return r;
	}
	/* VMS_SLOT_NONE is not a slot id, so at most UINT32_MAX slots exist. */
	swap->slot_limit = cfg->max_slots ? cfg->max_slots : VMS_SLOT_NONE;
	swap->free_head = VMS_SLOT_NONE;
	swap->capacity_bytes = cfg->capacity_bytes;
	*ret = swap;
	return 0;
}

static bool slot_holds_data(const struct swap_slot *s)
{
	return s->kind == SLOT_COMPRESSED || s->kind == SLOT_RAW;
}

void vms_swap_free(struct vms_swap *swap)
{
	if (!swap)
		return;
	for (uint32_t i = 0; i < swap->nr_slots_used; i++)
		if (slot_holds_data(&swap->slots[i]))
			free(swap->slots[i].u.data);
	free(swap->slots);
	vms_codec_free(swap->codec);
	free(swap);
}

static uint64_t load_word(const unsigned char *p)
{
	uint64_t w;

	memcpy(&w, p, sizeof(w));
	return w;
}

bool vms_page_same_filled(const void *page, uint64_t *ret_value)
{
	const unsigned char *p = page;
	const uint64_t first = load_word(p);

	/*
	 * Most pages that are not same-filled differ somewhere near the end
	 * too (zram checks the last word first for the same reason).
	 */
	if (load_word(p + VMS_PAGE_SIZE - 8) != first)
		return false;
	/* Four words per step: one branch per 32 bytes (word 0 is free). */
	for (size_t off = 0; off < VMS_PAGE_SIZE; off += 32) {
		uint64_t diff = load_word(p + off) ^ first;

		diff |= load_word(p + off + 8) ^ first;
		diff |= load_word(p + off + 16) ^ first;
		diff |= load_word(p + off + 24) ^ first;
		if (diff)
			return false;
	}
	*ret_value = first;
	return true;
}

static void fill_page(void *page, uint64_t value)
{
	unsigned char *p = page;

	if (value == (value & 0xff) * UINT64_C(0x0101010101010101)) {
		memset(p, (int)(value & 0xff), VMS_PAGE_SIZE);
		return;
	}
	for (size_t off = 0; off < VMS_PAGE_SIZE; off += sizeof(value))
		memcpy(p + off, &value, sizeof(value));
}

static bool slot_available(const struct vms_swap *swap)
{
	return swap->stats.stored_pages < swap->slot_limit;
}

/* Make sure slot_take() will not need memory: a free slot or table room. */
static int slot_table_prepare(struct vms_swap *swap)
{
	struct swap_slot *slots;
	uint32_t n;

	if (swap->free_head != VMS_SLOT_NONE || swap->nr_slots_used < swap->nr_slots_alloc)
		return 0;
	n = swap->nr_slots_alloc ? swap->nr_slots_alloc : SLOT_TABLE_MIN / 2;
	n = n > swap->slot_limit / 2 ? swap->slot_limit : n * 2;
	slots = realloc(swap->slots, (size_t)n * sizeof(*slots));
	if (!slots)
		return -ENOMEM;
	swap->slots = slots;
	swap->nr_slots_alloc = n;
	return 0;
}

/*
 * Hand out a slot with refcount 1.  Precondition: slot_available() and
 * slot_table_prepare() succeeded.  Reuses the most recently freed slot
 * first, so slot numbers depend only on the sequence of calls.
 */
static vms_slot_t slot_take(struct vms_swap *swap, enum slot_kind kind, uint16_t len)
{
	struct swap_slot *s;
	vms_slot_t id;

	if (swap->free_head != VMS_SLOT_NONE) {
		id = swap->free_head;
		swap->free_head = swap->slots[id].u.next_free;
	} else {
		id = swap->nr_slots_used++;
	}
	s = &swap->slots[id];
	s->u.data = NULL;
	s->refcount = 1;
	s->len = len;
	s->kind = (uint8_t)kind;
	s->pad = 0;

	swap->stats.stored_pages++;
	if (swap->stats.stored_pages > swap->stats.peak_stored_pages)
		swap->stats.peak_stored_pages = swap->stats.stored_pages;
	swap->stats.bytes_stored += len;
	if (swap->stats.bytes_stored > swap->stats.peak_bytes_stored)
		swap->stats.peak_bytes_stored = swap->stats.bytes_stored;
	return id;
}

int vms_swap_put(struct vms_swap *swap, const void *page, vms_slot_t *ret_slot)
{
	const void *src = NULL;
	enum slot_kind kind;
	uint64_t value = 0;
	size_t len = 0;
	void *data = NULL;
	vms_slot_t id;
	int r;

	if (!slot_available(swap)) {
		swap->stats.rejects++;
		return -ENOSPC;
	}

	if (vms_page_same_filled(page, &value)) {
		kind = SLOT_SAME;
	} else {
		r = vms_codec_compress(swap->codec, page, VMS_PAGE_SIZE, swap->scratch,
				       sizeof(swap->scratch), &len);
		if (r == 0) {
			kind = SLOT_COMPRESSED;
			src = swap->scratch;
		} else if (r == -ENOSPC) {
			kind = SLOT_RAW;
			src = page;
			len = VMS_PAGE_SIZE;
		} else {
			return r;
		}
	}

	/* bytes_stored <= capacity_bytes always holds, so this cannot wrap. */
	if (swap->capacity_bytes && len > swap->capacity_bytes - swap->stats.bytes_stored) {
		swap->stats.rejects++;
		return -ENOSPC;
	}

	r = slot_table_prepare(swap);
	if (r < 0)
		return r;
	if (len) {
		data = malloc(len);
		if (!data)
			return -ENOMEM;
		memcpy(data, src, len);
	}

	/* Nothing can fail from here on. */
	id = slot_take(swap, kind, (uint16_t)len);
	if (kind == SLOT_SAME)
		swap->slots[id].u.value = value;
	else
		swap->slots[id].u.data = data;

	swap->stats.pages_out++;
	swap->stats.bytes_in += VMS_PAGE_SIZE;
	swap->stats.compressed_bytes_total += len;
	if (kind == SLOT_SAME)
		swap->stats.same_filled++;
	else if (kind == SLOT_RAW)
		swap->stats.incompressible++;
	*ret_slot = id;
	return 0;
}

int vms_swap_reserve(struct vms_swap *swap, vms_slot_t *ret_slot)
{
	int r;

	if (!slot_available(swap)) {
		swap->stats.rejects++;
		return -ENOSPC;
	}
	r = slot_table_prepare(swap);
	if (r < 0)
		return r;
	*ret_slot = slot_take(swap, SLOT_RESERVED, 0);
	swap->stats.reserved++;
	return 0;
}

static struct swap_slot *slot_in_use(const struct vms_swap *swap, vms_slot_t slot)
{
	if (slot >= swap->nr_slots_used || swap->slots[slot].kind == SLOT_FREE)
		return NULL;
	return &swap->slots[slot];
}

/* The page of slot into page_out, without counting a swap-in. */
static int rebuild(struct vms_swap *swap, vms_slot_t slot, void *page_out)
{
	struct swap_slot *s = slot_in_use(swap, slot);
	int r;

	if (!s)
		return -EINVAL;
	switch ((enum slot_kind)s->kind) {
	case SLOT_SAME:
		fill_page(page_out, s->u.value);
		return 0;
	case SLOT_RAW:
		memcpy(page_out, s->u.data, VMS_PAGE_SIZE);
		return 0;
	case SLOT_COMPRESSED:
		r = vms_codec_decompress(swap->codec, s->u.data, s->len, page_out, VMS_PAGE_SIZE);
		if (r < 0) {
			memset(page_out, 0, VMS_PAGE_SIZE);
			return -EIO;
		}
		return 0;
	case SLOT_RESERVED:
		return -ENODATA;
	case SLOT_FREE:
	default:
		return -EINVAL;
	}
}

int vms_swap_get(struct vms_swap *swap, vms_slot_t slot, void *page_out)
{
	int r = rebuild(swap, slot, page_out);

	if (r == 0)
		swap->stats.pages_in++;
	return r;
}

int vms_swap_peek(struct vms_swap *swap, vms_slot_t slot, void *page_out)
{
	return rebuild(swap, slot, page_out);
}

void vms_swap_dup(struct vms_swap *swap, vms_slot_t slot)
{
	struct swap_slot *s = slot_in_use(swap, slot);

	assert(s && "vms_swap_dup of a slot not in use");
	if (!s)
		return;
	assert(s->refcount < UINT32_MAX);
	s->refcount++;
}

void vms_swap_release(struct vms_swap *swap, vms_slot_t slot)
{
	struct swap_slot *s = slot_in_use(swap, slot);

	assert(s && "vms_swap_release of a slot not in use");
	if (!s)
		return;
	if (--s->refcount > 0)
		return;
	if (slot_holds_data(s))
		free(s->u.data);
	swap->stats.bytes_stored -= s->len;
	swap->stats.stored_pages--;
	s->kind = SLOT_FREE;
	s->len = 0;
	s->u.next_free = swap->free_head;
	swap->free_head = slot;
}

uint32_t vms_swap_refcount(const struct vms_swap *swap, vms_slot_t slot)
{
	const struct swap_slot *s = slot_in_use(swap, slot);

	return s ? s->refcount : 0;
}

bool vms_swap_slot_same(const struct vms_swap *swap, vms_slot_t slot, uint64_t *ret_value)
{
	const struct swap_slot *s = slot_in_use(swap, slot);

	if (!s || s->kind != SLOT_SAME)
		return false;
	*ret_value = s->u.value;
	return true;
}

enum vms_compressor vms_swap_compressor(const struct vms_swap *swap)
{
	return vms_codec_compressor(swap->codec);
}

void vms_swap_get_stats(const struct vms_swap *swap, struct vms_swap_stats *ret)
{
	*ret = swap->stats;
}

double vms_swap_ratio(const struct vms_swap_stats *stats)
{
	if (stats->bytes_in == 0)
		return 1.0;
	if (stats->compressed_bytes_total == 0)
		return INFINITY;
	return (double)stats->bytes_in / (double)stats->compressed_bytes_total;
}
