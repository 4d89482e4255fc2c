/* SPDX-License-Identifier: MIT */
/*
 * Miss-ratio curve engine against hand-computed stack distances and against
 * two independent naive models written here:
 *   - a recency list of every page (position = stack distance), which is
 *     the definition the engine implements, forget included;
 *   - one LRU simulation per frame count k (an array of at most k pages),
 *     which is what the curve claims to predict.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "vmsandbox/mrc.h"

/* ---- deterministic PRNG (splitmix64) ---- */

#include "splitmix.h"

static uint64_t rng_below(uint64_t n)
{
	return rng_next() % n;
}

/* ---- naive model 1: a recency list of all pages on the stack ---- */

struct naive_stack {
	uint64_t *keys;      /* keys[0] is the most recently used */
	size_t len;
	uint64_t *hist;      /* hist[d], d = 1 .. cap */
	size_t cap;          /* capacity of keys, and hist has cap + 1 entries */
	uint64_t refs;
	uint64_t cold;
};

static void naive_init(struct naive_stack *n, size_t cap)
{
	n->keys = calloc(cap, sizeof(*n->keys));
	n->hist = calloc(cap + 1, sizeof(*n->hist));
	assert_non_null(n->keys);
	assert_non_null(n->hist);
	n->len = 0;
	n->cap = cap;
	n->refs = 0;
	n->cold = 0;
}

static void naive_fini(struct naive_stack *n)
{
	free(n->keys);
	free(n->hist);
}

static void naive_access(struct naive_stack *n, uint64_t key)
{
	size_t p;

	for (p = 0; p < n->len && n->keys[p] != key; p++)
		;
	n->refs++;
	if (p == n->len) {
		assert_true(n->len < n->cap);
		n->cold++;
		n->len++;
	} else {
		n->hist[p + 1]++;
	}
	memmove(&n->keys[1], &n->keys[0], p * sizeof(*n->keys));
	n->keys[0] = key;
}

static void naive_forget(struct naive_stack *n, uint64_t key)
{
	for (size_t p = 0; p < n->len; p++) {
		if (n->keys[p] == key) {
			memmove(&n->keys[p], &n->keys[p + 1], (n->len - p - 1) * sizeof(*n->keys));
			n->len--;
			return;
		}
	}
}

static uint64_t naive_faults(const struct naive_stack *n, uint64_t frames)
{
	uint64_t hits = 0;

	for (uint64_t d = 1; d <= frames && d <= n->cap; d++)
		hits += n->hist[d];
	return n->refs - hits;
}

/* ---- naive model 2: one bounded LRU per frame count ---- */

#define LRU_MAX_FRAMES 24

struct naive_lru {
	uint64_t keys[LRU_MAX_FRAMES];  /* keys[0] is the most recently used */
	unsigned len;
	unsigned frames;
	uint64_t faults;
};

static void lru_access(struct naive_lru *l, uint64_t key)
{
	unsigned p;

	for (p = 0; p < l->len && l->keys[p] != key; p++)
		;
	if (p == l->len) {
		l->faults++;
		if (l->len < l->frames)
			l->len++;
		p = l->len - 1;  /* drop the least recently used if full */
	}
	memmove(&l->keys[1], &l->keys[0], p * sizeof(*l->keys));
	l->keys[0] = key;
}

/* Unmap as a pager does it: the page goes, its frame stays free. */
static void lru_forget(struct naive_lru *l, uint64_t key)
{
	for (unsigned p = 0; p < l->len; p++) {
		if (l->keys[p] == key) {
			memmove(&l->keys[p], &l->keys[p + 1], (l->len - p - 1) * sizeof(*l->keys));
			l->len--;
			return;
		}
	}
}

/* ---- helpers ---- */

static struct vms_mrc *mrc_new(uint64_t hint)
{
	struct vms_mrc *m = NULL;

	assert_int_equal(vms_mrc_new(hint, &m), 0);
	assert_non_null(m);
	return m;
}

static void access_all(struct vms_mrc *m, const uint64_t *keys, size_t n)
{
	for (size_t i = 0; i < n; i++)
		assert_int_equal(vms_mrc_access(m, keys[i]), 0);
}

/* Every per-k query, the curve and the summary counters agree with the naive stack. */
static void check_against_naive(const struct vms_mrc *m, const struct naive_stack *n)
{
	uint64_t kmax = n->len + 3;
	uint64_t *curve = calloc(kmax + 1, sizeof(*curve));
	uint64_t maxd = 0;

	assert_non_null(curve);
	for (uint64_t d = 1; d <= n->cap; d++)
		if (n->hist[d])
			maxd = d;
	assert_int_equal(vms_mrc_references(m), n->refs);
	assert_int_equal(vms_mrc_cold_misses(m), n->cold);
	assert_int_equal(vms_mrc_distinct_pages(m), n->len);
	assert_int_equal(vms_mrc_max_distance(m), maxd);

	assert_int_equal(vms_mrc_curve(m, kmax, curve), 0);
	assert_int_equal(curve[0], n->refs);
	assert_int_equal(vms_mrc_faults(m, 0), n->refs);
	for (uint64_t k = 1; k <= kmax; k++) {
		uint64_t f = vms_mrc_faults(m, k);

		assert_int_equal(f, naive_faults(n, k));
		assert_int_equal(curve[k], f);
		/* LRU is a stack algorithm: more frames never fault more. */
		assert_true(curve[k] <= curve[k - 1]);
	}
	assert_int_equal(vms_mrc_faults(m, maxd), n->cold);
	assert_int_equal(vms_mrc_faults(m, UINT64_MAX), n->cold);
	free(curve);
}

/* ---- trace generators ---- */

enum pattern { PAT_UNIFORM, PAT_HOTSET, PAT_POWER, PAT_LOOP, PAT_PHASES, NR_PATTERNS };

/* Index in [0, range) following the pattern; i is the position in the trace. */
static uint64_t gen_index(enum pattern pat, uint64_t range, size_t i, size_t len)
{
	switch (pat) {
	case PAT_UNIFORM:
		return rng_below(range);
	case PAT_HOTSET:  /* 80% of references to a tenth of the pages */
		if (rng_below(10) < 8)
			return rng_below(range / 10 + 1);
		return rng_below(range);
	case PAT_POWER: { /* heavily skewed: u^3 */
		uint64_t u = rng_below(1u << 20);

		return (uint64_t)(((unsigned __int128)u * u * u * range) >> 60);
	}
	case PAT_LOOP:    /* cyclic scans with occasional random jumps */
		if (rng_below(16) == 0)
			return rng_below(range);
		return i % range;
	case PAT_PHASES:  /* a working set that moves in four phases */
		return (rng_below(range / 4 + 1) + (i * 4 / len) * (range / 4)) % range;
	default:
		return 0;
	}
}

/* Injective index -> key maps: plain, ASID-heavy, spread over 64 bits, and near UINT64_MAX. */
static uint64_t gen_key(unsigned map, uint64_t idx)
{
	switch (map % 4) {
	case 0:
		return idx;
	case 1:
		return vms_key((uint32_t)(idx % 5) * 1000003u % VMS_ASID_MAX, VMS_VPN_MAX - idx / 5);
	case 2:
		return idx * UINT64_C(0x9e3779b97f4a7c15);  /* odd multiplier: a bijection */
	default:
		return ~idx;                                 /* UINT64_MAX is a key too */
	}
}

/* ---- tests ---- */

static void test_textbook_belady_string(void **state)
{
	static const uint64_t s[] = { 1, 2, 3, 4, 1, 2, 5, 1, 2, 3, 4, 5 };
	/* distances: 4 cold, 1:4 2:4, 5 cold, 1:3 2:3, 3:5 4:5 5:5 */
	static const uint64_t want[] = { 12, 12, 12, 10, 8, 5, 5, 5 };
	uint64_t curve[8];
	struct vms_mrc *m = mrc_new(0);

	access_all(m, s, 12);
	assert_int_equal(vms_mrc_curve(m, 7, curve), 0);
	assert_memory_equal(curve, want, sizeof(want));
	assert_int_equal(vms_mrc_faults(m, 3), 10);
	assert_int_equal(vms_mrc_faults(m, 4), 8);
	assert_int_equal(vms_mrc_cold_misses(m), 5);
	assert_int_equal(vms_mrc_max_distance(m), 5);
	assert_int_equal(vms_mrc_distinct_pages(m), 5);
	assert_int_equal(vms_mrc_references(m), 12);
	vms_mrc_free(m);
}

static void test_textbook_silberschatz_string(void **state)
{
	static const uint64_t s[] = { 7, 0, 1, 2, 0, 3, 0, 4, 2, 3, 0, 3, 2, 1, 2, 0, 1, 7, 0, 1 };
	/*
	 * By hand: 6 cold (7 0 1 2 3 4); distances
	 * 3 2 4 4 4 2 3 5 2 4 3 6 3 3, i.e. d2 x3, d3 x5, d4 x4, d5 x1, d6 x1.
	 */
	static const uint64_t want[] = { 20, 20, 17, 12, 8, 7, 6, 6 };
	uint64_t curve[8];
	struct vms_mrc *m = mrc_new(0);

	access_all(m, s, 20);
	assert_int_equal(vms_mrc_curve(m, 7, curve), 0);
	assert_memory_equal(curve, want, sizeof(want));
	assert_int_equal(vms_mrc_faults(m, 3), 12);
	assert_int_equal(vms_mrc_faults(m, 4), 8);
	assert_int_equal(vms_mrc_cold_misses(m), 6);
	assert_int_equal(vms_mrc_max_distance(m), 6);
	vms_mrc_free(m);
}

static void test_empty_and_edges(void **state)
{
	uint64_t curve[4] = { 9, 9, 9, 9 };
	struct vms_mrc *m = mrc_new(UINT64_MAX);  /* a wild hint is clamped, not obeyed */

	assert_true(vms_mrc_bytes(m) < (size_t)1 << 30);
	assert_int_equal(vms_mrc_curve(m, 3, curve), 0);
	for (int k = 0; k < 4; k++)
		assert_int_equal(curve[k], 0);
	assert_int_equal(vms_mrc_faults(m, 1), 0);
	assert_int_equal(vms_mrc_curve(m, 3, NULL), -EINVAL);
	assert_int_equal(vms_mrc_curve(m, UINT64_MAX, curve), -EINVAL);
	vms_mrc_forget(m, 42);  /* absent: no-op */
	assert_int_equal(vms_mrc_distinct_pages(m), 0);

	/* One page over and over: distance 1 every time. */
	for (int i = 0; i < 10000; i++)
		assert_int_equal(vms_mrc_access(m, UINT64_MAX), 0);
	assert_int_equal(vms_mrc_faults(m, 1), 1);
	assert_int_equal(vms_mrc_faults(m, 0), 10000);
	assert_int_equal(vms_mrc_max_distance(m), 1);
	vms_mrc_free(m);
	vms_mrc_free(NULL);
}

/* N pages scanned round-robin: every re-reference has distance exactly N. */
static void test_cyclic_scan(void **state)
{
	const uint64_t n = 5000, passes = 10;
	struct vms_mrc *m = mrc_new(0);

	for (uint64_t p = 0; p < passes; p++)
		for (uint64_t i = 0; i < n; i++)
			assert_int_equal(vms_mrc_access(m, gen_key(2, i)), 0);
	assert_int_equal(vms_mrc_max_distance(m), n);
	assert_int_equal(vms_mrc_faults(m, 1), n * passes);
	assert_int_equal(vms_mrc_faults(m, n - 1), n * passes);
	assert_int_equal(vms_mrc_faults(m, n), n);
	assert_int_equal(vms_mrc_faults(m, n / 2), n * passes);
	assert_int_equal(vms_mrc_faults(m, n - n / 4), n * passes);
	vms_mrc_free(m);
}

/* Forget takes the page off the stack: pages below it move up one place. */
static void test_forget_by_hand(void **state)
{
	struct vms_mrc *m = mrc_new(0);

	access_all(m, (const uint64_t[]){ 1, 2, 3 }, 3);   /* stack: 3 2 1 */
	vms_mrc_forget(m, 2);                              /* stack: 3 1 */
	assert_int_equal(vms_mrc_distinct_pages(m), 2);
	assert_int_equal(vms_mrc_access(m, 1), 0);         /* distance 2, was 3 */
	assert_int_equal(vms_mrc_max_distance(m), 2);
	assert_int_equal(vms_mrc_access(m, 2), 0);         /* cold again */
	assert_int_equal(vms_mrc_cold_misses(m), 4);
	assert_int_equal(vms_mrc_references(m), 5);
	assert_int_equal(vms_mrc_faults(m, 1), 5);
	assert_int_equal(vms_mrc_faults(m, 2), 4);

	/* Forget everything, then the same pages are all cold again. */
	for (uint64_t k = 1; k <= 3; k++)
		vms_mrc_forget(m, k);
	assert_int_equal(vms_mrc_distinct_pages(m), 0);
	access_all(m, (const uint64_t[]){ 3, 2, 1, 3 }, 4);
	assert_int_equal(vms_mrc_cold_misses(m), 7);
	assert_int_equal(vms_mrc_faults(m, 3), 7);
	assert_int_equal(vms_mrc_faults(m, 2), 8);
	vms_mrc_free(m);
}

/*
 * Thousands of random traces, no forget: the engine's fault count for each
 * k equals a real k-frame LRU run, and the whole curve equals the naive
 * recency list's.
 */
static void test_random_crosscheck_lru(void **state)
{
	static const uint64_t ranges[] = { 1, 2, 3, 8, 17, 64, 300, 5000, UINT64_C(1) << 40 };
	unsigned traces = 0;

	rng_state = 1;
	for (unsigned iter = 0; iter < 3000; iter++) {
		uint64_t range = ranges[iter % (sizeof(ranges) / sizeof(ranges[0]))];
		enum pattern pat = (enum pattern)((iter / 9) % NR_PATTERNS);
		size_t len = 1 + rng_below(iter % 25 == 0 ? 3000 : 600);
		struct naive_lru lru[LRU_MAX_FRAMES + 1];
		struct naive_stack ns;
		struct vms_mrc *m, *mb;
		uint64_t *keys;

		/* some long traces over few pages, so the time window is compacted mid-trace */
		if (range <= 64 && iter % 7 == 0)
			len = 5000 + rng_below(15000);
		m = mrc_new(rng_below(4) == 0 ? len : 0);
		mb = mrc_new(0);
		keys = calloc(len, sizeof(*keys));
		assert_non_null(keys);

		naive_init(&ns, len);
		memset(lru, 0, sizeof(lru));
		for (unsigned k = 1; k <= LRU_MAX_FRAMES; k++)
			lru[k].frames = k;
		for (size_t i = 0; i < len; i++) {
			uint64_t key = gen_key(iter / 45, gen_index(pat, range, i, len));

			keys[i] = key;
			assert_int_equal(vms_mrc_access(m, key), 0);
			naive_access(&ns, key);
			for (unsigned k = 1; k <= LRU_MAX_FRAMES; k++)
				lru_access(&lru[k], key);
		}
		for (unsigned k = 1; k <= LRU_MAX_FRAMES; k++)
			assert_int_equal(vms_mrc_faults(m, k), lru[k].faults);
		check_against_naive(m, &ns);

		/* The batch entry point, in chunks of random size, gives the same answers. */
		for (size_t i = 0; i < len;) {
			size_t chunk = 1 + rng_below(rng_below(2) ? 40 : 2000);

			if (chunk > len - i)
				chunk = len - i;
			assert_int_equal(vms_mrc_access_batch(mb, &keys[i], chunk), 0);
			i += chunk;
		}
		assert_int_equal(vms_mrc_access_batch(mb, keys, 0), 0);
		check_against_naive(mb, &ns);

		naive_fini(&ns);
		free(keys);
		vms_mrc_free(mb);
		vms_mrc_free(m);
		traces++;
	}
	assert_int_equal(traces, 3000);
}

/*
 * Random traces with forget mixed in: the engine equals the naive recency
 * list with removal, exactly.  Against a k-frame LRU that leaves the frame
 * of a forgotten page free, the engine's count is a lower bound (the
 * property docs/mrc.md states), and equal while nothing was forgotten.
 */
static void test_random_forget(void **state)
{
	static const uint64_t ranges[] = { 2, 5, 16, 40, 200, 3000 };

	rng_state = 2;
	for (unsigned iter = 0; iter < 2000; iter++) {
		uint64_t range = ranges[iter % (sizeof(ranges) / sizeof(ranges[0]))];
		enum pattern pat = (enum pattern)((iter / 6) % NR_PATTERNS);
		size_t len = 1 + rng_below(iter % 7 == 0 && range <= 40 ? 20000 : 800);
		unsigned forget_per_mille = (unsigned)rng_below(300);
		struct naive_lru lru[LRU_MAX_FRAMES + 1];
		struct naive_stack ns;
		struct vms_mrc *m = mrc_new(0);
		uint64_t forgets = 0;

		naive_init(&ns, len);
		memset(lru, 0, sizeof(lru));
		for (unsigned k = 1; k <= LRU_MAX_FRAMES; k++)
			lru[k].frames = k;
		for (size_t i = 0; i < len; i++) {
			uint64_t key = gen_key(iter / 30, gen_index(pat, range, i, len));

			if (rng_below(1000) < forget_per_mille) {
				vms_mrc_forget(m, key);
				naive_forget(&ns, key);
				for (unsigned k = 1; k <= LRU_MAX_FRAMES; k++)
					lru_forget(&lru[k], key);
				forgets++;
				continue;
			}
			assert_int_equal(vms_mrc_access(m, key), 0);
			naive_access(&ns, key);
			for (unsigned k = 1; k <= LRU_MAX_FRAMES; k++)
				lru_access(&lru[k], key);
		}
		for (unsigned k = 1; k <= LRU_MAX_FRAMES; k++) {
			if (forgets == 0)
				assert_int_equal(vms_mrc_faults(m, k), lru[k].faults);
			else
				assert_true(vms_mrc_faults(m, k) <= lru[k].faults);
		}
		check_against_naive(m, &ns);
		naive_fini(&ns);
		vms_mrc_free(m);
	}
}

/*
 * Long traces over few pages: the time window is renumbered every few
 * thousand references (dozens of times here) and the counts stay exact;
 * once every page has been seen, memory does not grow with the trace.
 */
static void test_compaction_long(void **state)
{
	static const uint64_t ranges[] = { 1, 3, 50, 700 };

	rng_state = 3;
	for (unsigned r = 0; r < 4; r++) {
		for (unsigned pat = 0; pat < NR_PATTERNS; pat++) {
			const size_t len = 150000;
			struct naive_stack ns;
			struct vms_mrc *m = mrc_new(0);
			size_t bytes_early = 0;

			naive_init(&ns, ranges[r] + 1);
			/* two scans first: every page and the largest distance seen */
			for (uint64_t i = 0; i < 2 * ranges[r]; i++) {
				assert_int_equal(vms_mrc_access(m, gen_key(r + pat, i % ranges[r])), 0);
				naive_access(&ns, gen_key(r + pat, i % ranges[r]));
			}
			for (size_t i = 0; i < len; i++) {
				uint64_t key = gen_key(r + pat, gen_index((enum pattern)pat, ranges[r], i, len));

				/* now and then a forget, so compaction sees holes too */
				if (i % 997 == 0) {
					vms_mrc_forget(m, key);
					naive_forget(&ns, key);
				}
				assert_int_equal(vms_mrc_access(m, key), 0);
				naive_access(&ns, key);
				if (i == 1000)
					bytes_early = vms_mrc_bytes(m);
			}
			check_against_naive(m, &ns);
			assert_int_equal(vms_mrc_bytes(m), bytes_early);
			naive_fini(&ns);
			vms_mrc_free(m);
		}
	}
}

/*
 * A working set that keeps growing while old pages are revisited and some
 * forgotten: table growth and window growth interleave with compaction.
 */
static void test_growth_with_compaction(void **state)
{
	const size_t len = 30000;
	struct naive_stack ns;
	struct vms_mrc *m = mrc_new(0);
	uint64_t next_new = 0;

	rng_state = 4;
	naive_init(&ns, len);
	for (size_t i = 0; i < len; i++) {
		uint64_t key;

		if (rng_below(3) == 0 || next_new == 0)
			key = gen_key(1, next_new++);
		else
			key = gen_key(1, rng_below(next_new));
		if (rng_below(50) == 0) {
			uint64_t victim = gen_key(1, rng_below(next_new + 1));

			vms_mrc_forget(m, victim);
			naive_forget(&ns, victim);
		}
		assert_int_equal(vms_mrc_access(m, key), 0);
		naive_access(&ns, key);
	}
	check_against_naive(m, &ns);
	naive_fini(&ns);
	vms_mrc_free(m);
}

/* Forget everything repeatedly, on a table that grew large, and keep going. */
static void test_forget_all_then_reuse(void **state)
{
	struct naive_stack ns;
	struct vms_mrc *m = mrc_new(0);

	naive_init(&ns, 5000);
	for (unsigned round = 0; round < 4; round++) {
		for (uint64_t i = 0; i < 5000; i++) {
			uint64_t key = gen_key(round, (i * 7919) % 5000);

			assert_int_equal(vms_mrc_access(m, key), 0);
			naive_access(&ns, key);
		}
		for (uint64_t i = 0; i < 5000; i += 1 + (round & 1)) {
			vms_mrc_forget(m, gen_key(round, i));
			naive_forget(&ns, gen_key(round, i));
		}
		/* a small hot loop on the big, mostly empty table: many compactions */
		for (uint64_t i = 0; i < 50000; i++) {
			uint64_t key = gen_key(round, i % 7);

			assert_int_equal(vms_mrc_access(m, key), 0);
			naive_access(&ns, key);
		}
		check_against_naive(m, &ns);
		/* leave the stack empty for the next round's different key map */
		for (size_t p = ns.len; p > 0; p--) {
			uint64_t key = ns.keys[p - 1];

			vms_mrc_forget(m, key);
			naive_forget(&ns, key);
		}
		assert_int_equal(vms_mrc_distinct_pages(m), 0);
	}
	naive_fini(&ns);
	vms_mrc_free(m);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_textbook_belady_string),
		cmocka_unit_test(test_textbook_silberschatz_string),
		cmocka_unit_test(test_empty_and_edges),
		cmocka_unit_test(test_cyclic_scan),
		cmocka_unit_test(test_forget_by_hand),
		cmocka_unit_test(test_random_crosscheck_lru),
		cmocka_unit_test(test_random_forget),
		cmocka_unit_test(test_compaction_long),
		cmocka_unit_test(test_growth_with_compaction),
		cmocka_unit_test(test_forget_all_then_reuse),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
