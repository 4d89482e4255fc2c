/* SPDX-License-Identifier: MIT */
/*
 * Miss-ratio curve engine: LRU stack distances in O(log n) per reference.
 *
 * Virtual time advances by one per reference.  For every page on the LRU
 * stack we keep the time of its latest access; the set of those times is a
 * bitmap over the time window [0, time_cap).  The pages more recent than a
 * page last accessed at time t are exactly the set bits above t, so its
 * stack distance (1 = most recently used) is the number of set bits at
 * positions >= t, i.e. nr_live - rank(t).  rank() is a popcount inside
 * t's word plus a Fenwick tree prefix sum over the per-word popcounts.
 *
 * The window is finite: when `now` reaches time_cap the live times are
 * renumbered 0 .. nr_live-1 in order (compaction), which preserves every
 * distance.  time_cap is at least the slot count of the hash table, which
 * is at least 2 * nr_live, so a compaction (O(slots)) is paid for by at
 * least slots/2 references, and memory stays O(distinct pages) however long
 * the trace.
 *
 * Page key -> last access time lives in an open-addressing hash table with
 * linear probing and backward-shift deletion (no tombstones), at most half
 * full.  docs/mrc.md has the derivation, costs and memory per page.
 */
#include "vmsandbox/mrc.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define MRC_MIN_SLOTS      UINT64_C(64)
#define MRC_MAX_SLOTS      (UINT64_C(1) << 32)  /* keeps Fenwick counts in uint32 */
#define MRC_HINT_MAX       (UINT64_C(1) << 24)  /* pages; larger hints are clamped */
#define MRC_MIN_TIME_CAP   UINT64_C(4096)       /* bits; keeps compaction rare on tiny sets */
#define MRC_MIN_HIST       UINT64_C(256)        /* histogram entries to start with */
#define MRC_BATCH_AHEAD    16                   /* references prefetched ahead in a batch */
#define MRC_BATCH_PENDING  256                  /* histogram increments deferred in a batch */

/* One hash table slot.  tick == 0 marks an empty slot, so every key is valid. */
struct mrc_slot {
	vms_key_t key;
	uint64_t tick;             /* latest access time + 1 */
};

struct vms_mrc {
	struct mrc_slot *slots;    /* nr_slots entries */
	uint64_t nr_slots;         /* power of two, >= 2 * nr_live */
	unsigned slot_shift;       /* 64 - log2(nr_slots), for Fibonacci hashing */

	uint64_t *words;           /* bitmap of latest-access times, nr_words words */
	uint32_t *fen;             /* Fenwick tree over popcount(words[]), 1-based, nr_words + 1 */
	uint64_t nr_words;
	uint64_t time_cap;         /* nr_words * 64: times in use are < time_cap */
	uint64_t now;              /* time of the next reference */

	uint64_t nr_live;          /* pages on the stack = set bits = used slots */

	uint64_t *hist;            /* hist[d] = references at distance d, 1 <= d < hist_len */
	uint64_t hist_len;

	uint64_t nr_refs;
	uint64_t nr_cold;
	uint64_t max_distance;
};

static inline uint64_t slot_home(const struct vms_mrc *m, vms_key_t key)
{
	return (key * UINT64_C(0x9e3779b97f4a7c15)) >> m->slot_shift;
}

/* The slot holding key, or the empty slot where it would be inserted. */
static inline struct mrc_slot *slot_probe(const struct vms_mrc *m, vms_key_t key)
{
	uint64_t mask = m->nr_slots - 1;
	uint64_t i = slot_home(m, key);

	for (;;) {
		struct mrc_slot *s = &m->slots[i];

		if (s->tick == 0 || s->key == key)
			return s;
		i = (i + 1) & mask;
	}
}

static unsigned log2_u64(uint64_t x)
{
	return 63u - (unsigned)__builtin_clzll(x);
}

/* The time window that goes with a table of nr_slots slots, in bits. */
static uint64_t time_cap_for(uint64_t nr_slots)
{
	uint64_t cap = nr_slots > MRC_MIN_TIME_CAP ? nr_slots : MRC_MIN_TIME_CAP;

	return (cap + 63) & ~UINT64_C(63);
}

/* Number of latest-access times strictly before t. */
static inline uint64_t time_rank(const struct vms_mrc *m, uint64_t t)
{
	uint64_t w = t >> 6;
	uint64_t r = (uint64_t)__builtin_popcountll(m->words[w] & ((UINT64_C(1) << (t & 63)) - 1));

	for (uint64_t i = w; i > 0; i &= i - 1)
		r += m->fen[i];
	return r;
}

static inline void fen_inc(struct vms_mrc *m, uint64_t w)
{
	for (uint64_t i = w + 1; i <= m->nr_words; i += i & (~i + 1))
		m->fen[i]++;
}

static inline void fen_dec(struct vms_mrc *m, uint64_t w)
{
	for (uint64_t i = w + 1; i <= m->nr_words; i += i & (~i + 1))
		m->fen[i]--;
}

/* Linear-time Fenwick build from the bitmap. */
static void fen_build(struct vms_mrc *m)
{
	uint64_t n = m->nr_words;

	m->fen[0] = 0;
	for (uint64_t i = 1; i <= n; i++)
		m->fen[i] = (uint32_t)__builtin_popcountll(m->words[i - 1]);
	for (uint64_t i = 1; i <= n; i++) {
		uint64_t j = i + (i & (~i + 1));

		if (j <= n)
			m->fen[j] += m->fen[i];
	}
}

static inline void time_set(struct vms_mrc *m, uint64_t t)
{
	m->words[t >> 6] |= UINT64_C(1) << (t & 63);
	fen_inc(m, t >> 6);
}

static inline void time_clear(struct vms_mrc *m, uint64_t t)
{
	m->words[t >> 6] &= ~(UINT64_C(1) << (t & 63));
	fen_dec(m, t >> 6);
}

/*
 * Renumber the live times 0 .. nr_live-1 in their order, so `now` restarts
 * at nr_live; grows the window first if the table grew since the last one.
 * Distances are differences of ranks, so none changes.  On -ENOMEM nothing
 * observable changed (a bitmap may have been enlarged, unused).
 */
static int time_compact(struct vms_mrc *m)
{
	uint64_t cap = time_cap_for(m->nr_slots);
	uint64_t nw = cap / 64;
	uint64_t old_nw = m->nr_words;
	uint32_t *pre;
	uint32_t run = 0;

	if (nw > old_nw) {
		uint64_t *words = realloc(m->words, nw * sizeof(*words));
		uint32_t *fen;

		if (!words)
			return -ENOMEM;
		m->words = words;
		fen = realloc(m->fen, (nw + 1) * sizeof(*fen));
		if (!fen)
			return -ENOMEM;
		m->fen = fen;
	} else {
		nw = old_nw;
	}

	/* The Fenwick array is rebuilt below: borrow it for per-word ranks. */
	pre = m->fen;
	for (uint64_t w = 0; w < old_nw; w++) {
		pre[w] = run;
		run += (uint32_t)__builtin_popcountll(m->words[w]);
	}
	for (uint64_t i = 0; i < m->nr_slots; i++) {
		struct mrc_slot *s = &m->slots[i];
		uint64_t t, w;

		if (s->tick == 0)
			continue;
		t = s->tick - 1;
		w = t >> 6;
		s->tick = 1 + pre[w] +
			  (uint64_t)__builtin_popcountll(m->words[w] & ((UINT64_C(1) << (t & 63)) - 1));
	}

	memset(m->words, 0, nw * sizeof(*m->words));
	memset(m->words, 0xff, (m->nr_live / 64) * sizeof(*m->words));
	if (m->nr_live % 64)
		m->words[m->nr_live / 64] = (UINT64_C(1) << (m->nr_live % 64)) - 1;
	m->nr_words = nw;
	m->time_cap = nw * 64;
	m->now = m->nr_live;
	fen_build(m);
	return 0;
}

/* Double the hash table.  On -ENOMEM the old table is intact. */
static int slots_grow(struct vms_mrc *m)
{
	uint64_t n = m->nr_slots * 2;
	struct mrc_slot *old = m->slots;
	uint64_t old_n = m->nr_slots;
	struct mrc_slot *slots;

	if (n > MRC_MAX_SLOTS)
		return -ENOMEM;
	slots = calloc(n, sizeof(*slots));
	if (!slots)
		return -ENOMEM;
	m->slots = slots;
	m->nr_slots = n;
	m->slot_shift--;
	for (uint64_t i = 0; i < old_n; i++) {
		if (old[i].tick != 0)
			*slot_probe(m, old[i].key) = old[i];
	}
	free(old);
	return 0;
}

/* Remove slot i, shifting later members of its probe run back. */
static void slot_delete(struct vms_mrc *m, struct mrc_slot *s)
{
	uint64_t mask = m->nr_slots - 1;
	uint64_t i = (uint64_t)(s - m->slots);
	uint64_t j = i;

	for (;;) {
		uint64_t home;

		j = (j + 1) & mask;
		if (m->slots[j].tick == 0)
			break;
		home = slot_home(m, m->slots[j].key);
		/* j may fill the hole at i unless its home lies in (i, j]. */
		if (((j - home) & mask) >= ((j - i) & mask)) {
			m->slots[i] = m->slots[j];
			i = j;
		}
	}
	m->slots[i].tick = 0;
}

/* Make hist[d] addressable. */
static int hist_reserve(struct vms_mrc *m, uint64_t d)
{
	uint64_t n = m->hist_len * 2;
	uint64_t *hist;

	if (d < m->hist_len)
		return 0;
	if (n <= d)
		n = d + 1;
	if (n > SIZE_MAX / sizeof(*hist))
		return -ENOMEM;
	hist = realloc(m->hist, n * sizeof(*hist));
	if (!hist)
		return -ENOMEM;
	memset(hist + m->hist_len, 0, (n - m->hist_len) * sizeof(*hist));
	m->hist = hist;
	m->hist_len = n;
	return 0;
}

int vms_mrc_new(uint64_t expected_pages, struct vms_mrc **ret)
{
	struct vms_mrc *m;
	uint64_t hint = expected_pages < MRC_HINT_MAX ? expected_pages : MRC_HINT_MAX;
	uint64_t n = MRC_MIN_SLOTS;

	while (n < 2 * hint)
		n *= 2;

	m = calloc(1, sizeof(*m));
	if (!m)
		return -ENOMEM;
	m->nr_slots = n;
	m->slot_shift = 64 - log2_u64(n);
	m->time_cap = time_cap_for(n);
	m->nr_words = m->time_cap / 64;
	m->hist_len = MRC_MIN_HIST;
	m->slots = calloc(n, sizeof(*m->slots));
	m->words = calloc(m->nr_words, sizeof(*m->words));
	m->fen = calloc(m->nr_words + 1, sizeof(*m->fen));
	m->hist = calloc(m->hist_len, sizeof(*m->hist));
	if (!m->slots || !m->words || !m->fen || !m->hist) {
		vms_mrc_free(m);
		return -ENOMEM;
	}
	*ret = m;
	return 0;
}

void vms_mrc_free(struct vms_mrc *m)
{
	if (!m)
		return;
	free(m->slots);
	free(m->words);
	free(m->fen);
	free(m->hist);
	free(m);
}

/*
 * The bookkeeping of one reference except the histogram increment, so that
 * a batch can defer those (they miss the cache; deferred, many overlap).
 * Returns the stack distance, 0 for a cold miss, or -ENOMEM with nothing
 * counted; hist[distance] is addressable on success.
 */
static inline int64_t access_one(struct vms_mrc *m, vms_key_t key)
{
	struct mrc_slot *s;
	uint64_t d = 0;
	int r;

	if (m->now == m->time_cap) {
		r = time_compact(m);
		if (r < 0)
			return r;
	}

	s = slot_probe(m, key);
	if (s->tick != 0) {
		uint64_t t = s->tick - 1;

		d = m->nr_live - time_rank(m, t);
		r = hist_reserve(m, d);
		if (r < 0)
			return r;
		if ((t >> 6) == (m->now >> 6)) {
			/* Same word: the Fenwick counts do not change. */
			m->words[t >> 6] ^= (UINT64_C(1) << (t & 63)) | (UINT64_C(1) << (m->now & 63));
		} else {
			time_clear(m, t);
			time_set(m, m->now);
		}
		if (d > m->max_distance)
			m->max_distance = d;
	} else {
		if (2 * (m->nr_live + 1) > m->nr_slots) {
			r = slots_grow(m);
			if (r < 0)
				return r;
			s = slot_probe(m, key);
		}
		s->key = key;
		time_set(m, m->now);
		m->nr_live++;
		m->nr_cold++;
	}
	s->tick = ++m->now;
	m->nr_refs++;
	return (int64_t)d;
}

int vms_mrc_access(struct vms_mrc *m, vms_key_t key)
{
	int64_t d = access_one(m, key);

	if (d < 0)
		return (int)d;
	if (d > 0)
		m->hist[d]++;
	return 0;
}

static void hist_add(struct vms_mrc *m, const uint64_t *dist, size_t n)
{
	for (size_t i = 0; i < n; i++)
		m->hist[dist[i]]++;
}

int vms_mrc_access_batch(struct vms_mrc *m, const vms_key_t *keys, size_t nr_keys)
{
	uint64_t pending[MRC_BATCH_PENDING];
	size_t nr_pending = 0;
	int r = 0;

	for (size_t i = 0; i < nr_keys; i++) {
		int64_t d;

		/* The slot probe is the one miss on the critical path: start it early. */
		if (i + MRC_BATCH_AHEAD < nr_keys)
			__builtin_prefetch(&m->slots[slot_home(m, keys[i + MRC_BATCH_AHEAD])]);
		d = access_one(m, keys[i]);
		if (d < 0) {
			r = (int)d;
			break;
		}
		if (d == 0)
			continue;
		pending[nr_pending++] = (uint64_t)d;
		if (nr_pending == MRC_BATCH_PENDING) {
			hist_add(m, pending, nr_pending);
			nr_pending = 0;
		}
	}
	hist_add(m, pending, nr_pending);
	return r;
}

void vms_mrc_forget(struct vms_mrc *m, vms_key_t key)
{
	struct mrc_slot *s = slot_probe(m, key);

	if (s->tick == 0)
		return;
	time_clear(m, s->tick - 1);
	slot_delete(m, s);
	m->nr_live--;
}

uint64_t vms_mrc_references(const struct vms_mrc *m)
{
	return m->nr_refs;
}

uint64_t vms_mrc_cold_misses(const struct vms_mrc *m)
{
	return m->nr_cold;
}

uint64_t vms_mrc_distinct_pages(const struct vms_mrc *m)
{
	return m->nr_live;
}

uint64_t vms_mrc_max_distance(const struct vms_mrc *m)
{
	return m->max_distance;
}

uint64_t vms_mrc_faults(const struct vms_mrc *m, uint64_t frames)
{
	uint64_t sum = 0;

	if (frames == 0)
		return m->nr_refs;
	if (frames >= m->max_distance)
		return m->nr_cold;
	/* Sum whichever side of `frames` is shorter. */
	if (frames <= m->max_distance - frames) {
		for (uint64_t d = 1; d <= frames; d++)
			sum += m->hist[d];
		return m->nr_refs - sum;
	}
	for (uint64_t d = frames + 1; d <= m->max_distance; d++)
		sum += m->hist[d];
	return m->nr_cold + sum;
}

int vms_mrc_curve(const struct vms_mrc *m, uint64_t max_frames, uint64_t *faults_out)
{
	uint64_t hits = 0;

	if (!faults_out || max_frames == UINT64_MAX)
		return -EINVAL;
	faults_out[0] = m->nr_refs;
	for (uint64_t k = 1; k <= max_frames; k++) {
		if (k <= m->max_distance)
			hits += m->hist[k];
		faults_out[k] = m->nr_refs - hits;
	}
	return 0;
}

size_t vms_mrc_bytes(const struct vms_mrc *m)
{
	return sizeof(*m) +
	       m->nr_slots * sizeof(*m->slots) +
	       m->nr_words * sizeof(*m->words) +
	       (m->nr_words + 1) * sizeof(*m->fen) +
	       m->hist_len * sizeof(*m->hist);
}
