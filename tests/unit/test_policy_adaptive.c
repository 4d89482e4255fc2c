/* SPDX-License-Identifier: MIT */
/*
 * LFU, ARC and OPT.  Hand-worked cases with exact numbers, then randomized
 * lock-step comparisons against reference models written here as plainly as
 * possible (arrays and linear scans; ARC is a line-by-line transcription of
 * Figure 4 of Megiddo & Modha, FAST 2003).  Every run goes through
 * policy_harness.h, which follows the engine's call protocol.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "policy_harness.h"

/* Test-only views exported by policy_arc.c. */
void vms_arc_debug(const void *state, uint32_t *ret_p, uint32_t ret_len[4]);
int vms_arc_debug_ghost(const void *state, vms_key_t key);
int vms_arc_debug_frame(const void *state, vms_frame_t f);
enum { ARC_NONE = 0, ARC_T1 = 1, ARC_T2 = 2, ARC_B1 = 3, ARC_B2 = 4 };

#define MAX_FRAMES 64
#define MAX_REFS 1200

static const uint32_t frame_counts[] = { 1, 2, 3, 7, 16, 64 };
#define NR_FRAME_COUNTS (sizeof(frame_counts) / sizeof(frame_counts[0]))

static uint64_t rng_next(uint64_t *state)
{
	uint64_t z = (*state += UINT64_C(0x9e3779b97f4a7c15));

	z = (z ^ (z >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
	z = (z ^ (z >> 27)) * UINT64_C(0x94d049bb133111eb);
	return z ^ (z >> 31);
}

static uint32_t rng_below(uint64_t *state, uint32_t n)
{
	return (uint32_t)(rng_next(state) % n);
}

/*
 * A trace over `range` pages: a hot window that drifts now and then, mixed
 * with uniform references, so that every policy sees hits and misses.
 * Page i is vpn i * stride: a stride spreads the keys over the hash.
 */
static void gen_trace(uint64_t *rng, vms_vpn_t *refs, size_t n, uint32_t range,
		      vms_vpn_t stride)
{
	uint32_t hot = 1 + range / 4, base = 0;

	for (size_t i = 0; i < n; i++) {
		uint32_t idx;

		if (rng_below(rng, 64) == 0)
			base = rng_below(rng, range);
		if (rng_below(rng, 10) < 6)
			idx = (base + rng_below(rng, hot)) % range;
		else
			idx = rng_below(rng, range);
		refs[i] = (idx * stride) & VMS_VPN_MAX;
	}
}

static uint32_t pick_range(uint64_t *rng, uint32_t frames)
{
	static const uint32_t mul[] = { 0, 1, 1, 2, 10 };
	uint32_t k = rng_below(rng, 5);

	if (k == 0)
		return frames > 1 ? frames / 2 : 1;
	if (k == 2)
		return frames + 1;
	return frames * mul[k] + (k == 4 ? 5 : 0);
}

static uint64_t run(const struct vms_policy_ops *ops, const struct vms_policy_config *cfg,
		    const vms_vpn_t *refs, size_t n, const uint64_t *next_use)
{
	struct harness h;
	uint64_t faults;

	assert_int_equal(harness_init(&h, ops, cfg), 0);
	for (size_t i = 0; i < n; i++)
		harness_ref(&h, refs[i], false, next_use ? next_use[i] : 0);
	faults = h.faults;
	harness_fini(&h);
	return faults;
}

static vms_frame_t frame_of(struct harness *h, vms_vpn_t vpn)
{
	struct vms_pte *pte = vms_pt_lookup(&h->pt, vpn);

	assert_non_null(pte);
	assert_int_equal(vms_pte_state(pte), VMS_PTE_RESIDENT);
	return (vms_frame_t)pte->payload;
}

/* ---- small array lists for the models ---------------------------------- */

struct alist {
	uint32_t n;
	vms_vpn_t v[2 * MAX_FRAMES + 1];   /* v[0] = LRU end */
};

static int alist_find(const struct alist *l, vms_vpn_t x)
{
	for (uint32_t i = 0; i < l->n; i++)
		if (l->v[i] == x)
			return (int)i;
	return -1;
}

static vms_vpn_t alist_take(struct alist *l, uint32_t i)
{
	vms_vpn_t x = l->v[i];

	memmove(&l->v[i], &l->v[i + 1], (l->n - i - 1) * sizeof(l->v[0]));
	l->n--;
	return x;
}

static bool alist_drop(struct alist *l, vms_vpn_t x)
{
	int i = alist_find(l, x);

	if (i < 0)
		return false;
	alist_take(l, (uint32_t)i);
	return true;
}

static void alist_push_mru(struct alist *l, vms_vpn_t x)
{
	assert_true(l->n < 2 * MAX_FRAMES + 1);
	l->v[l->n++] = x;
}

static vms_vpn_t alist_pop_lru(struct alist *l)
{
	assert_true(l->n > 0);
	return alist_take(l, 0);
}

/* LRU, as the yardstick for OPT and ARC.  Returns true on a fault. */
static bool lru_model_ref(struct alist *l, uint32_t frames, vms_vpn_t x)
{
	if (alist_drop(l, x)) {
		alist_push_mru(l, x);
		return false;
	}
	if (l->n == frames)
		alist_pop_lru(l);
	alist_push_mru(l, x);
	return true;
}

static uint64_t lru_model_run(uint32_t frames, const vms_vpn_t *refs, size_t n)
{
	struct alist l = { 0 };
	uint64_t faults = 0;

	for (size_t i = 0; i < n; i++)
		faults += lru_model_ref(&l, frames, refs[i]);
	return faults;
}

/* ---- OPT ----------------------------------------------------------------- */

static uint64_t opt_faults(const vms_vpn_t *refs, size_t n, uint32_t frames)
{
	struct vms_policy_config cfg = { .nr_frames = frames };
	uint64_t next_use[64];

	assert_true(n <= 64);
	harness_next_use(refs, n, next_use);
	return run(&vms_policy_opt, &cfg, refs, n, next_use);
}

static void test_opt_textbook(void **unused)
{
	static const vms_vpn_t silberschatz[] = { 7, 0, 1, 2, 0, 3, 0, 4, 2, 3,
						  0, 3, 2, 1, 2, 0, 1, 7, 0, 1 };
	static const vms_vpn_t belady[] = { 1, 2, 3, 4, 1, 2, 5, 1, 2, 3, 4, 5 };

	assert_int_equal(opt_faults(silberschatz, 20, 3), 9);
	assert_int_equal(opt_faults(belady, 12, 3), 7);
	assert_int_equal(opt_faults(belady, 12, 4), 6);
	assert_string_equal(vms_policy_opt.name, "opt");
	assert_int_equal(vms_policy_opt.flags, VMS_POLICY_OFFLINE);
}

/* Pages never used again tie; the smallest key goes first. */
static void test_opt_tie(void **unused)
{
	static const vms_vpn_t refs[] = { 5, 3, 9, 4 };
	struct vms_policy_config cfg = { .nr_frames = 3 };
	uint64_t next_use[4];
	struct harness h;

	harness_next_use(refs, 4, next_use);
	assert_int_equal(harness_init(&h, &vms_policy_opt, &cfg), 0);
	for (size_t i = 0; i < 4; i++)
		harness_ref(&h, refs[i], false, next_use[i]);
	assert_int_equal(h.last_victim, 3);
	harness_fini(&h);
}

/* OPT never faults more than FIFO or LRU. */
static void test_opt_beats_fifo_lru(void **unused)
{
	static vms_vpn_t refs[400];
	static uint64_t next_use[400];
	uint64_t rng = 42;

	for (int trial = 0; trial < 300; trial++) {
		uint32_t frames = frame_counts[trial % NR_FRAME_COUNTS];
		uint32_t range = pick_range(&rng, frames);
		struct vms_policy_config cfg = { .nr_frames = frames };
		uint64_t opt, fifo, lru;

		gen_trace(&rng, refs, 400, range, 1);
		harness_next_use(refs, 400, next_use);
		opt = run(&vms_policy_opt, &cfg, refs, 400, next_use);
		fifo = run(&vms_policy_fifo, &cfg, refs, 400, NULL);
		lru = lru_model_run(frames, refs, 400);
		assert_true(opt <= fifo);
		assert_true(opt <= lru);
	}
}

struct opt_model {
	uint32_t n;
	vms_vpn_t page[MAX_FRAMES];
	uint64_t next_use[MAX_FRAMES];
};

static bool opt_model_ref(struct opt_model *m, uint32_t frames, vms_vpn_t x, uint64_t nu)
{
	uint32_t i, v = 0;

	for (i = 0; i < m->n; i++)
		if (m->page[i] == x) {
			m->next_use[i] = nu;
			return false;
		}
	if (m->n == frames) {
		for (i = 1; i < m->n; i++)
			if (m->next_use[i] > m->next_use[v] ||
			    (m->next_use[i] == m->next_use[v] && m->page[i] < m->page[v]))
				v = i;
		m->page[v] = m->page[--m->n];
		m->next_use[v] = m->next_use[m->n];
	}
	m->page[m->n] = x;
	m->next_use[m->n++] = nu;
	return true;
}

static void opt_model_unmap(struct opt_model *m, vms_vpn_t x)
{
	for (uint32_t i = 0; i < m->n; i++)
		if (m->page[i] == x) {
			m->page[i] = m->page[--m->n];
			m->next_use[i] = m->next_use[m->n];
			return;
		}
}

static void test_opt_random_vs_model(void **unused)
{
	static vms_vpn_t refs[MAX_REFS];
	static uint64_t next_use[MAX_REFS];
	uint64_t rng = 7;

	for (int trial = 0; trial < 1200; trial++) {
		uint32_t frames = frame_counts[trial % NR_FRAME_COUNTS];
		uint32_t range = pick_range(&rng, frames);
		vms_vpn_t stride = trial & 1 ? 4097 : 1;
		size_t n = 100 + rng_below(&rng, 400);
		bool unmaps = trial % 3 == 0;
		struct vms_policy_config cfg = { .nr_frames = frames };
		struct opt_model m = { 0 };
		struct harness h;

		gen_trace(&rng, refs, n, range, stride);
		harness_next_use(refs, n, next_use);
		assert_int_equal(harness_init(&h, &vms_policy_opt, &cfg), 0);
		for (size_t i = 0; i < n; i++) {
			if (unmaps && rng_below(&rng, 40) == 0) {
				vms_vpn_t u = (rng_below(&rng, range) * stride) & VMS_VPN_MAX;

				harness_unmap(&h, u);
				opt_model_unmap(&m, u);
			}
			assert_int_equal(harness_ref(&h, refs[i], false, next_use[i]),
					 opt_model_ref(&m, frames, refs[i], next_use[i]));
			assert_int_equal(h.ft.nr_used, m.n);
			assert_true(h.ft.nr_used <= frames);
			for (uint32_t j = 0; j < m.n; j++)
				assert_true(harness_resident(&h, m.page[j]));
		}
		harness_fini(&h);
	}
}

/* ---- LFU ----------------------------------------------------------------- */

static void test_lfu_ties_to_lru(void **unused)
{
	struct vms_policy_config cfg = { .nr_frames = 3 };
	struct harness h;

	assert_string_equal(vms_policy_lfu.name, "lfu");
	assert_int_equal(harness_init(&h, &vms_policy_lfu, &cfg), 0);
	/* A B B A C: A = 2 (used last at 3), B = 2 (at 2), C = 1. */
	harness_ref(&h, 'A', false, 0);
	harness_ref(&h, 'B', false, 0);
	harness_ref(&h, 'B', false, 0);
	harness_ref(&h, 'A', false, 0);
	harness_ref(&h, 'C', false, 0);
	/* D: C has the smallest count. */
	assert_true(harness_ref(&h, 'D', false, 0));
	assert_int_equal(h.last_victim, 'C');
	/* D = 2 now; A, B, D all 2: B is the least recently used, although A
	 * was loaded first. */
	assert_false(harness_ref(&h, 'D', false, 0));
	assert_true(harness_ref(&h, 'E', false, 0));
	assert_int_equal(h.last_victim, 'B');
	/* E = 1 goes next, before every count-2 page. */
	assert_true(harness_ref(&h, 'F', false, 0));
	assert_int_equal(h.last_victim, 'E');
	assert_int_equal(h.faults, 6);
	harness_fini(&h);
}

/*
 * A is used 6 times, then B 5 times across a decay boundary at t = 8: the
 * halving leaves A = 3 while B climbs back to 4, so the miss at t = 11
 * evicts the formerly hot A.  Without aging B (5 < 6) goes.
 */
static void lfu_aging_run(uint64_t period, vms_vpn_t expect_victim)
{
	static const vms_vpn_t refs[] = { 'A', 'A', 'A', 'A', 'A', 'A',
					  'B', 'B', 'B', 'B', 'B', 'C' };
	struct vms_policy_config cfg = { .nr_frames = 2, .lfu_decay_period = period };
	struct harness h;

	assert_int_equal(harness_init(&h, &vms_policy_lfu, &cfg), 0);
	for (size_t i = 0; i < 12; i++)
		harness_ref(&h, refs[i], false, 0);
	assert_int_equal(h.faults, 3);
	assert_int_equal(h.evictions, 1);
	assert_int_equal(h.last_victim, expect_victim);
	harness_fini(&h);
}

static void test_lfu_aging(void **unused)
{
	lfu_aging_run(8, 'A');
	lfu_aging_run(0, 'B');
	/* Period 100: no halving before t = 11. */
	lfu_aging_run(100, 'B');
}

struct lfu_model {
	uint32_t n;
	vms_vpn_t page[MAX_FRAMES];
	uint32_t count[MAX_FRAMES];
	uint64_t stamp[MAX_FRAMES];
	uint64_t seq;
	uint64_t period;
	uint64_t next_decay;
};

static bool lfu_model_ref(struct lfu_model *m, uint32_t frames, vms_vpn_t x, uint64_t t)
{
	uint32_t i, v = 0;

	while (m->period && t >= m->next_decay) {
		for (i = 0; i < m->n; i++)
			m->count[i] /= 2;
		m->next_decay += m->period;
	}
	for (i = 0; i < m->n; i++)
		if (m->page[i] == x) {
			m->count[i]++;
			m->stamp[i] = ++m->seq;
			return false;
		}
	if (m->n == frames) {
		for (i = 1; i < m->n; i++)
			if (m->count[i] < m->count[v] ||
			    (m->count[i] == m->count[v] && m->stamp[i] < m->stamp[v]))
				v = i;
		m->n--;
		m->page[v] = m->page[m->n];
		m->count[v] = m->count[m->n];
		m->stamp[v] = m->stamp[m->n];
	}
	m->page[m->n] = x;
	m->count[m->n] = 1;
	m->stamp[m->n++] = ++m->seq;
	return true;
}

static void lfu_model_unmap(struct lfu_model *m, vms_vpn_t x)
{
	for (uint32_t i = 0; i < m->n; i++)
		if (m->page[i] == x) {
			m->n--;
			m->page[i] = m->page[m->n];
			m->count[i] = m->count[m->n];
			m->stamp[i] = m->stamp[m->n];
			return;
		}
}

static void test_lfu_random_vs_model(void **unused)
{
	static const uint64_t periods[] = { 0, 1, 3, 16, 100, 1000 };
	static vms_vpn_t refs[MAX_REFS];
	uint64_t rng = 11;

	for (int trial = 0; trial < 2400; trial++) {
		uint32_t frames = frame_counts[trial % NR_FRAME_COUNTS];
		uint32_t range = pick_range(&rng, frames);
		uint64_t period = periods[rng_below(&rng, 6)];
		size_t n = 100 + rng_below(&rng, 1000);
		bool unmaps = trial % 3 == 0, gaps = trial % 5 == 0;
		struct vms_policy_config cfg = { .nr_frames = frames, .lfu_decay_period = period };
		struct lfu_model m = { .period = period, .next_decay = period };
		struct harness h;

		gen_trace(&rng, refs, n, range, trial & 1 ? 4097 : 1);
		assert_int_equal(harness_init(&h, &vms_policy_lfu, &cfg), 0);
		for (size_t i = 0; i < n; i++) {
			bool model_fault;

			if (unmaps && rng_below(&rng, 40) == 0) {
				vms_vpn_t u = refs[rng_below(&rng, (uint32_t)n)];

				harness_unmap(&h, u);
				lfu_model_unmap(&m, u);
			}
			/* Live mode: the policy does not see every reference. */
			if (gaps && rng_below(&rng, 20) == 0)
				h.time += rng_below(&rng, 50);
			model_fault = lfu_model_ref(&m, frames, refs[i], h.time);
			assert_int_equal(harness_ref(&h, refs[i], false, 0), model_fault);
			assert_int_equal(h.ft.nr_used, m.n);
			assert_true(h.ft.nr_used <= frames);
			for (uint32_t j = 0; j < m.n; j++)
				assert_true(harness_resident(&h, m.page[j]));
		}
		harness_fini(&h);
	}
}

/* ---- ARC ----------------------------------------------------------------- */

/*
 * Figure 4 of the paper, transcribed.  One addition for unmaps (which the
 * paper does not have): REPLACE only runs while the cache is full, because
 * the engine only asks for a victim then; without unmaps the cache is always
 * full when the paper calls REPLACE.
 */
struct arc_model {
	uint32_t c;
	uint32_t p;
	struct alist t1, t2, b1, b2;
};

static void arc_model_replace(struct arc_model *m, bool x_in_b2)
{
	if (m->t1.n + m->t2.n < m->c)
		return;
	if (m->t1.n > 0 && (m->t1.n > m->p || (x_in_b2 && m->t1.n == m->p)))
		alist_push_mru(&m->b1, alist_pop_lru(&m->t1));
	else
		alist_push_mru(&m->b2, alist_pop_lru(&m->t2));
}

static bool arc_model_ref(struct arc_model *m, vms_vpn_t x)
{
	uint32_t delta, total;

	/* Case I */
	if (alist_drop(&m->t1, x) || alist_drop(&m->t2, x)) {
		alist_push_mru(&m->t2, x);
		return false;
	}
	/* Case II */
	if (alist_find(&m->b1, x) >= 0) {
		delta = m->b1.n >= m->b2.n ? 1 : m->b2.n / m->b1.n;
		m->p = m->p + delta < m->c ? m->p + delta : m->c;
		arc_model_replace(m, false);
		alist_drop(&m->b1, x);
		alist_push_mru(&m->t2, x);
		return true;
	}
	/* Case III */
	if (alist_find(&m->b2, x) >= 0) {
		delta = m->b2.n >= m->b1.n ? 1 : m->b1.n / m->b2.n;
		m->p = m->p > delta ? m->p - delta : 0;
		arc_model_replace(m, true);
		alist_drop(&m->b2, x);
		alist_push_mru(&m->t2, x);
		return true;
	}
	/* Case IV */
	if (m->t1.n + m->b1.n == m->c) {
		if (m->t1.n < m->c) {
			alist_pop_lru(&m->b1);
			arc_model_replace(m, false);
		} else {
			alist_pop_lru(&m->t1);
		}
	} else {
		total = m->t1.n + m->t2.n + m->b1.n + m->b2.n;
		if (total >= m->c) {
			if (total == 2 * m->c)
				alist_pop_lru(&m->b2);
			arc_model_replace(m, false);
		}
	}
	alist_push_mru(&m->t1, x);
	return true;
}

static void arc_model_unmap(struct arc_model *m, vms_vpn_t x)
{
	if (!alist_drop(&m->t1, x))
		alist_drop(&m->t2, x);
}

struct arc_view {
	uint32_t p;
	uint32_t len[4];   /* T1, T2, B1, B2 */
};

static struct arc_view arc_view(struct harness *h)
{
	struct arc_view v;

	vms_arc_debug(h->pol.state, &v.p, v.len);
	return v;
}

static void arc_check_invariants(struct harness *h, uint32_t c)
{
	struct arc_view v = arc_view(h);

	assert_true(v.len[0] + v.len[1] <= c);
	assert_true(v.len[0] + v.len[2] <= c);
	assert_true(v.len[0] + v.len[1] + v.len[2] + v.len[3] <= 2 * c);
	assert_true(v.len[2] + v.len[3] <= c);
	assert_true(v.p <= c);
	assert_int_equal(v.len[0] + v.len[1], h->ft.nr_used);
	assert_true(h->ft.nr_used <= c);
}

static void arc_check_state(struct harness *h, uint32_t p, uint32_t t1, uint32_t t2,
			    uint32_t b1, uint32_t b2)
{
	struct arc_view v = arc_view(h);

	assert_int_equal(v.p, p);
	assert_int_equal(v.len[0], t1);
	assert_int_equal(v.len[1], t2);
	assert_int_equal(v.len[2], b1);
	assert_int_equal(v.len[3], b2);
}

static void arc_refs(struct harness *h, const char *refs)
{
	for (; *refs; refs++)
		harness_ref(h, (vms_vpn_t)*refs, false, 0);
}

static int arc_where(struct harness *h, char page)
{
	if (harness_resident(h, (vms_vpn_t)page))
		return vms_arc_debug_frame(h->pol.state, frame_of(h, (vms_vpn_t)page));
	return vms_arc_debug_ghost(h->pol.state, vms_key(1, (vms_vpn_t)page));
}

/* c = 2: a hit in B1 grows p by 1, then a hit in B2 shrinks it by 1. */
static void test_arc_adapt_small(void **unused)
{
	struct vms_policy_config cfg = { .nr_frames = 2 };
	struct harness h;

	assert_string_equal(vms_policy_arc.name, "arc");
	assert_int_equal(harness_init(&h, &vms_policy_arc, &cfg), 0);
	arc_refs(&h, "AABC");   /* IV.B, |T1| = 1 > p = 0: B goes to B1 */
	arc_check_state(&h, 0, 1, 1, 1, 0);
	assert_int_equal(arc_where(&h, 'B'), ARC_B1);
	arc_refs(&h, "B");      /* II: p = 1; |T1| = 1 = p: T2's A goes to B2 */
	arc_check_state(&h, 1, 1, 1, 0, 1);
	assert_int_equal(arc_where(&h, 'A'), ARC_B2);
	assert_int_equal(arc_where(&h, 'B'), ARC_T2);
	assert_int_equal(arc_where(&h, 'C'), ARC_T1);
	arc_refs(&h, "A");      /* III: p = 0; |T1| = 1 > 0: C goes to B1 */
	arc_check_state(&h, 0, 0, 2, 1, 0);
	assert_int_equal(arc_where(&h, 'C'), ARC_B1);
	assert_int_equal(h.faults, 5);
	/* IV.A with |T1| = c: the LRU of T1 leaves without a ghost. */
	harness_fini(&h);
	assert_int_equal(harness_init(&h, &vms_policy_arc, &cfg), 0);
	arc_refs(&h, "ABC");
	arc_check_state(&h, 0, 2, 0, 0, 0);
	assert_int_equal(arc_where(&h, 'A'), ARC_NONE);
	harness_fini(&h);
	/* IV.B with a full directory (2c): the LRU of B2 is deleted first. */
	assert_int_equal(harness_init(&h, &vms_policy_arc, &cfg), 0);
	arc_refs(&h, "AABBCCDD");
	arc_check_state(&h, 0, 0, 2, 0, 2);
	assert_int_equal(arc_where(&h, 'A'), ARC_B2);
	arc_refs(&h, "E");
	arc_check_state(&h, 0, 1, 1, 0, 2);
	assert_int_equal(arc_where(&h, 'A'), ARC_NONE);
	assert_int_equal(arc_where(&h, 'B'), ARC_B2);
	assert_int_equal(arc_where(&h, 'C'), ARC_B2);
	harness_fini(&h);
}

/* c = 4: delta = |B2| / |B1| = 3 on a B1 hit while B2 is three times larger. */
static void test_arc_adapt_delta(void **unused)
{
	struct vms_policy_config cfg = { .nr_frames = 4 };
	struct harness h;

	assert_int_equal(harness_init(&h, &vms_policy_arc, &cfg), 0);
	arc_refs(&h, "AABBCCDD");
	arc_check_state(&h, 0, 0, 4, 0, 0);
	arc_refs(&h, "EEFFG");  /* each new page pushes T2's LRU to B2 */
	arc_check_state(&h, 0, 1, 3, 0, 3);
	arc_refs(&h, "H");      /* |T1| = 1 > p: G goes to B1 */
	arc_check_state(&h, 0, 1, 3, 1, 3);
	assert_int_equal(arc_where(&h, 'G'), ARC_B1);
	arc_refs(&h, "G");      /* II: delta = 3/1; |T1| = 1 <= 3: D to B2 */
	arc_check_state(&h, 3, 1, 3, 0, 4);
	assert_int_equal(arc_where(&h, 'D'), ARC_B2);
	arc_refs(&h, "A");      /* III: delta = 1; E from T2 to B2 */
	arc_check_state(&h, 2, 1, 3, 0, 4);
	assert_int_equal(arc_where(&h, 'E'), ARC_B2);
	assert_int_equal(arc_where(&h, 'H'), ARC_T1);
	harness_fini(&h);
}

/*
 * Four hot pages used twice, then 100 rounds of: the hot pages, then 8 pages
 * never seen again.  With 8 frames LRU loses the hot set every round
 * (reuse distance 12); ARC keeps it in T2 and only the scan faults.
 */
static void test_arc_scan_resistance(void **unused)
{
	struct vms_policy_config cfg = { .nr_frames = 8 };
	static vms_vpn_t refs[8 + 100 * 12];
	struct harness h;
	size_t n = 0;
	vms_vpn_t next_new = 100;

	for (vms_vpn_t i = 0; i < 8; i++)
		refs[n++] = i / 2;
	for (int round = 0; round < 100; round++) {
		for (vms_vpn_t i = 0; i < 4; i++)
			refs[n++] = i;
		for (int i = 0; i < 8; i++)
			refs[n++] = next_new++;
	}
	assert_int_equal(run(&vms_policy_arc, &cfg, refs, n, NULL), 4 + 100 * 8);
	assert_int_equal(lru_model_run(8, refs, n), 4 + 8 + 99 * 12);

	assert_int_equal(harness_init(&h, &vms_policy_arc, &cfg), 0);
	for (size_t i = 0; i < n; i++)
		harness_ref(&h, refs[i], false, 0);
	for (vms_vpn_t i = 0; i < 4; i++)
		assert_int_equal(vms_arc_debug_frame(h.pol.state, frame_of(&h, i)), ARC_T2);
	assert_int_equal(arc_view(&h).p, 0);
	harness_fini(&h);
}

static void arc_compare(struct harness *h, const struct arc_model *m)
{
	const struct alist *lists[4] = { &m->t1, &m->t2, &m->b1, &m->b2 };
	struct arc_view v = arc_view(h);

	assert_int_equal(v.p, m->p);
	for (int l = 0; l < 4; l++) {
		assert_int_equal(v.len[l], lists[l]->n);
		for (uint32_t i = 0; i < lists[l]->n; i++) {
			vms_vpn_t x = lists[l]->v[i];

			if (l < 2)
				assert_int_equal(vms_arc_debug_frame(h->pol.state, frame_of(h, x)),
						 ARC_T1 + l);
			else
				assert_int_equal(vms_arc_debug_ghost(h->pol.state, vms_key(1, x)),
						 ARC_T1 + l);
		}
	}
}

static void test_arc_random_vs_model(void **unused)
{
	static vms_vpn_t refs[MAX_REFS];
	uint64_t rng = 3;

	for (int trial = 0; trial < 2400; trial++) {
		uint32_t frames = frame_counts[trial % NR_FRAME_COUNTS];
		uint32_t range = pick_range(&rng, frames);
		vms_vpn_t stride = trial & 1 ? 4097 : 1;
		size_t n = 100 + rng_below(&rng, 1000);
		bool unmaps = trial % 3 == 0;
		struct vms_policy_config cfg = { .nr_frames = frames };
		struct arc_model m = { .c = frames };
		struct harness h;

		gen_trace(&rng, refs, n, range, stride);
		assert_int_equal(harness_init(&h, &vms_policy_arc, &cfg), 0);
		for (size_t i = 0; i < n; i++) {
			if (unmaps && rng_below(&rng, 40) == 0) {
				vms_vpn_t u = refs[rng_below(&rng, (uint32_t)n)];

				harness_unmap(&h, u);
				arc_model_unmap(&m, u);
			}
			assert_int_equal(harness_ref(&h, refs[i], false, 0),
					 arc_model_ref(&m, refs[i]));
			arc_check_invariants(&h, frames);
			arc_compare(&h, &m);
		}
		harness_fini(&h);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_opt_textbook),
		cmocka_unit_test(test_opt_tie),
		cmocka_unit_test(test_opt_beats_fifo_lru),
		cmocka_unit_test(test_opt_random_vs_model),
		cmocka_unit_test(test_lfu_ties_to_lru),
		cmocka_unit_test(test_lfu_aging),
		cmocka_unit_test(test_lfu_random_vs_model),
		cmocka_unit_test(test_arc_adapt_small),
		cmocka_unit_test(test_arc_adapt_delta),
		cmocka_unit_test(test_arc_scan_resistance),
		cmocka_unit_test(test_arc_random_vs_model),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
