/* SPDX-License-Identifier: MIT */
/*
 * The thrashing verdict (vmsandbox/thrash.h): the window rule at its
 * thresholds, "sustained", short runs, a last partial window, merging a
 * full series, and the working-set estimate.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "vmsandbox/thrash.h"

#define MS 1000000ull

static const struct vms_thrash_rule rule = VMS_THRASH_RULE_DEFAULT;

static struct vms_thrash *series(uint32_t max_windows)
{
	struct vms_thrash_config cfg = { .frames = 1000, .max_distance = 4000,
					 .window_len = 100 * MS, .max_windows = max_windows,
					 .rule = rule };
	struct vms_thrash *t;

	assert_int_equal(vms_thrash_new(&cfg, &t), 0);
	return t;
}

/* Window i (100 ms each): a thrashing one has 1,000 faults, all refaults at
 * distance `distance`, and 60% stall; a calm one 10 faults, no refault. */
static void add_window(struct vms_thrash *t, uint64_t i, bool thrashing, uint64_t distance)
{
	struct vms_thrash_sample s = { .start_ns = i * 100 * MS, .dur_ns = 100 * MS,
				       .len = 100 * MS, .refs = (i + 1) * 1000 };

	if (thrashing) {
		s.faults = s.swap_ins = s.evictions = 1000;
		s.stall_ns = 60 * MS;
		for (int k = 0; k < 1000; k++)
			vms_thrash_refault(t, distance);
	} else {
		s.faults = 10;
		s.stall_ns = 1 * MS;
	}
	s.resident = 1000;
	vms_thrash_close(t, &s, false);
}

static void test_bad_config(void **state)
{
	struct vms_thrash_config cfg = { .frames = 10, .max_distance = 40, .window_len = 0,
					 .max_windows = 4, .rule = rule };
	struct vms_thrash *t = NULL;

	(void)state;
	assert_int_equal(vms_thrash_new(&cfg, &t), -EINVAL);
	cfg.window_len = 1;
	cfg.max_distance = 0;
	assert_int_equal(vms_thrash_new(&cfg, &t), -EINVAL);
	cfg.max_distance = (UINT64_C(1) << 28) + 1;
	assert_int_equal(vms_thrash_new(&cfg, &t), -EINVAL);
	cfg.max_distance = 40;
	cfg.window_len = 1;
	cfg.max_windows = 3;
	assert_int_equal(vms_thrash_new(&cfg, &t), -EINVAL);
	cfg.max_windows = 0;
	assert_int_equal(vms_thrash_new(&cfg, &t), -EINVAL);
	assert_null(t);
	vms_thrash_free(NULL);
}

static void test_window_rule_thresholds(void **state)
{
	struct vms_thrash_sample s = { .dur_ns = 1000, .faults = 100, .stall_ns = 200 };

	(void)state;
	/* At every threshold exactly: thrashing. */
	assert_true(vms_thrash_window_thrashes(&rule, &s, 50));
	/* Just under each one: not. */
	s.stall_ns = 199;
	assert_false(vms_thrash_window_thrashes(&rule, &s, 50));
	s.stall_ns = 200;
	assert_false(vms_thrash_window_thrashes(&rule, &s, 49));
	s.faults = 18;   /* 10 refaults of 18 faults, but the minimum is 10 refaults */
	assert_true(vms_thrash_window_thrashes(&rule, &s, 10));
	assert_false(vms_thrash_window_thrashes(&rule, &s, 9));
	/* Nothing measured: never. */
	s.dur_ns = 0;
	assert_false(vms_thrash_window_thrashes(&rule, &s, 10));
	s.dur_ns = 1000;
	s.faults = 0;
	assert_false(vms_thrash_window_thrashes(&rule, &s, 0));
}

static void test_sustained_stretch_gives_since(void **state)
{
	struct vms_thrash *t = series(100);
	struct vms_thrash_verdict v;

	(void)state;
	/* calm, 2 thrashing (too short), calm, 4 thrashing, calm */
	add_window(t, 0, false, 0);
	add_window(t, 1, true, 500);
	add_window(t, 2, true, 500);
	add_window(t, 3, false, 0);
	vms_thrash_get_verdict(t, &v);
	assert_false(v.thrashing);
	add_window(t, 4, true, 500);
	vms_thrash_get_verdict(t, &v);
	assert_false(v.thrashing);   /* 1 window to the end, of 5 */
	add_window(t, 5, true, 500);
	vms_thrash_get_verdict(t, &v);
	assert_false(v.thrashing);   /* 2 of 6 */
	add_window(t, 6, true, 500);
	vms_thrash_get_verdict(t, &v);
	assert_true(v.thrashing);
	assert_int_equal(v.since_ns, 400 * MS);
	add_window(t, 7, true, 500);
	add_window(t, 8, false, 0);
	vms_thrash_get_verdict(t, &v);
	assert_true(v.thrashing);
	assert_int_equal(v.since_ns, 400 * MS);
	/* Figures: all 9 windows, 6 of them thrashing (the early two too). */
	assert_int_equal(v.all.nr_windows, 9);
	assert_int_equal(v.thrashed.nr_windows, 6);
	assert_int_equal(v.thrashed.dur_ns, 600 * MS);
	assert_int_equal(v.thrashed.stall_ns, 360 * MS);
	assert_int_equal(v.thrashed.faults, 6000);
	assert_int_equal(v.thrashed.refaults, 6000);
	assert_int_equal(v.all.faults, 6030);
	/* Working set: frames + median distance. */
	assert_int_equal(v.thrashed.wss_pages, 1500);
	assert_int_equal(v.all.wss_pages, 1500);
	vms_thrash_free(t);
}

static void test_short_runs(void **state)
{
	struct vms_thrash *t = series(100);
	struct vms_thrash_verdict v;

	(void)state;
	/* Two windows, both thrashing: the whole run thrashed. */
	add_window(t, 0, true, 100);
	add_window(t, 1, true, 100);
	vms_thrash_get_verdict(t, &v);
	assert_true(v.thrashing);
	assert_int_equal(v.since_ns, 0);
	vms_thrash_free(t);

	/* Thrashing to the end, for half of the run: since it began. */
	t = series(100);
	add_window(t, 0, false, 0);
	add_window(t, 1, true, 100);
	vms_thrash_get_verdict(t, &v);
	assert_true(v.thrashing);
	assert_int_equal(v.since_ns, 100 * MS);
	assert_int_equal(v.thrashed.nr_windows, 1);
	add_window(t, 2, true, 100);
	add_window(t, 3, false, 0);
	vms_thrash_get_verdict(t, &v);
	assert_false(v.thrashing);   /* over, and never for 3 windows */
	vms_thrash_free(t);

	/* A burst at the end of a longer run: not. */
	t = series(100);
	for (uint64_t i = 0; i < 5; i++)
		add_window(t, i, false, 0);
	add_window(t, 5, true, 100);
	add_window(t, 6, true, 100);
	vms_thrash_get_verdict(t, &v);
	assert_false(v.thrashing);
	vms_thrash_free(t);
}

/* A last window shorter than half a window is reported, not judged, unless
 * it is the run's only window. */
static void test_last_partial_window(void **state)
{
	struct vms_thrash *t = series(100);
	struct vms_thrash_sample s = { .start_ns = 300 * MS, .dur_ns = 20 * MS, .len = 20 * MS,
				       .faults = 100, .stall_ns = 20 * MS };
	const struct vms_thrash_window *w;
	struct vms_thrash_verdict v;
	uint32_t nr;

	(void)state;
	add_window(t, 0, true, 100);
	add_window(t, 1, false, 0);
	add_window(t, 2, true, 100);
	for (int k = 0; k < 100; k++)
		vms_thrash_refault(t, 100);
	vms_thrash_close(t, &s, true);
	w = vms_thrash_windows(t, &nr);
	assert_int_equal(nr, 4);
	assert_true(w[3].thrashing);
	assert_int_equal(w[3].refaults, 100);
	vms_thrash_get_verdict(t, &v);
	assert_int_equal(v.all.nr_windows, 3);
	assert_false(v.thrashing);
	vms_thrash_free(t);

	/* The only window, however short: judged. */
	t = series(100);
	for (int k = 0; k < 100; k++)
		vms_thrash_refault(t, 100);
	s.start_ns = 0;
	vms_thrash_close(t, &s, true);
	vms_thrash_get_verdict(t, &v);
	assert_true(v.thrashing);
	assert_int_equal(v.all.nr_windows, 1);
	vms_thrash_free(t);
}

/* A full series merges neighbours: counts add up, the window doubles, the
 * verdict (made at the original length) stays. */
static void test_merge_when_full(void **state)
{
	struct vms_thrash *t = series(4);
	const struct vms_thrash_window *w;
	struct vms_thrash_verdict v;
	uint32_t nr;

	(void)state;
	add_window(t, 0, false, 0);
	add_window(t, 1, true, 200);
	add_window(t, 2, true, 600);
	add_window(t, 3, true, 600);
	assert_int_equal(vms_thrash_window_len(t), 100 * MS);
	add_window(t, 4, false, 0);
	assert_int_equal(vms_thrash_window_len(t), 200 * MS);
	w = vms_thrash_windows(t, &nr);
	assert_int_equal(nr, 3);
	assert_int_equal(w[0].s.start_ns, 0);
	assert_int_equal(w[0].s.dur_ns, 200 * MS);
	assert_int_equal(w[0].s.faults, 1010);
	assert_int_equal(w[0].refaults, 1000);
	assert_int_equal(w[0].s.stall_ns, 61 * MS);
	assert_int_equal(w[0].s.refs, 2000);
	assert_int_equal(w[0].wss_pages, 1200);
	assert_true(w[0].thrashing);   /* 30.5% stall, 99% refaults */
	assert_int_equal(w[1].s.start_ns, 200 * MS);
	assert_int_equal(w[1].wss_pages, 1600);
	assert_int_equal(w[2].s.start_ns, 400 * MS);
	assert_false(w[2].thrashing);
	vms_thrash_get_verdict(t, &v);
	assert_true(v.thrashing);
	assert_int_equal(v.since_ns, 100 * MS);
	assert_int_equal(v.all.nr_windows, 5);
	/* Median over the 3,000 refaults: 600. */
	assert_int_equal(v.thrashed.wss_pages, 1600);
	vms_thrash_free(t);
}

/* Refaults too distant for the shadows: the estimate is the least the
 * working set can be, and says so, once they are the median. */
static void test_unknown_distances(void **state)
{
	struct vms_thrash *t = series(100);
	const struct vms_thrash_window *w;
	struct vms_thrash_verdict v;
	uint32_t nr;

	(void)state;
	add_window(t, 0, true, 300);
	add_window(t, 1, true, VMS_THRASH_DISTANCE_UNKNOWN);
	add_window(t, 2, true, VMS_THRASH_DISTANCE_UNKNOWN);
	w = vms_thrash_windows(t, &nr);
	assert_int_equal(nr, 3);
	assert_false(w[0].wss_beyond);
	assert_int_equal(w[0].wss_pages, 1300);
	assert_true(w[1].wss_beyond);
	assert_int_equal(w[1].wss_pages, 1000 + 4000 + 1);
	assert_int_equal(w[1].refaults, 1000);
	vms_thrash_get_verdict(t, &v);
	assert_true(v.thrashing);
	assert_true(v.thrashed.wss_beyond);
	assert_int_equal(v.thrashed.wss_pages, 5001);
	assert_int_equal(v.thrashed.refaults, 3000);
	vms_thrash_free(t);

	/* A minority of them leaves the median measured. */
	t = series(100);
	add_window(t, 0, true, 300);
	add_window(t, 1, true, 300);
	add_window(t, 2, true, VMS_THRASH_DISTANCE_UNKNOWN);
	vms_thrash_get_verdict(t, &v);
	assert_false(v.thrashed.wss_beyond);
	assert_int_equal(v.thrashed.wss_pages, 1300);
	vms_thrash_free(t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_bad_config),
		cmocka_unit_test(test_window_rule_thresholds),
		cmocka_unit_test(test_sustained_stretch_gives_since),
		cmocka_unit_test(test_short_runs),
		cmocka_unit_test(test_last_partial_window),
		cmocka_unit_test(test_merge_when_full),
		cmocka_unit_test(test_unknown_distances),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
