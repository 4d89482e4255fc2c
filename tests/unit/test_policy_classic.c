/* SPDX-License-Identifier: MIT */
/*
 * The classic policies: FIFO, Clock, Enhanced Clock, LRU, WSClock, Random.
 *
 * 1. Reference strings with answers from the textbooks or worked out by hand
 *    (the working is in the comments; docs/policies.md states the
 *    conventions it follows).
 * 2. Randomized cross-checks against small reference models written here
 *    with plain arrays and linear scans: same fault count and same resident
 *    set after every reference, over thousands of seeded traces.
 * 3. Invariants, checked on every victim of every run above by wrapping the
 *    policy's victim(): called only when every frame is in use, returns a
 *    frame in use whose page is resident in it.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <cmocka.h>

#include "policy_harness.h"

/* ---- the harness, with every victim checked ---------------------------- */

static struct harness *checked_h;
static const struct vms_policy_ops *checked_real;
static struct vms_policy_ops checked_ops;

static vms_frame_t checked_victim(void *state, const struct vms_ref *ref)
{
	struct vms_frame_table *ft = &checked_h->ft;
	vms_frame_t f;

	/* Only called while every frame is in use (policy.h). */
	assert_int_equal(ft->nr_used, ft->nr_frames);
	f = checked_real->victim(state, ref);
	assert_true(f < ft->nr_frames);
	/* Never a free frame, and its page is resident in exactly that frame. */
	assert_true(vms_frame_in_use(ft, f));
	assert_int_equal(vms_pte_state(ft->frames[f].pte), VMS_PTE_RESIDENT);
	assert_int_equal(ft->frames[f].pte->payload, f);
	return f;
}

static void checked_init(struct harness *h, const struct vms_policy_ops *ops,
			 const struct vms_policy_config *cfg)
{
	checked_h = h;
	checked_real = ops;
	checked_ops = *ops;
	checked_ops.victim = checked_victim;
	assert_int_equal(harness_init(h, &checked_ops, cfg), 0);
}

/* One reference, then the invariants that hold after any reference. */
static bool ref1(struct harness *h, vms_vpn_t vpn, bool write)
{
	bool fault = harness_ref(h, vpn, write, VMS_TIME_NEVER);

	assert_true(h->ft.nr_used <= h->ft.nr_frames);
	assert_true(harness_resident(h, vpn));
	return fault;
}

/*
 * Runs refs[] (a page is written when writes[i]) on nr_frames frames; returns
 * the faults and stores the evicted pages, in order, in ret_victims.
 */
static uint64_t run_string(const struct vms_policy_ops *ops, struct vms_policy_config cfg,
			   const vms_vpn_t *refs, const bool *writes, size_t n,
			   vms_vpn_t *ret_victims, size_t *ret_nr_victims)
{
	struct harness h;
	size_t nr_victims = 0;
	uint64_t faults;

	checked_init(&h, ops, &cfg);
	for (size_t i = 0; i < n; i++) {
		uint64_t evictions = h.evictions;

		ref1(&h, refs[i], writes ? writes[i] : false);
		if (h.evictions != evictions && ret_victims)
			ret_victims[nr_victims++] = h.last_victim;
	}
	faults = h.faults;
	harness_fini(&h);
	if (ret_nr_victims)
		*ret_nr_victims = nr_victims;
	return faults;
}

static uint64_t faults_of(const struct vms_policy_ops *ops, uint32_t nr_frames,
			  const vms_vpn_t *refs, size_t n)
{
	struct vms_policy_config cfg = { .nr_frames = nr_frames, .seed = 1 };

	return run_string(ops, cfg, refs, NULL, n, NULL, NULL);
}

static void assert_victims(const vms_vpn_t *got, size_t nr_got, const vms_vpn_t *want,
			   size_t nr_want)
{
	assert_int_equal(nr_got, nr_want);
	for (size_t i = 0; i < nr_want; i++)
		assert_int_equal(got[i], want[i]);
}

#define N(a) (sizeof(a) / sizeof((a)[0]))

/* ---- 1. textbook and hand-worked strings ------------------------------- */

static const vms_vpn_t silberschatz[] = {
	7, 0, 1, 2, 0, 3, 0, 4, 2, 3, 0, 3, 2, 1, 2, 0, 1, 7, 0, 1,
};
static const vms_vpn_t belady[] = { 1, 2, 3, 4, 1, 2, 5, 1, 2, 3, 4, 5 };

static void test_silberschatz(void **unused)
{
	assert_int_equal(faults_of(&vms_policy_fifo, 3, silberschatz, N(silberschatz)), 15);
	assert_int_equal(faults_of(&vms_policy_lru, 3, silberschatz, N(silberschatz)), 12);
}

static void test_belady(void **unused)
{
	/* FIFO gets worse with more frames; LRU, a stack algorithm, cannot. */
	assert_int_equal(faults_of(&vms_policy_fifo, 3, belady, N(belady)), 9);
	assert_int_equal(faults_of(&vms_policy_fifo, 4, belady, N(belady)), 10);
	assert_int_equal(faults_of(&vms_policy_lru, 3, belady, N(belady)), 10);
	assert_int_equal(faults_of(&vms_policy_lru, 4, belady, N(belady)), 8);
}

/*
 * Clock, 3 frames.  The ring is written from the hand on, a star marks a set
 * reference bit, new pages go just behind the hand (at the end here):
 *   1 2 3     [1* 2* 3*]                       3 faults
 *   1         hit
 *   4         all set: clear 1 2 3, evict 1    [2 3 4*]
 *   1         evict 2                          [3 4* 1*]
 *   5         evict 3                          [4* 1* 5*]
 *   2         all set: clear, evict 4          [1 5 2*]
 *   1         hit                              [1* 5 2*]
 *   3         clear 1, evict 5                 [2* 1 3*]
 *   1         hit                              8 faults, victims 1 2 3 4 5
 * FIFO evicts 1 instead of 5 at the "3" and faults again on the last "1".
 */
static void test_clock_hand_worked(void **unused)
{
	static const vms_vpn_t refs[] = { 1, 2, 3, 1, 4, 1, 5, 2, 1, 3, 1 };
	static const vms_vpn_t want[] = { 1, 2, 3, 4, 5 };
	static const vms_vpn_t want_fifo[] = { 1, 2, 3, 4, 1, 5 };
	struct vms_policy_config cfg = { .nr_frames = 3 };
	vms_vpn_t got[N(refs)];
	size_t nr;

	assert_int_equal(run_string(&vms_policy_clock, cfg, refs, NULL, N(refs), got, &nr), 8);
	assert_victims(got, nr, want, N(want));
	assert_int_equal(run_string(&vms_policy_fifo, cfg, refs, NULL, N(refs), got, &nr), 9);
	assert_victims(got, nr, want_fifo, N(want_fifo));
}

/*
 * Unmapping the page under the hand moves the hand to the next page:
 *   1 2 3 4   [2 3 4*]        (1 evicted, as above)
 *   unmap 2   [3 4*]          the hand is on 3
 *   5         free frame      [3 4* 5*]
 *   3         hit             [3* 4* 5*]
 *   6         all set: clear, evict 3 (the hand)   [4 5 6*]
 *   7         evict 4
 * Had the hand gone back to 4 (the page before 2), 6 would evict 4.
 */
static void test_clock_unmap_keeps_hand(void **unused)
{
	struct vms_policy_config cfg = { .nr_frames = 3 };
	struct harness h;

	checked_init(&h, &vms_policy_clock, &cfg);
	for (vms_vpn_t p = 1; p <= 4; p++)
		assert_true(ref1(&h, p, false));
	assert_int_equal(h.last_victim, 1);
	harness_unmap(&h, 2);
	assert_int_equal(h.ft.nr_used, 2);
	assert_true(ref1(&h, 5, false));
	assert_int_equal(h.evictions, 1);
	assert_false(ref1(&h, 3, false));
	assert_true(ref1(&h, 6, false));
	assert_int_equal(h.last_victim, 3);
	assert_true(ref1(&h, 7, false));
	assert_int_equal(h.last_victim, 4);
	assert_int_equal(h.faults, 7);
	harness_fini(&h);
}

/*
 * Enhanced Clock, 3 frames, (referenced, dirty) after each page, "w" = write:
 *   1w 2 3w  [1(1,1) 2(1,0) 3(1,1)]
 *   4    p1 no (0,0); p2 no (0,1), clears all; p3 finds 2(0,0): evict 2
 *        -> [3(0,1) 1(0,1) 4(1,0)]      (FIFO and Clock would evict 1)
 *   5    p1 none; p2: 3 is (0,1): evict 3   -> [1(0,1) 4(1,0) 5(1,0)]
 *   2    p1 none; p2: 1 is (0,1): evict 1   -> [4(1,0) 5(1,0) 2(1,0)]
 *   1    p1 none; p2 clears all, none dirty; p3: evict 4
 *        -> [5(0,0) 2(0,0) 1(1,0)]
 *   3w   p1: evict 5                        -> [2(0,0) 1(1,0) 3(1,1)]
 *   2w   hit                                -> 2(1,1)
 *   4    p1 none; p2 clears 2, 1, 3, none (0,1) before that; p3: 1 is (0,0)
 *        evict 1                            -> [3(0,1) 2(0,1) 4(1,0)]
 * 9 faults, victims 2 3 1 4 5 1.
 */
static void test_eclock_hand_worked(void **unused)
{
	static const vms_vpn_t refs[] = { 1, 2, 3, 4, 5, 2, 1, 3, 2, 4 };
	static const bool writes[] = { 1, 0, 1, 0, 0, 0, 0, 1, 1, 0 };
	static const vms_vpn_t want[] = { 2, 3, 1, 4, 5, 1 };
	struct vms_policy_config cfg = { .nr_frames = 3 };
	vms_vpn_t got[N(refs)];
	size_t nr;

	assert_int_equal(run_string(&vms_policy_eclock, cfg, refs, writes, N(refs), got, &nr), 9);
	assert_victims(got, nr, want, N(want));
}

/*
 * Enhanced Clock, 4 frames: a clean page is taken past a dirty one at the
 * hand, and an unreferenced dirty page goes before referenced clean ones.
 *   1w 2 3w 4  [1(1,1) 2(1,0) 3(1,1) 4(1,0)]
 *   5    p1 none; p2 clears all, takes none; p3: 2 is (0,0): evict 2
 *        -> [3(0,1) 4(0,0) 1(0,1) 5(1,0)]   (FIFO and Clock evict 1)
 *   6    p1: 3 at the hand is dirty; 4 is (0,0): evict 4
 *        -> [1(0,1) 5(1,0) 3(0,1) 6(1,0)]
 *   7    p1 none; p2: 1 is (0,1): evict 1, 5 keeps its bit
 *        -> [5(1,0) 3(0,1) 6(1,0) 7(1,0)]
 * 7 faults, victims 2 4 1.
 */
static void test_eclock_prefers_clean(void **unused)
{
	static const vms_vpn_t refs[] = { 1, 2, 3, 4, 5, 6, 7 };
	static const bool writes[] = { 1, 0, 1, 0, 0, 0, 0 };
	static const vms_vpn_t want[] = { 2, 4, 1 };
	struct vms_policy_config cfg = { .nr_frames = 4 };
	vms_vpn_t got[N(refs)];
	size_t nr;
	struct harness h;

	assert_int_equal(run_string(&vms_policy_eclock, cfg, refs, writes, N(refs), got, &nr), 7);
	assert_victims(got, nr, want, N(want));

	/* The bits as the worked example leaves them. */
	checked_init(&h, &vms_policy_eclock, &cfg);
	for (size_t i = 0; i < N(refs); i++)
		ref1(&h, refs[i], writes[i]);
	assert_true(vms_pt_lookup(&h.pt, 5)->flags & VMS_PTE_REFERENCED);
	assert_false(vms_pt_lookup(&h.pt, 3)->flags & VMS_PTE_REFERENCED);
	assert_true(vms_pt_lookup(&h.pt, 3)->flags & VMS_PTE_DIRTY);
	harness_fini(&h);
}

/*
 * WSClock, 3 frames, tau = 2; page(last_use) from the hand, time = index:
 *   t0-2  1 2w 3     [1*(0) 2*w(1) 3*(2)]
 *   t3    4: all referenced: clear, last_use = 3; none old; oldest, first
 *         from the hand: evict 1            -> [2w(3) 3(3) 4*(3)]
 *   t4-6  4 4 4 hits                        -> 4*(6)
 *   t7    5: 2 is old (7-3 > 2) but dirty: skip; 3 old and clean: evict 3
 *                                           -> [4*(6) 2w(3) 5*(7)]
 *   t8    4 hit                             -> 4*(8)
 *   t9    1: clear 4 (9); 2 old dirty; clear 5 (9); no old clean page:
 *         evict the first old dirty one, 2  -> [5(9) 4(9) 1*(9)]
 *   t10   6: 5 and 4 young (age 1), clear 1 (10); none old: evict the
 *         smallest last_use, the first from the hand: 5
 * 7 faults, victims 1 3 2 5.
 */
static void test_wsclock_hand_worked(void **unused)
{
	static const vms_vpn_t refs[] = { 1, 2, 3, 4, 4, 4, 4, 5, 4, 1, 6 };
	static const bool writes[] = { 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0 };
	static const vms_vpn_t want[] = { 1, 3, 2, 5 };
	struct vms_policy_config cfg = { .nr_frames = 3, .ws_window = 2 };
	vms_vpn_t got[N(refs)];
	size_t nr;

	assert_int_equal(run_string(&vms_policy_wsclock, cfg, refs, writes, N(refs), got, &nr), 7);
	assert_victims(got, nr, want, N(want));
}

/*
 * Where the window's edge lies, and its default (2 * nr_frames = 4 here).
 * 2 frames; 1 and 2 loaded at t0, t1, 2 hit at t2, t3:
 *   t4    3: both referenced: clear, last_use = 4; none old; evict 1
 *         (first from the hand)           -> [2(4) 3*(4)]
 *   t5 .. t_end   3 hit                   -> 3*(t_end)
 *   T = t_end + 1   4: 2 is unreferenced with age T - 4.
 *         old (T - 4 > tau): evict 2 at once; the hand never reaches 3,
 *                            which keeps its reference bit;
 *         young: pass 2, clear 3 (last_use = T); none old; the oldest is 2.
 * Either way 2 goes; 3's reference bit tells which rule chose it.
 */
static void test_wsclock_window(void **unused)
{
	for (uint64_t window = 0; window <= 8; window++) {
		uint64_t tau = window ? window : 4;

		for (uint64_t t_end = 5; t_end <= 14; t_end++) {
			struct vms_policy_config cfg = { .nr_frames = 2, .ws_window = window };
			bool old = t_end + 1 - 4 > tau;
			struct harness h;

			checked_init(&h, &vms_policy_wsclock, &cfg);
			ref1(&h, 1, false);
			ref1(&h, 2, false);
			ref1(&h, 2, false);
			ref1(&h, 2, false);
			assert_true(ref1(&h, 3, false));    /* t4 */
			assert_int_equal(h.last_victim, 1);
			while (h.time <= t_end)
				assert_false(ref1(&h, 3, false));
			assert_true(ref1(&h, 4, false));    /* t_end + 1 */
			assert_int_equal(h.last_victim, 2);
			assert_int_equal((vms_pt_lookup(&h.pt, 3)->flags & VMS_PTE_REFERENCED) != 0,
					 old);
			harness_fini(&h);
		}
	}
}

/* ---- 2. randomized cross-checks against reference models --------------- */

enum model_kind { M_FIFO, M_LRU, M_CLOCK, M_ECLOCK, M_WSCLOCK, M_RANDOM };

#define MODEL_MAX_FRAMES 64

/*
 * The resident pages in one array.  For the ring policies index 0 is the
 * hand and the end is just behind it, so "advance the hand" is "move the
 * first page to the end".  FIFO and LRU: index 0 is the next victim.
 * Random: the order of the policy's dense array (append; a leaving page is
 * replaced by the last one).
 */
struct model {
	enum model_kind kind;
	uint32_t nr_frames;
	uint32_t n;
	vms_vpn_t page[MODEL_MAX_FRAMES];
	bool ref[MODEL_MAX_FRAMES];
	bool dirty[MODEL_MAX_FRAMES];
	uint64_t last_use[MODEL_MAX_FRAMES];
	uint64_t tau;
	uint64_t rng;
	uint64_t faults;
};

static int model_find(const struct model *m, vms_vpn_t vpn)
{
	for (uint32_t i = 0; i < m->n; i++)
		if (m->page[i] == vpn)
			return (int)i;
	return -1;
}

static void model_remove_at(struct model *m, uint32_t i)
{
	if (m->kind == M_RANDOM) {
		uint32_t last = m->n - 1;

		m->page[i] = m->page[last];
		m->ref[i] = m->ref[last];
		m->dirty[i] = m->dirty[last];
		m->last_use[i] = m->last_use[last];
	} else {
		for (uint32_t j = i; j + 1 < m->n; j++) {
			m->page[j] = m->page[j + 1];
			m->ref[j] = m->ref[j + 1];
			m->dirty[j] = m->dirty[j + 1];
			m->last_use[j] = m->last_use[j + 1];
		}
	}
	m->n--;
}

static void model_append(struct model *m, vms_vpn_t vpn, bool ref, bool dirty, uint64_t last_use)
{
	m->page[m->n] = vpn;
	m->ref[m->n] = ref;
	m->dirty[m->n] = dirty;
	m->last_use[m->n] = last_use;
	m->n++;
}

/* Moves the page at index i to the end (the hand passes it / LRU hit). */
static void model_to_end(struct model *m, uint32_t i)
{
	vms_vpn_t p = m->page[i];
	bool r = m->ref[i], d = m->dirty[i];
	uint64_t t = m->last_use[i];

	model_remove_at(m, i);
	model_append(m, p, r, d, t);
}

/* splitmix64 and the rejection rule, re-implemented from the definition. */
static uint64_t model_splitmix(uint64_t *s)
{
	uint64_t z;

	*s += 0x9e3779b97f4a7c15ull;
	z = *s;
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

static uint32_t model_below(uint64_t *s, uint32_t n)
{
	/* Accept the largest whole number of copies of 0..n-1 at the top. */
	uint64_t two64_mod_n = (uint64_t)(((unsigned __int128)1 << 64) % n);

	for (;;) {
		uint64_t x = model_splitmix(s);

		if (x >= two64_mod_n)
			return (uint32_t)(x % n);
	}
}

/* The index of the victim; for the ring policies, the hand is moved so that
 * the victim is at index 0 first. */
static uint32_t model_victim(struct model *m, uint64_t now)
{
	switch (m->kind) {
	case M_FIFO:
	case M_LRU:
		return 0;
	case M_CLOCK:
		while (m->ref[0]) {
			m->ref[0] = false;
			model_to_end(m, 0);
		}
		return 0;
	case M_ECLOCK:
		for (int round = 0; round < 2; round++) {
			for (uint32_t i = 0; i < m->n; i++)
				if (!m->ref[i] && !m->dirty[i])
					return i;
			for (uint32_t i = 0; i < m->n; i++) {
				if (m->ref[i])
					m->ref[i] = false;
				else if (m->dirty[i])
					return i;
			}
		}
		fail_msg("eclock model found no victim");
		return 0;
	case M_WSCLOCK: {
		int old_dirty = -1;
		uint32_t oldest = 0;

		for (uint32_t i = 0; i < m->n; i++) {
			if (m->ref[i]) {
				m->ref[i] = false;
				m->last_use[i] = now;
			} else if (now > m->last_use[i] && now - m->last_use[i] > m->tau) {
				if (!m->dirty[i])
					return i;
				if (old_dirty < 0)
					old_dirty = (int)i;
			}
		}
		if (old_dirty >= 0)
			return (uint32_t)old_dirty;
		for (uint32_t i = 1; i < m->n; i++)
			if (m->last_use[i] < m->last_use[oldest])
				oldest = i;
		return oldest;
	}
	case M_RANDOM:
		return model_below(&m->rng, m->n);
	}
	return 0;
}

static void model_evict(struct model *m, uint32_t i)
{
	bool ring = m->kind == M_CLOCK || m->kind == M_ECLOCK || m->kind == M_WSCLOCK;

	/* The hand stops on the victim, which leaves; the hand is then on the
	 * page after it, and the new page goes just behind the hand. */
	if (ring)
		for (uint32_t k = 0; k < i; k++)
			model_to_end(m, 0);
	model_remove_at(m, ring ? 0 : i);
}

static void model_ref(struct model *m, vms_vpn_t vpn, bool write, uint64_t now)
{
	int i = model_find(m, vpn);

	if (i >= 0) {
		m->ref[i] = true;
		m->dirty[i] |= write;
		m->last_use[i] = now;   /* only WSClock reads it */
		if (m->kind == M_LRU)
			model_to_end(m, (uint32_t)i);
		return;
	}
	m->faults++;
	if (m->n == m->nr_frames)
		model_evict(m, model_victim(m, now));
	model_append(m, vpn, true, write, now);
}

static void model_unmap(struct model *m, vms_vpn_t vpn)
{
	int i = model_find(m, vpn);

	if (i >= 0)
		model_remove_at(m, (uint32_t)i);
}

static const struct vms_policy_ops *model_ops(enum model_kind k)
{
	switch (k) {
	case M_FIFO: return &vms_policy_fifo;
	case M_LRU: return &vms_policy_lru;
	case M_CLOCK: return &vms_policy_clock;
	case M_ECLOCK: return &vms_policy_eclock;
	case M_WSCLOCK: return &vms_policy_wsclock;
	case M_RANDOM: return &vms_policy_random;
	}
	return NULL;
}

/* The traces' own generator, independent of the policy's. */
static uint64_t gen_state;

static uint64_t gen_next(void)
{
	return model_splitmix(&gen_state);
}

static uint64_t gen_below(uint64_t n)
{
	return gen_next() % n;
}

struct trace_params {
	uint32_t nr_frames;
	uint64_t nr_pages;
	unsigned write_pct;
	unsigned unmap_per_mille;
	uint64_t ws_window;
	uint64_t seed;
	size_t len;
};

/* Same faults and same resident set after every step, or a failure that says
 * which trace and which step. */
static void cross_check_one(enum model_kind kind, const struct trace_params *p)
{
	struct vms_policy_config cfg = { .nr_frames = p->nr_frames, .seed = p->seed,
					 .ws_window = p->ws_window };
	struct model m = { .kind = kind, .nr_frames = p->nr_frames, .rng = p->seed,
			   .tau = p->ws_window ? p->ws_window : 2 * (uint64_t)p->nr_frames };
	struct harness h;
	vms_vpn_t hot = 0;

	checked_init(&h, model_ops(kind), &cfg);
	for (size_t step = 0; step < p->len; step++) {
		vms_vpn_t vpn;

		if (gen_below(1000) < p->unmap_per_mille) {
			vpn = gen_below(p->nr_pages);
			harness_unmap(&h, vpn);
			model_unmap(&m, vpn);
		} else {
			/* Half the references near a slowly moving hot spot, so that
			 * hits, re-references and old pages all happen. */
			if (gen_below(2) == 0) {
				if (gen_below(16) == 0)
					hot = gen_below(p->nr_pages);
				vpn = (hot + gen_below(p->nr_frames + 1)) % p->nr_pages;
			} else {
				vpn = gen_below(p->nr_pages);
			}
			bool write = gen_below(100) < p->write_pct;
			uint64_t now = h.time;

			ref1(&h, vpn, write);
			model_ref(&m, vpn, write, now);
		}
		if (h.faults != m.faults || h.ft.nr_used != m.n) {
			fail_msg("%s frames %u pages %llu seed %llu step %zu: faults %llu model %llu,"
				 " resident %u model %u", model_ops(kind)->name, p->nr_frames,
				 (unsigned long long)p->nr_pages, (unsigned long long)p->seed, step,
				 (unsigned long long)h.faults, (unsigned long long)m.faults,
				 h.ft.nr_used, m.n);
		}
		/* Equal sizes, and every model page resident: equal sets. */
		for (uint32_t i = 0; i < m.n; i++)
			if (!harness_resident(&h, m.page[i]))
				fail_msg("%s frames %u seed %llu step %zu: page %llu not resident",
					 model_ops(kind)->name, p->nr_frames,
					 (unsigned long long)p->seed, step,
					 (unsigned long long)m.page[i]);
	}
	harness_fini(&h);
}

static void cross_check(enum model_kind kind)
{
	static const uint32_t frames[] = { 1, 2, 3, 7, 16, 64 };
	unsigned nr_traces = 0;

	gen_state = 0x5eed0000u + (uint64_t)kind;
	for (size_t fi = 0; fi < N(frames); fi++) {
		uint32_t f = frames[fi];
		const uint64_t pages[] = { f / 2 + 1, f + 1, 2 * (uint64_t)f + 1,
					   10 * (uint64_t)f + 3, 1000 };

		for (size_t pi = 0; pi < N(pages); pi++)
			for (unsigned variant = 0; variant < 4; variant++)
				for (unsigned rep = 0; rep < 16; rep++) {
					const uint64_t windows[] = { 0, 1, 3, f, 4 * (uint64_t)f };
					struct trace_params p = {
						.nr_frames = f,
						.nr_pages = pages[pi],
						.write_pct = variant & 1 ? 30 : 0,
						.unmap_per_mille = variant & 2 ? 20 : 0,
						.ws_window = windows[rep % N(windows)],
						.seed = gen_next() >> (rep & 1 ? 0 : 60),
						.len = f >= 16 ? 600 : 200,
					};

					cross_check_one(kind, &p);
					nr_traces++;
				}
	}
	assert_int_equal(nr_traces, 6 * 5 * 4 * 16);
}

static void test_cross_fifo(void **unused) { cross_check(M_FIFO); }
static void test_cross_lru(void **unused) { cross_check(M_LRU); }
static void test_cross_clock(void **unused) { cross_check(M_CLOCK); }
static void test_cross_eclock(void **unused) { cross_check(M_ECLOCK); }
static void test_cross_wsclock(void **unused) { cross_check(M_WSCLOCK); }
static void test_cross_random(void **unused) { cross_check(M_RANDOM); }

/* ---- Random: reproducible and uniform ---------------------------------- */

/* 8 frames always full, a new page on every reference: each of the 8 frames
 * should be chosen 1/8 of the time.  Fixed seed, so the counts are fixed;
 * the bound (5 % of 10000) is about 4 standard deviations. */
static void test_random_uniform(void **unused)
{
	struct vms_policy_config cfg = { .nr_frames = 8, .seed = 42 };
	unsigned count[8] = { 0 };
	struct harness h;

	checked_init(&h, &vms_policy_random, &cfg);
	for (vms_vpn_t p = 0; p < 8 + 80000; p++) {
		uint64_t evictions = h.evictions;

		ref1(&h, p, false);
		if (h.evictions != evictions)
			count[vms_pt_lookup(&h.pt, p)->payload]++;
	}
	for (unsigned f = 0; f < 8; f++) {
		assert_true(count[f] > 9500);
		assert_true(count[f] < 10500);
	}
	harness_fini(&h);
}

static void test_random_seeded(void **unused)
{
	vms_vpn_t refs[400], a[400], b[400], c[400];
	size_t na, nb, nc;
	struct vms_policy_config cfg = { .nr_frames = 5, .seed = 7 };

	for (size_t i = 0; i < N(refs); i++)
		refs[i] = (i * 7919) % 13;
	run_string(&vms_policy_random, cfg, refs, NULL, N(refs), a, &na);
	run_string(&vms_policy_random, cfg, refs, NULL, N(refs), b, &nb);
	cfg.seed = 8;
	run_string(&vms_policy_random, cfg, refs, NULL, N(refs), c, &nc);
	assert_victims(a, na, b, nb);
	assert_true(na != nc || memcmp(a, c, na * sizeof(*a)) != 0);
}

/* ---- lifecycle --------------------------------------------------------- */

static void test_names_and_destroy_null(void **unused)
{
	static const char *const names[] = { "clock", "eclock", "lru", "wsclock", "random" };

	for (size_t i = 0; i < N(names); i++) {
		const struct vms_policy_ops *ops = vms_policy_find(names[i]);

		assert_non_null(ops);
		assert_string_equal(ops->name, names[i]);
		assert_non_null(ops->summary);
		ops->destroy(NULL);
	}
	/* What the live pager must emulate for each of them. */
	assert_int_equal(vms_policy_clock.flags, VMS_POLICY_REFBITS);
	assert_int_equal(vms_policy_eclock.flags, VMS_POLICY_REFBITS);
	assert_int_equal(vms_policy_wsclock.flags, VMS_POLICY_REFBITS);
	assert_int_equal(vms_policy_lru.flags, VMS_POLICY_HITS);
	assert_int_equal(vms_policy_random.flags, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_silberschatz),
		cmocka_unit_test(test_belady),
		cmocka_unit_test(test_clock_hand_worked),
		cmocka_unit_test(test_clock_unmap_keeps_hand),
		cmocka_unit_test(test_eclock_hand_worked),
		cmocka_unit_test(test_eclock_prefers_clean),
		cmocka_unit_test(test_wsclock_hand_worked),
		cmocka_unit_test(test_wsclock_window),
		cmocka_unit_test(test_cross_fifo),
		cmocka_unit_test(test_cross_lru),
		cmocka_unit_test(test_cross_clock),
		cmocka_unit_test(test_cross_eclock),
		cmocka_unit_test(test_cross_wsclock),
		cmocka_unit_test(test_cross_random),
		cmocka_unit_test(test_random_uniform),
		cmocka_unit_test(test_random_seeded),
		cmocka_unit_test(test_names_and_destroy_null),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
