/* SPDX-License-Identifier: MIT */
/*
 * Unit tests of the allocation-site tables (src/pager/sitetab.c): string
 * interning, stack deduplication, the symbol cache, and the per-process
 * range map (replacement, splitting, merging, mremap moves).  Each checks
 * ids, counts and exact range lists.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "sitetab.h"

static struct vms_sitetab *new_tab(void)
{
	struct vms_sitetab *t = NULL;

	assert_int_equal(vms_sitetab_new(&t), 0);
	return t;
}

static void test_intern(void **state)
{
	struct vms_sitetab *t = new_tab();
	uint32_t a, b, c, none = 99;
	char name[32];

	assert_int_equal(vms_sitetab_intern(t, "/usr/lib/libc.so.6", &a), 0);
	assert_int_equal(vms_sitetab_intern(t, "leak.c", &b), 0);
	assert_int_equal(vms_sitetab_intern(t, "/usr/lib/libc.so.6", &c), 0);
	assert_int_equal(a, 1);
	assert_int_equal(b, 2);
	assert_int_equal(c, a);
	assert_int_equal(vms_sitetab_intern(t, "", &none), 0);
	assert_int_equal(none, 0);
	assert_int_equal(vms_sitetab_intern(t, NULL, &none), 0);
	assert_int_equal(none, 0);
	assert_string_equal(vms_sitetab_string(t, a), "/usr/lib/libc.so.6");
	assert_string_equal(vms_sitetab_string(t, b), "leak.c");
	assert_null(vms_sitetab_string(t, 0));
	assert_null(vms_sitetab_string(t, 3));
	/* Through several index growths, every string keeps its id. */
	for (int i = 0; i < 5000; i++) {
		snprintf(name, sizeof(name), "f%d", i);
		assert_int_equal(vms_sitetab_intern(t, name, &c), 0);
		assert_int_equal(c, 3 + (uint32_t)i);
	}
	for (int i = 0; i < 5000; i += 7) {
		snprintf(name, sizeof(name), "f%d", i);
		assert_int_equal(vms_sitetab_intern(t, name, &c), 0);
		assert_int_equal(c, 3 + (uint32_t)i);
		assert_string_equal(vms_sitetab_string(t, c), name);
	}
	vms_sitetab_free(t);
}

static void test_stack_dedup(void **state)
{
	struct vms_sitetab *t = new_tab();
	struct vms_site_frame f1[3] = { { .module = 1, .offset = 0x100 },
					{ .module = 2, .offset = 0x2000 },
					{ .module = 2, .offset = 0x2100 } };
	struct vms_site_frame f2[3];
	struct vms_site_pyframe py[2] = { { .file = 5, .function = 6, .line = 12 },
					  { .file = 5, .function = 7, .line = 30 } };
	uint32_t id1, id2, id3, id4, id5;
	bool fresh;

	assert_int_equal(vms_sitetab_add(t, f1, 3, NULL, 0, &id1, &fresh), 0);
	assert_true(fresh);
	assert_int_equal(id1, 1);
	/* Symbols are not part of the identity: the same addresses are the
	 * same site even if a caller symbolized them differently. */
	memcpy(f2, f1, sizeof(f1));
	f2[0].function = 42;
	f2[1].line = 9;
	assert_int_equal(vms_sitetab_add(t, f2, 3, NULL, 0, &id2, &fresh), 0);
	assert_false(fresh);
	assert_int_equal(id2, id1);
	/* A different return address, a shorter stack, Python frames, another
	 * Python line: four new sites. */
	f2[2].offset = 0x2104;
	assert_int_equal(vms_sitetab_add(t, f2, 3, NULL, 0, &id3, &fresh), 0);
	assert_true(fresh);
	assert_int_equal(vms_sitetab_add(t, f1, 2, NULL, 0, &id4, &fresh), 0);
	assert_true(fresh);
	assert_int_equal(vms_sitetab_add(t, f1, 3, py, 2, &id5, &fresh), 0);
	assert_true(fresh);
	assert_int_equal(id3, 2);
	assert_int_equal(id4, 3);
	assert_int_equal(id5, 4);
	py[0].line = 13;
	assert_int_equal(vms_sitetab_add(t, f1, 3, py, 2, &id2, &fresh), 0);
	assert_true(fresh);
	assert_int_equal(id2, 5);
	py[0].line = 12;
	assert_int_equal(vms_sitetab_add(t, f1, 3, py, 2, &id2, &fresh), 0);
	assert_false(fresh);
	assert_int_equal(id2, id5);
	assert_int_equal(vms_sitetab_count(t), 5);

	/* The stored copy: its own frames, Python frames and counters. */
	const struct vms_site *s = vms_sitetab_get_const(t, id5);
	assert_non_null(s);
	assert_int_equal(s->id, id5);
	assert_int_equal(s->nr_frames, 3);
	assert_int_equal(s->nr_pyframes, 2);
	assert_int_equal(s->frames[1].offset, 0x2000);
	assert_int_equal(s->pyframes[1].line, 30);
	assert_int_equal(s->bytes_mapped, 0);
	assert_null(vms_sitetab_get_const(t, 0));
	assert_null(vms_sitetab_get_const(t, 6));

	/* Empty and oversized stacks are refused. */
	assert_int_equal(vms_sitetab_add(t, f1, 0, NULL, 0, &id2, &fresh), -EINVAL);
	assert_int_equal(vms_sitetab_add(t, f1, VMS_SITE_MAX_FRAMES + 1, NULL, 0, &id2, &fresh),
			 -EINVAL);
	vms_sitetab_free(t);
}

/* Thousands of distinct stacks (index growth) keep their ids, and a
 * pointer to a site stays valid while others are added. */
static void test_stack_many(void **state)
{
	struct vms_sitetab *t = new_tab();
	struct vms_site_frame f[2] = { { .module = 1 }, { .module = 3, .offset = 7 } };
	const struct vms_site *first;
	uint32_t id;
	bool fresh;

	for (uint64_t i = 0; i < 3000; i++) {
		f[0].offset = i * 16;
		assert_int_equal(vms_sitetab_add(t, f, 2, NULL, 0, &id, &fresh), 0);
		assert_true(fresh);
		assert_int_equal(id, i + 1);
	}
	first = vms_sitetab_get_const(t, 1);
	for (uint64_t i = 0; i < 3000; i += 11) {
		f[0].offset = i * 16;
		assert_int_equal(vms_sitetab_add(t, f, 2, NULL, 0, &id, &fresh), 0);
		assert_false(fresh);
		assert_int_equal(id, i + 1);
	}
	assert_ptr_equal(first, vms_sitetab_get_const(t, 1));
	assert_int_equal(first->frames[0].offset, 0);
	assert_int_equal(vms_sitetab_count(t), 3000);
	vms_sitetab_free(t);
}

static void test_symbol_cache(void **state)
{
	struct vms_sitetab *t = new_tab();
	struct vms_site_sym s = { .function = 4, .file = 5, .line = 77 }, got;

	assert_false(vms_sitetab_sym_find(t, 1, 0x10, &got));
	assert_int_equal(vms_sitetab_sym_add(t, 1, 0x10, &s), 0);
	assert_true(vms_sitetab_sym_find(t, 1, 0x10, &got));
	assert_int_equal(got.function, 4);
	assert_int_equal(got.line, 77);
	assert_false(vms_sitetab_sym_find(t, 2, 0x10, &got));
	assert_false(vms_sitetab_sym_find(t, 1, 0x11, &got));
	for (uint32_t i = 0; i < 2000; i++) {
		s.line = i;
		assert_int_equal(vms_sitetab_sym_add(t, 2, i, &s), 0);
	}
	for (uint32_t i = 0; i < 2000; i += 13) {
		assert_true(vms_sitetab_sym_find(t, 2, i, &got));
		assert_int_equal(got.line, i);
	}
	assert_true(vms_sitetab_sym_find(t, 1, 0x10, &got));
	assert_int_equal(got.line, 77);
	/* Module 0 (a pc in no module) is never cached. */
	assert_int_equal(vms_sitetab_sym_add(t, 0, 5, &s), -EINVAL);
	vms_sitetab_free(t);
}

/* The ranges as "start-end:site ..." (hex, without 0x), for exact checks. */
static const char *ranges_str(const struct vms_site_ranges *rs)
{
	static char buf[1024];
	size_t n = 0;

	buf[0] = 0;
	for (size_t i = 0; i < rs->nr; i++)
		n += (size_t)snprintf(buf + n, sizeof(buf) - n, "%s%llx-%llx:%u", i ? " " : "",
				      (unsigned long long)rs->r[i].start,
				      (unsigned long long)rs->r[i].end, rs->r[i].site);
	return buf;
}

static void test_ranges_replace(void **state)
{
	struct vms_site_ranges rs = { 0 };

	assert_int_equal(vms_site_ranges_set(&rs, 0x1000, 0x5000, 1), 0);
	assert_int_equal(vms_site_ranges_set(&rs, 0x8000, 0x9000, 2), 0);
	assert_string_equal(ranges_str(&rs), "1000-5000:1 8000-9000:2");
	/* A mapping inside another: the old one is split around it. */
	assert_int_equal(vms_site_ranges_set(&rs, 0x2000, 0x3000, 3), 0);
	assert_string_equal(ranges_str(&rs), "1000-2000:1 2000-3000:3 3000-5000:1 8000-9000:2");
	/* One across two: both trimmed, nothing left overlapping. */
	assert_int_equal(vms_site_ranges_set(&rs, 0x4000, 0x8800, 4), 0);
	assert_string_equal(ranges_str(&rs),
			    "1000-2000:1 2000-3000:3 3000-4000:1 4000-8800:4 8800-9000:2");
	/* One covering several exactly: they are gone. */
	assert_int_equal(vms_site_ranges_set(&rs, 0x2000, 0x8800, 5), 0);
	assert_string_equal(ranges_str(&rs), "1000-2000:1 2000-8800:5 8800-9000:2");
	assert_int_equal(vms_site_ranges_lookup(&rs, 0x1fff), 1);
	assert_int_equal(vms_site_ranges_lookup(&rs, 0x2000), 5);
	assert_int_equal(vms_site_ranges_lookup(&rs, 0x8800), 2);
	assert_int_equal(vms_site_ranges_lookup(&rs, 0x9000), 0);
	assert_int_equal(vms_site_ranges_lookup(&rs, 0xfff), 0);
	/* Site 0 forgets (munmap): a hole. */
	assert_int_equal(vms_site_ranges_set(&rs, 0x1800, 0x3000, 0), 0);
	assert_string_equal(ranges_str(&rs), "1000-1800:1 3000-8800:5 8800-9000:2");
	assert_int_equal(vms_site_ranges_lookup(&rs, 0x2000), 0);
	assert_int_equal(vms_site_ranges_set(&rs, 0x0, 0x10000, 0), 0);
	assert_int_equal(rs.nr, 0);
	assert_int_equal(vms_site_ranges_set(&rs, 0x3000, 0x3000, 1), -EINVAL);
	vms_site_ranges_fini(&rs);
}

static void test_ranges_merge(void **state)
{
	struct vms_site_ranges rs = { 0 };

	/* brk growth sampled in steps, all by one site: one range. */
	assert_int_equal(vms_site_ranges_set(&rs, 0x100000, 0x200000, 7), 0);
	assert_int_equal(vms_site_ranges_set(&rs, 0x200000, 0x300000, 7), 0);
	assert_int_equal(vms_site_ranges_set(&rs, 0x0f0000, 0x100000, 7), 0);
	assert_string_equal(ranges_str(&rs), "f0000-300000:7");
	/* A neighbour of another site stays apart; filling the gap between two
	 * pieces of the same site joins all three. */
	assert_int_equal(vms_site_ranges_set(&rs, 0x300000, 0x310000, 8), 0);
	assert_int_equal(vms_site_ranges_set(&rs, 0x320000, 0x330000, 8), 0);
	assert_int_equal(vms_site_ranges_set(&rs, 0x310000, 0x320000, 8), 0);
	assert_string_equal(ranges_str(&rs), "f0000-300000:7 300000-330000:8");
	/* Re-setting part of a range to its own site changes nothing. */
	assert_int_equal(vms_site_ranges_set(&rs, 0x150000, 0x160000, 7), 0);
	assert_string_equal(ranges_str(&rs), "f0000-300000:7 300000-330000:8");
	vms_site_ranges_fini(&rs);
}

static void test_ranges_move(void **state)
{
	struct vms_site_ranges rs = { 0 };

	assert_int_equal(vms_site_ranges_set(&rs, 0x10000, 0x20000, 1), 0);
	assert_int_equal(vms_site_ranges_set(&rs, 0x20000, 0x24000, 2), 0);
	assert_int_equal(vms_site_ranges_set(&rs, 0x90000, 0x98000, 3), 0);
	/* mremap of [0x18000, 0x22000) to 0x94000: the moved part keeps its
	 * sites, the destination's old site is replaced there. */
	assert_int_equal(vms_site_ranges_move(&rs, 0x18000, 0x94000, 0xa000), 0);
	assert_string_equal(ranges_str(&rs), "10000-18000:1 22000-24000:2 90000-94000:3 "
					     "94000-9c000:1 9c000-9e000:2");
	/* Moving a hole moves nothing but clears the destination. */
	assert_int_equal(vms_site_ranges_move(&rs, 0x50000, 0x90000, 0x2000), 0);
	assert_string_equal(ranges_str(&rs), "10000-18000:1 22000-24000:2 92000-94000:3 "
					     "94000-9c000:1 9c000-9e000:2");
	vms_site_ranges_fini(&rs);
}

/* Many disjoint ranges, then one over all of them: the array shrinks to one. */
static void test_ranges_many(void **state)
{
	struct vms_site_ranges rs = { 0 };

	for (uint64_t i = 0; i < 4096; i++)
		assert_int_equal(vms_site_ranges_set(&rs, i * 0x40000, i * 0x40000 + 0x20000,
						     (uint32_t)(i % 5) + 1), 0);
	assert_int_equal(rs.nr, 4096);
	for (uint64_t i = 0; i < 4096; i += 97) {
		assert_int_equal(vms_site_ranges_lookup(&rs, i * 0x40000 + 0x1fff), i % 5 + 1);
		assert_int_equal(vms_site_ranges_lookup(&rs, i * 0x40000 + 0x20000), 0);
	}
	assert_int_equal(vms_site_ranges_set(&rs, 0x1000, 4096 * 0x40000, 9), 0);
	assert_string_equal(ranges_str(&rs), "0-1000:1 1000-40000000:9");
	vms_site_ranges_fini(&rs);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_intern),
		cmocka_unit_test(test_stack_dedup),
		cmocka_unit_test(test_stack_many),
		cmocka_unit_test(test_symbol_cache),
		cmocka_unit_test(test_ranges_replace),
		cmocka_unit_test(test_ranges_merge),
		cmocka_unit_test(test_ranges_move),
		cmocka_unit_test(test_ranges_many),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
