/* SPDX-License-Identifier: MIT */
/*
 * Unit tests of the OOM rules (include/vmsandbox/oom.h): the overcommit
 * modes against the kernel's documented behaviour (Documentation/mm/
 * overcommit-accounting.rst), the badness score and the victim choice by
 * hand-computed cases and a randomized cross-check against a reference
 * written here, and an address space's usage after real references in a
 * simulated engine (evictions to swap counted as swapped, zero pages as
 * same-filled).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include <cmocka.h>

#include "vmsandbox/oom.h"

static void test_default_limit(void **state)
{
	(void)state;
	/* vm.overcommit_ratio=50: half the RAM plus all the swap. */
	assert_int_equal(vms_commit_default_limit(4096, 0), 2048);
	assert_int_equal(vms_commit_default_limit(4097, 1000), 2048 + 1000);
	assert_true(vms_commit_default_limit(4096, UINT64_MAX) == UINT64_MAX);
}

static void test_always(void **state)
{
	struct vms_commit_rules r = { .mode = VMS_OVERCOMMIT_ALWAYS, .ram_pages = 10,
				      .swap_pages = 0, .limit_pages = 1 };

	(void)state;
	assert_true(vms_commit_allows(&r, 0, UINT64_MAX / 2));
	assert_true(vms_commit_allows(&r, 1000, 1000));
}

static void test_heuristic(void **state)
{
	struct vms_commit_rules r = { .mode = VMS_OVERCOMMIT_HEURISTIC, .ram_pages = 1000,
				      .swap_pages = 500, .limit_pages = 1 };

	(void)state;
	/* Only one request larger than RAM + swap is refused, whatever is
	 * committed already. */
	assert_true(vms_commit_allows(&r, 0, 1500));
	assert_false(vms_commit_allows(&r, 0, 1501));
	assert_true(vms_commit_allows(&r, 1000000, 1500));
	/* Unlimited swap: no request is obviously too large. */
	r.swap_pages = UINT64_MAX;
	assert_true(vms_commit_allows(&r, 0, UINT64_MAX / 2));
	/* No budget (observe only): nothing refused. */
	r.swap_pages = 0;
	r.ram_pages = 0;
	assert_true(vms_commit_allows(&r, 0, 1u << 30));
}

static void test_never(void **state)
{
	struct vms_commit_rules r = { .mode = VMS_OVERCOMMIT_NEVER, .ram_pages = 1000,
				      .swap_pages = 0, .limit_pages = 600 };

	(void)state;
	assert_true(vms_commit_allows(&r, 0, 600));
	assert_false(vms_commit_allows(&r, 0, 601));
	assert_true(vms_commit_allows(&r, 599, 1));
	assert_false(vms_commit_allows(&r, 600, 1));
	assert_true(vms_commit_allows(&r, 600, 0));
	/* Already above the limit (a limit lowered by the user, memory that
	 * was committed uncounted): every further charge is refused. */
	assert_false(vms_commit_allows(&r, 700, 1));
	/* No overflow on huge requests. */
	assert_false(vms_commit_allows(&r, 100, UINT64_MAX));
	r.limit_pages = UINT64_MAX;
	assert_true(vms_commit_allows(&r, UINT64_MAX - 1, UINT64_MAX));
}

static void test_badness(void **state)
{
	struct vms_oom_candidate c = { .id = 1, .resident = 100, .swapped = 50, .pt_pages = 2 };

	(void)state;
	assert_int_equal(vms_oom_badness(&c, 10000), 152);
	/* +500 of 10,000 pages: 5,000 more points. */
	c.oom_score_adj = 500;
	assert_int_equal(vms_oom_badness(&c, 10000), 5152);
	/* Thousandths of a small machine are not rounded away: 1000 of
	 * 3,072 pages is the whole 3,072. */
	c.oom_score_adj = 1000;
	assert_int_equal(vms_oom_badness(&c, 3072), 152 + 3072);
	/* -100: 1,000 fewer; never below 1 while killable. */
	c.oom_score_adj = -100;
	assert_int_equal(vms_oom_badness(&c, 10000), 1);
	c.oom_score_adj = -999;
	assert_int_equal(vms_oom_badness(&c, 10000), 1);
	c.oom_score_adj = -1000;
	assert_true(vms_oom_badness(&c, 10000) == VMS_OOM_UNKILLABLE);
}

static void test_choose(void **state)
{
	struct vms_oom_candidate c[4] = {
		{ .id = 10, .resident = 10, .swapped = 0 },
		{ .id = 11, .resident = 5, .swapped = 500 },       /* the leaker */
		{ .id = 12, .resident = 300, .swapped = 205 },     /* ties 505: later loses */
		{ .id = 13, .resident = 1, .oom_score_adj = 1000 },/* but adj wins */
	};
	int64_t b[4];

	(void)state;
	assert_int_equal(vms_oom_choose(c, 3, 1000, b), 1);
	assert_int_equal(b[0], 10);
	assert_int_equal(b[1], 505);
	assert_int_equal(b[2], 505);
	assert_int_equal(vms_oom_choose(c, 4, 1000, b), 3);
	assert_int_equal(b[3], 1001);
	/* Every candidate unkillable: no victim. */
	for (int i = 0; i < 4; i++)
		c[i].oom_score_adj = -1000;
	assert_int_equal(vms_oom_choose(c, 4, 1000, NULL), -1);
	assert_int_equal(vms_oom_choose(c, 0, 1000, NULL), -1);
}

/* Reference: the kernel's formula written out differently (in thousandths
 * of the total, then back), the first maximum in order. */
static long reference_choose(const struct vms_oom_candidate *c, size_t n, uint64_t total)
{
	long best = -1;
	long long best_points = 0;

	for (size_t i = 0; i < n; i++) {
		long long points;

		if (c[i].oom_score_adj == -1000)
			continue;
		points = (long long)(c[i].resident + c[i].swapped + c[i].pt_pages) +
			 (long long)c[i].oom_score_adj * (long long)total / 1000;
		if (points < 1)
			points = 1;
		if (best < 0 || points > best_points) {
			best = (long)i;
			best_points = points;
		}
	}
	return best;
}

static void test_choose_random(void **state)
{
	uint64_t x = 88172645463325252ull;

	(void)state;
	for (int round = 0; round < 20000; round++) {
		struct vms_oom_candidate c[8];
		size_t n;
		uint64_t total;

		x ^= x << 13, x ^= x >> 7, x ^= x << 17;
		n = x % 9;
		total = 1000 + (x >> 20) % 100000;
		for (size_t i = 0; i < n; i++) {
			x ^= x << 13, x ^= x >> 7, x ^= x << 17;
			c[i] = (struct vms_oom_candidate){
				.id = (uint32_t)i,
				.resident = x % 5000,
				.swapped = (x >> 16) % 5000,
				.pt_pages = (x >> 32) % 10,
				/* Mostly 0, sometimes any value, sometimes -1000. */
				.oom_score_adj = (x >> 40) % 4 ? 0 : (int)((x >> 44) % 2001) - 1000,
			};
		}
		assert_int_equal(vms_oom_choose(c, n, total, NULL), reference_choose(c, n, total));
	}
}

/* An engine with 4 frames and unlimited swap (simulation: no backend). */
static void test_as_usage(void **state)
{
	struct vms_mm_config cfg = { .nr_frames = 4, .policy = vms_policy_find("fifo") };
	struct vms_as_usage u;
	struct vms_ref_result res;
	struct vms_mm *mm;
	struct vms_as *as;

	(void)state;
	assert_int_equal(vms_mm_new(&cfg, &mm), 0);
	assert_int_equal(vms_mm_as_new(mm, 1, &as), 0);
	vms_mm_as_usage(as, &u);
	assert_int_equal(u.resident + u.swapped + u.same_filled, 0);
	for (vms_vpn_t v = 100; v < 110; v++)
		assert_int_equal(vms_mm_ref(mm, as, v, true, VMS_TIME_NEVER, &res), 0);
	vms_mm_as_usage(as, &u);
	/* 10 pages, 4 frames: 6 evicted.  Without a backend there are no
	 * contents: every evicted page holds a swap slot. */
	assert_int_equal(u.resident, 4);
	assert_int_equal(u.resident, as->stats.resident);
	assert_int_equal(u.swapped + u.same_filled, 6);
	assert_true(u.pt_bytes > 0);
	vms_mm_unmap(mm, as, 100, 3);
	vms_mm_as_usage(as, &u);
	assert_int_equal(u.resident + u.swapped + u.same_filled, 7);
	vms_mm_free(mm);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_default_limit),
		cmocka_unit_test(test_always),
		cmocka_unit_test(test_heuristic),
		cmocka_unit_test(test_never),
		cmocka_unit_test(test_badness),
		cmocka_unit_test(test_choose),
		cmocka_unit_test(test_choose_random),
		cmocka_unit_test(test_as_usage),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
