/* SPDX-License-Identifier: MIT */
/*
 * Refault distances (vmsandbox/workingset.h): against the textbook case
 * (LRU sweeping W pages with F frames refaults every page at distance
 * W - F), against a naive model that remembers every eviction, and the
 * distance histogram's quantiles.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "vmsandbox/workingset.h"

#include "splitmix.h"

static void test_bad_capacity(void **state)
{
	struct vms_workingset *ws = (struct vms_workingset *)0x1;

	(void)state;
	assert_int_equal(vms_workingset_new(0, &ws), -EINVAL);
	assert_int_equal(vms_workingset_new((UINT32_C(1) << 28) + 1, &ws), -EINVAL);
	assert_ptr_equal(ws, (struct vms_workingset *)0x1);   /* untouched on failure */
	vms_workingset_free(NULL);
}

/*
 * LRU with F frames over a cyclic sweep of W > F pages: every reference
 * faults and evicts the page referenced F references ago; each refault is
 * W - F evictions after the page's own, so F + distance = W.
 */
static void sweep_lru(uint32_t w, uint32_t f, uint32_t passes, uint32_t capacity,
		      uint64_t *ret_refaults, struct vms_ws_hist *hist)
{
	struct vms_workingset *ws;
	uint64_t *resident_since = calloc(w, sizeof(*resident_since));   /* 0: not resident */
	uint64_t t = 0, nr_resident = 0, refaults = 0, d;

	assert_non_null(resident_since);
	assert_int_equal(vms_workingset_new(capacity, &ws), 0);
	for (uint32_t p = 0; p < passes; p++) {
		for (uint32_t page = 0; page < w; page++) {
			t++;
			if (resident_since[page]) {
				resident_since[page] = t;   /* a hit (never, for W > F) */
				continue;
			}
			if (vms_workingset_refault(ws, page, &d)) {
				vms_ws_hist_add(hist, d);
				refaults++;
			}
			if (nr_resident == f) {
				uint32_t lru = 0;

				for (uint32_t q = 1; q < w; q++)
					if (resident_since[q] && (!resident_since[lru] ||
								  resident_since[q] < resident_since[lru]))
						lru = q;
				resident_since[lru] = 0;
				nr_resident--;
				vms_workingset_evicted(ws, lru);
			}
			resident_since[page] = t;
			nr_resident++;
		}
	}
	*ret_refaults = refaults;
	vms_workingset_free(ws);
	free(resident_since);
}

static void test_lru_sweep_distance(void **state)
{
	struct vms_ws_hist *h = calloc(1, sizeof(*h));
	uint64_t refaults;

	(void)state;
	assert_non_null(h);
	/* W = 300, F = 100: after the first pass every reference refaults. */
	sweep_lru(300, 100, 5, 400, &refaults, h);
	assert_int_equal(refaults, 4 * 300);
	assert_int_equal(h->total, refaults);
	assert_int_equal(vms_ws_hist_quantile(h, 0.01), 200);
	assert_int_equal(vms_ws_hist_quantile(h, 0.5), 200);
	assert_int_equal(vms_ws_hist_quantile(h, 1.0), 200);
	/* W = F + 1: the page evicted is the next one referenced. */
	vms_ws_hist_reset(h);
	sweep_lru(65, 64, 3, 256, &refaults, h);
	assert_int_equal(refaults, 2 * 65);
	assert_int_equal(vms_ws_hist_quantile(h, 0.5), 1);
	free(h);
}

/* Shadows older than the capacity are forgotten: W - F = 200 > 150. */
static void test_lru_sweep_beyond_capacity(void **state)
{
	struct vms_ws_hist *h = calloc(1, sizeof(*h));
	uint64_t refaults;

	(void)state;
	assert_non_null(h);
	sweep_lru(300, 100, 5, 150, &refaults, h);
	assert_int_equal(refaults, 0);
	vms_ws_hist_reset(h);
	sweep_lru(300, 100, 5, 200, &refaults, h);   /* exactly at the capacity */
	assert_int_equal(refaults, 4 * 300);
	assert_int_equal(vms_ws_hist_quantile(h, 0.5), 200);
	free(h);
}

static void test_refault_forgets_and_reeviction_replaces(void **state)
{
	struct vms_workingset *ws;
	uint64_t d = 0;

	(void)state;
	assert_int_equal(vms_workingset_new(8, &ws), 0);
	assert_false(vms_workingset_refault(ws, 42, &d));   /* never evicted */
	vms_workingset_evicted(ws, 42);
	vms_workingset_evicted(ws, 7);
	vms_workingset_evicted(ws, 9);
	assert_true(vms_workingset_refault(ws, 42, &d));
	assert_int_equal(d, 3);
	assert_false(vms_workingset_refault(ws, 42, &d));   /* forgotten by the refault */
	/* 7 evicted again (it was unmapped and touched anew): the new shadow counts. */
	vms_workingset_evicted(ws, 7);
	assert_true(vms_workingset_refault(ws, 7, &d));
	assert_int_equal(d, 1);
	assert_true(vms_workingset_refault(ws, 9, &d));
	assert_int_equal(d, 2);
	assert_int_equal(vms_workingset_evictions(ws), 4);
	assert_int_equal(vms_workingset_capacity(ws), 8);
	assert_true(vms_workingset_bytes(ws) >= 8 * 16);
	vms_workingset_free(ws);
}

/*
 * Random evictions and refaults over a small key space (many keys per hash
 * chain, ring slots reused over and over), against a model that remembers
 * the last eviction number of every key.
 */
static void test_against_naive_model(void **state)
{
	enum { KEYS = 500, CAP = 97, STEPS = 200000 };
	static uint64_t evicted_at[KEYS];   /* eviction number + 1; 0: no shadow */
	struct vms_workingset *ws;
	uint64_t clock = 0, found = 0, d;

	(void)state;
	rng_state = 12345;
	memset(evicted_at, 0, sizeof(evicted_at));
	assert_int_equal(vms_workingset_new(CAP, &ws), 0);
	for (int i = 0; i < STEPS; i++) {
		/* Keys spread over asids and vpns, as the pager makes them. */
		uint64_t k = rng_next() % KEYS;
		vms_key_t key = vms_key((uint32_t)(k % 7), k * 4099);

		if (rng_next() % 2) {
			vms_workingset_evicted(ws, key);
			evicted_at[k] = ++clock;
		} else {
			bool want = evicted_at[k] && clock - (evicted_at[k] - 1) <= CAP;
			bool got = vms_workingset_refault(ws, key, &d);

			assert_int_equal(got, want);
			if (want) {
				assert_int_equal(d, clock - (evicted_at[k] - 1));
				found++;
			}
			evicted_at[k] = 0;
		}
	}
	assert_true(found > 1000);
	vms_workingset_free(ws);
}

static void test_hist_exact_and_bounded(void **state)
{
	struct vms_ws_hist *h = calloc(1, sizeof(*h)), *g = calloc(1, sizeof(*g));

	(void)state;
	assert_non_null(h);
	assert_non_null(g);
	assert_int_equal(vms_ws_hist_quantile(h, 0.5), 0);   /* empty */
	/* Exact below 128. */
	for (uint64_t v = 1; v <= 100; v++)
		vms_ws_hist_add(h, v);
	assert_int_equal(vms_ws_hist_quantile(h, 0.5), 50);
	assert_int_equal(vms_ws_hist_quantile(h, 0.01), 1);
	assert_int_equal(vms_ws_hist_quantile(h, 0.999), 100);
	assert_int_equal(vms_ws_hist_quantile(h, 2.0), 100);
	/* Above: the bucket's lower bound, within 1/64 below the value. */
	for (uint64_t v = 128; v < (UINT64_C(1) << 32); v = v * 3 / 2 + 7) {
		uint64_t q;

		vms_ws_hist_reset(g);
		vms_ws_hist_add(g, v);
		q = vms_ws_hist_quantile(g, 0.5);
		assert_true(q <= v);
		assert_true(v - q <= v / 64);
	}
	/* Powers of two are bucket bounds: exact. */
	vms_ws_hist_reset(g);
	vms_ws_hist_add(g, 4096);
	assert_int_equal(vms_ws_hist_quantile(g, 1), 4096);
	/* Huge values land in the last bucket. */
	vms_ws_hist_reset(g);
	vms_ws_hist_add(g, UINT64_C(1) << 40);
	assert_true(vms_ws_hist_quantile(g, 1) >= (UINT64_C(1) << 31));
	/* Merge adds counts. */
	vms_ws_hist_reset(g);
	for (int i = 0; i < 300; i++)
		vms_ws_hist_add(g, 1000);
	vms_ws_hist_merge(h, g);
	assert_int_equal(h->total, 400);
	assert_int_equal(vms_ws_hist_quantile(h, 0.25), 100);
	assert_true(vms_ws_hist_quantile(h, 0.5) <= 1000 && vms_ws_hist_quantile(h, 0.5) >= 984);
	free(h);
	free(g);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_bad_capacity),
		cmocka_unit_test(test_lru_sweep_distance),
		cmocka_unit_test(test_lru_sweep_beyond_capacity),
		cmocka_unit_test(test_refault_forgets_and_reeviction_replaces),
		cmocka_unit_test(test_against_naive_model),
		cmocka_unit_test(test_hist_exact_and_bounded),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
