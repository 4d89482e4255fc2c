/* SPDX-License-Identifier: MIT */
/*
 * Unit tests of the TLB model: the geometry parser and formatter, hand-
 * computed hit/miss sequences, the set-index hash, shootdowns and flushes,
 * and a randomized cross-check against a reference model written here with
 * a different representation (per set: keys with last-use stamps, victim =
 * smallest stamp) that shares only vms_tlb_set_of() with the code under test.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "vmsandbox/tlb.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

static struct vms_tlb *tlb_from(const char *spec)
{
	struct vms_tlb_geom g;
	struct vms_tlb *tlb = NULL;
	char err[256] = "";

	if (vms_tlb_parse(spec, &g, err, sizeof(err)) != 0)
		fail_msg("parse '%s': %s", spec, err);
	assert_int_equal(vms_tlb_new(&g, &tlb), 0);
	assert_non_null(tlb);
	return tlb;
}

/* ---------------------------------------------------------------------- */
/* Parser and formatter                                                    */

static void test_parse_good(void **state)
{
	static const struct {
		const char *spec;
		unsigned nr_levels;
		uint32_t e0, w0, e1, w1;
		const char *formatted;
	} cases[] = {
		{ "64x4", 1, 64, 4, 0, 0, "64x4" },
		{ "64x4,1536x12", 2, 64, 4, 1536, 12, "64x4,1536x12" },
		{ "48x4", 1, 48, 4, 0, 0, "48x4" },
		{ "64", 1, 64, 64, 0, 0, "64x64" },
		{ "1", 1, 1, 1, 0, 0, "1x1" },
		{ "1x1", 1, 1, 1, 0, 0, "1x1" },
		{ "8,64x8", 2, 8, 8, 64, 8, "8x8,64x8" },
		{ "4096", 1, 4096, 4096, 0, 0, "4096x4096" },
		{ "1048576x4096,1048576x1", 2, 1048576, 4096, 1048576, 1, "1048576x4096,1048576x1" },
		{ "0064x04", 1, 64, 4, 0, 0, "64x4" },
	};

	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		struct vms_tlb_geom g, g2;
		char err[256] = "", buf[64];

		memset(&g, 0xa5, sizeof(g));
		if (vms_tlb_parse(cases[i].spec, &g, err, sizeof(err)) != 0)
			fail_msg("'%s' rejected: %s", cases[i].spec, err);
		assert_int_equal(g.nr_levels, cases[i].nr_levels);
		assert_int_equal(g.level[0].entries, cases[i].e0);
		assert_int_equal(g.level[0].ways, cases[i].w0);
		if (g.nr_levels > 1) {
			assert_int_equal(g.level[1].entries, cases[i].e1);
			assert_int_equal(g.level[1].ways, cases[i].w1);
		}
		assert_int_equal(vms_tlb_format(&g, buf, sizeof(buf)), 0);
		assert_string_equal(buf, cases[i].formatted);
		/* the formatted text parses back to the same geometry */
		assert_int_equal(vms_tlb_parse(buf, &g2, NULL, 0), 0);
		assert_int_equal(g2.nr_levels, g.nr_levels);
		for (unsigned l = 0; l < g.nr_levels; l++) {
			assert_int_equal(g2.level[l].entries, g.level[l].entries);
			assert_int_equal(g2.level[l].ways, g.level[l].ways);
		}
	}
}

static void test_parse_bad(void **state)
{
	static const struct {
		const char *spec;
		const char *says;   /* a word the message must contain */
	} cases[] = {
		{ "", "empty" },
		{ "x4", "expected" },
		{ "0x4", "0 entries" },
		{ "0", "0 entries" },
		{ "64x0", "0 ways" },
		{ "64x3", "not a multiple" },
		{ "4x8", "not a multiple" },
		{ "64x4,", "trailing" },
		{ ",64x4", "expected" },
		{ "64x4,,8x1", "expected" },
		{ "64x4,1536x12,8x1", "more than 2 levels" },
		{ "64y4", "expected ENTRIESxWAYS[,ENTRIESxWAYS], e.g. 64x4,1536x12" },
		{ "64x", "expected" },
		{ "64x4x2", "unexpected 'x'" },
		{ "-64x4", "expected" },
		{ "+64x4", "expected" },
		{ " 64x4", "expected" },
		{ "64 x4", "unexpected ' '" },
		{ "64x 4", "expected" },
		{ "64x4 ", "unexpected ' '" },
		{ "64X4", "unexpected 'X'" },
		{ "0x10x4", "0 entries" },
		{ "2097152x4", "more than 1048576 entries" },
		{ "1048577", "more than 1048576 entries" },
		{ "99999999999999999999x4", "more than 1048576 entries" },
		{ "18446744073709551616x1", "more than 1048576 entries" },
		{ "4294967297x1", "more than 1048576 entries" },
		{ "64x4294967300", "more than 4096 ways" },
		{ "8192x8192", "more than 4096 ways" },
		{ "8192", "fully associative" },
		{ "64x4,1536x12junk", "unexpected 'j'" },
	};

	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		struct vms_tlb_geom g, untouched;
		char err[256];

		memset(&g, 0xa5, sizeof(g));
		untouched = g;
		memset(err, 0, sizeof(err));
		if (vms_tlb_parse(cases[i].spec, &g, err, sizeof(err)) != -EINVAL)
			fail_msg("'%s' accepted", cases[i].spec);
		assert_memory_equal(&g, &untouched, sizeof(g));
		assert_true(strlen(err) > 0);
		if (!strstr(err, cases[i].says))
			fail_msg("'%s': message '%s' does not say '%s'", cases[i].spec, err,
				 cases[i].says);
		/* the message quotes the spec so the user sees what was wrong */
		if (cases[i].spec[0] && !strstr(err, cases[i].spec))
			fail_msg("'%s': message '%s' does not quote the spec", cases[i].spec, err);
	}
}

static void test_parse_err_buffer(void **state)
{
	struct vms_tlb_geom g;
	char small[8];

	/* NULL spec, NULL or empty err buffer: still -EINVAL, nothing written */
	assert_int_equal(vms_tlb_parse(NULL, &g, NULL, 0), -EINVAL);
	assert_int_equal(vms_tlb_parse("64y4", &g, NULL, 100), -EINVAL);
	small[0] = 'Z';
	assert_int_equal(vms_tlb_parse("64y4", &g, small, 0), -EINVAL);
	assert_int_equal(small[0], 'Z');
	/* truncated, but terminated */
	memset(small, 'Z', sizeof(small));
	assert_int_equal(vms_tlb_parse("64y4", &g, small, sizeof(small)), -EINVAL);
	assert_int_equal(strlen(small), sizeof(small) - 1);
}

static void test_format_errors(void **state)
{
	struct vms_tlb_geom g = { .nr_levels = 2, .level = { { 64, 4 }, { 1536, 12 } } };
	char buf[12];

	/* "64x4,1536x12" needs 13 bytes: buf untouched on -ENOSPC */
	memset(buf, 'Z', sizeof(buf));
	assert_int_equal(vms_tlb_format(&g, buf, sizeof(buf)), -ENOSPC);
	for (size_t i = 0; i < sizeof(buf); i++)
		assert_int_equal(buf[i], 'Z');

	g.level[1].ways = 7;
	assert_int_equal(vms_tlb_format(&g, buf, sizeof(buf)), -EINVAL);
	g.level[1].ways = 12;
	g.nr_levels = 0;
	assert_int_equal(vms_tlb_format(&g, buf, sizeof(buf)), -EINVAL);
	g.nr_levels = VMS_TLB_MAX_LEVELS + 1;
	assert_int_equal(vms_tlb_format(&g, buf, sizeof(buf)), -EINVAL);
}

static void test_new_rejects_bad_geometry(void **state)
{
	static const struct vms_tlb_geom bad[] = {
		{ .nr_levels = 0 },
		{ .nr_levels = VMS_TLB_MAX_LEVELS + 1, .level = { { 4, 4 }, { 4, 4 } } },
		{ .nr_levels = 1, .level = { { 0, 1 } } },
		{ .nr_levels = 1, .level = { { 4, 0 } } },
		{ .nr_levels = 1, .level = { { 12, 5 } } },
		{ .nr_levels = 1, .level = { { VMS_TLB_MAX_ENTRIES * 2, 4 } } },
		{ .nr_levels = 1, .level = { { 8192, 8192 } } },
		{ .nr_levels = 2, .level = { { 4, 4 }, { 0, 0 } } },
	};
	struct vms_tlb *sentinel = (struct vms_tlb *)&sentinel;

	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		struct vms_tlb *tlb = sentinel;

		assert_int_equal(vms_tlb_new(&bad[i], &tlb), -EINVAL);
		assert_ptr_equal(tlb, sentinel);
	}
	assert_int_equal(vms_tlb_new(NULL, &sentinel), -EINVAL);
	vms_tlb_free(NULL);
}

/* ---------------------------------------------------------------------- */
/* Hand-computed sequences                                                 */

/* Tiny LRU over n frames: stack[0] is the most recent.  Returns hit. */
static bool tiny_lru(uint64_t *stack, unsigned *len, unsigned n, uint64_t key)
{
	unsigned i;
	bool hit = false;

	for (i = 0; i < *len; i++)
		if (stack[i] == key)
			break;
	if (i < *len) {
		hit = true;
	} else if (*len < n) {
		i = (*len)++;
	} else {
		i = n - 1;
	}
	memmove(stack + 1, stack, i * sizeof(*stack));
	stack[0] = key;
	return hit;
}

/* The reference string of the OS textbooks (Silberschatz, ch. 9): LRU with
 * 3 frames faults 12 times, with 4 frames 8 times. */
static void test_textbook_fully_associative(void **state)
{
	static const unsigned refs[] = { 7, 0, 1, 2, 0, 3, 0, 4, 2, 3, 0, 3, 2, 1, 2, 0, 1, 7, 0, 1 };
	static const struct {
		const char *spec;
		unsigned frames;
		uint64_t walks;
	} cases[] = { { "3", 3, 12 }, { "4", 4, 8 }, { "4x4", 4, 8 } };

	for (size_t c = 0; c < ARRAY_SIZE(cases); c++) {
		struct vms_tlb *tlb = tlb_from(cases[c].spec);
		uint64_t stack[8] = { 0 };
		unsigned len = 0;
		struct vms_tlb_stats st;

		for (size_t i = 0; i < ARRAY_SIZE(refs); i++) {
			vms_key_t key = vms_key(3, refs[i]);
			bool hit = tiny_lru(stack, &len, cases[c].frames, key);
			int r = vms_tlb_access(tlb, key);

			assert_int_equal(r, hit ? 0 : VMS_TLB_WALK);
		}
		vms_tlb_get_stats(tlb, &st);
		assert_int_equal(st.nr_levels, 1);
		assert_int_equal(st.accesses, ARRAY_SIZE(refs));
		assert_int_equal(st.walks, cases[c].walks);
		assert_int_equal(st.level[0].misses, cases[c].walks);
		assert_int_equal(st.level[0].hits, ARRAY_SIZE(refs) - cases[c].walks);
		/* every walk beyond the first `frames` evicted one entry */
		assert_int_equal(st.level[0].evictions, cases[c].walks - cases[c].frames);
		/* the final contents are LRU's last `frames` distinct pages: 1 0 7 (2) */
		for (unsigned i = 0; i < len; i++)
			assert_true(vms_tlb_contains(tlb, stack[i], 0));
		assert_false(vms_tlb_contains(tlb, vms_key(3, 3), 0));
		vms_tlb_free(tlb);
	}
}

/* The live TLB model keeps exactly the first level's pages mapped, so it
 * must learn which page each fill pushed out of the first level. */
static void test_displaced_is_first_level_lru(void **state)
{
	struct vms_tlb *tlb = tlb_from("2x2,8x2");
	vms_key_t k;

	(void)state;
	assert_int_equal(vms_tlb_access(tlb, vms_key(1, 10)), VMS_TLB_WALK);
	assert_false(vms_tlb_displaced(tlb, &k));
	assert_int_equal(vms_tlb_access(tlb, vms_key(1, 11)), VMS_TLB_WALK);
	assert_false(vms_tlb_displaced(tlb, &k));
	assert_int_equal(vms_tlb_access(tlb, vms_key(1, 10)), 0);   /* 11 is LRU now */
	assert_false(vms_tlb_displaced(tlb, &k));
	assert_int_equal(vms_tlb_access(tlb, vms_key(1, 12)), VMS_TLB_WALK);
	assert_true(vms_tlb_displaced(tlb, &k));
	assert_true(k == vms_key(1, 11));
	/* 11 is still in the second level: an L2 hit, which refills the first
	 * level and pushes out its LRU, 10. */
	assert_int_equal(vms_tlb_access(tlb, vms_key(1, 11)), 1);
	assert_true(vms_tlb_displaced(tlb, &k));
	assert_true(k == vms_key(1, 10));
	/* A shootdown leaves a free way: the next fill displaces nothing. */
	vms_tlb_shootdown(tlb, vms_key(1, 12));
	assert_int_equal(vms_tlb_access(tlb, vms_key(1, 13)), VMS_TLB_WALK);
	assert_false(vms_tlb_displaced(tlb, &k));
	vms_tlb_free(tlb);
}

static void test_direct_mapped_conflict(void **state)
{
	struct vms_tlb *tlb = tlb_from("8x1");
	struct vms_tlb_stats st;

	/* ASID 0, vpn < 2^32: set = vpn % 8, so 0 and 8 fight over set 0 */
	assert_int_equal(vms_tlb_set_of(tlb, vms_key(0, 8), 0), 0);
	for (int i = 0; i < 10; i++) {
		assert_int_equal(vms_tlb_access(tlb, vms_key(0, 0)), VMS_TLB_WALK);
		assert_int_equal(vms_tlb_access(tlb, vms_key(0, 8)), VMS_TLB_WALK);
	}
	vms_tlb_get_stats(tlb, &st);
	assert_int_equal(st.walks, 20);
	assert_int_equal(st.level[0].hits, 0);
	assert_int_equal(st.level[0].evictions, 19);

	/* 0 and 1 do not conflict: two walks, then hits */
	vms_tlb_flush_all(tlb);
	assert_int_equal(vms_tlb_access(tlb, vms_key(0, 0)), VMS_TLB_WALK);
	assert_int_equal(vms_tlb_access(tlb, vms_key(0, 1)), VMS_TLB_WALK);
	for (int i = 0; i < 9; i++) {
		assert_int_equal(vms_tlb_access(tlb, vms_key(0, 0)), 0);
		assert_int_equal(vms_tlb_access(tlb, vms_key(0, 1)), 0);
	}
	vms_tlb_get_stats(tlb, &st);
	assert_int_equal(st.walks, 22);
	assert_int_equal(st.level[0].hits, 18);
	assert_int_equal(st.level[0].evictions, 19);
	assert_int_equal(st.flushes, 1);
	vms_tlb_free(tlb);
}

/* 48x4 has 12 sets (not a power of two): vpns 0, 12, 24, 36, 48 share set
 * 0, so cycling over five of them thrashes a 4-way LRU set; four fit. */
static void test_non_power_of_two_sets(void **state)
{
	struct vms_tlb *tlb = tlb_from("48x4");
	struct vms_tlb_stats st;

	for (vms_vpn_t v = 0; v < 1000; v++)
		assert_int_equal(vms_tlb_set_of(tlb, vms_key(0, v), 0), v % 12);
	for (int round = 0; round < 4; round++)
		for (vms_vpn_t v = 0; v <= 48; v += 12)
			assert_int_equal(vms_tlb_access(tlb, vms_key(0, v)), VMS_TLB_WALK);
	vms_tlb_flush_all(tlb);
	for (int round = 0; round < 4; round++)
		for (vms_vpn_t v = 0; v < 48; v += 12)
			assert_int_equal(vms_tlb_access(tlb, vms_key(0, v)), round ? 0 : VMS_TLB_WALK);
	vms_tlb_get_stats(tlb, &st);
	assert_int_equal(st.walks, 20 + 4);
	assert_int_equal(st.level[0].hits, 12);
	vms_tlb_free(tlb);
}

static void test_two_level_fill(void **state)
{
	/* L1: 2 entries fully associative; L2: 8 fully associative */
	struct vms_tlb *tlb = tlb_from("2,8");
	vms_key_t a = vms_key(1, 10), b = vms_key(1, 11), c = vms_key(1, 12);
	struct vms_tlb_stats st;

	assert_int_equal(vms_tlb_nr_levels(tlb), 2);
	assert_int_equal(vms_tlb_access(tlb, a), VMS_TLB_WALK);
	assert_int_equal(vms_tlb_access(tlb, b), VMS_TLB_WALK);
	assert_int_equal(vms_tlb_access(tlb, c), VMS_TLB_WALK);
	/* a walk fills both levels; L1 (2 entries) has lost a */
	assert_false(vms_tlb_contains(tlb, a, 0));
	assert_true(vms_tlb_contains(tlb, b, 0));
	assert_true(vms_tlb_contains(tlb, c, 0));
	for (vms_key_t k = a; k <= c; k++)
		assert_true(vms_tlb_contains(tlb, k, 1));

	/* an L2 hit refills L1, evicting L1's LRU (b) */
	assert_int_equal(vms_tlb_access(tlb, a), 1);
	assert_true(vms_tlb_contains(tlb, a, 0));
	assert_false(vms_tlb_contains(tlb, b, 0));
	assert_true(vms_tlb_contains(tlb, b, 1));
	assert_int_equal(vms_tlb_access(tlb, a), 0);
	assert_int_equal(vms_tlb_access(tlb, b), 1);

	vms_tlb_get_stats(tlb, &st);
	assert_int_equal(st.nr_levels, 2);
	assert_int_equal(st.accesses, 6);
	assert_int_equal(st.level[0].hits, 1);
	assert_int_equal(st.level[0].misses, 5);
	assert_int_equal(st.level[1].hits, 2);
	assert_int_equal(st.level[1].misses, 3);
	assert_int_equal(st.walks, 3);
	assert_int_equal(st.level[0].evictions, 3);   /* a by c, b by a, c by b */
	assert_int_equal(st.level[1].evictions, 0);

	/* L2 is plain LRU over what walks and L2 hits brought in: after a,
	 * seven other walks fill it, and an eighth drops a from both levels. */
	vms_tlb_flush_all(tlb);
	assert_int_equal(vms_tlb_access(tlb, a), VMS_TLB_WALK);
	for (vms_vpn_t v = 100; v < 107; v++)
		vms_tlb_access(tlb, vms_key(1, v));
	assert_true(vms_tlb_contains(tlb, a, 1));
	vms_tlb_access(tlb, vms_key(1, 107));
	assert_false(vms_tlb_contains(tlb, a, 1));
	assert_false(vms_tlb_contains(tlb, a, 0));
	vms_tlb_free(tlb);
}

/* An L1 hit does not refresh the key's recency in L2 (L2 did not see the
 * access), and L2 evictions do not remove the key from L1 (non-inclusive):
 * a key hot in L1 ages out of L2 and is still an L1 hit. */
static void test_l1_hit_does_not_touch_l2(void **state)
{
	struct vms_tlb *tlb = tlb_from("2,2");
	vms_key_t a = vms_key(0, 1), b = vms_key(0, 2), c = vms_key(0, 3);
	struct vms_tlb_stats st;

	assert_int_equal(vms_tlb_access(tlb, a), VMS_TLB_WALK); /* L1 a,   L2 a */
	assert_int_equal(vms_tlb_access(tlb, b), VMS_TLB_WALK); /* L1 b a, L2 b a */
	assert_int_equal(vms_tlb_access(tlb, a), 0);            /* L1 a b, L2 b a */
	assert_int_equal(vms_tlb_access(tlb, c), VMS_TLB_WALK); /* L1 c a, L2 c b */
	assert_true(vms_tlb_contains(tlb, a, 0));
	assert_false(vms_tlb_contains(tlb, a, 1));
	assert_true(vms_tlb_contains(tlb, b, 1));
	assert_false(vms_tlb_contains(tlb, b, 0));
	assert_int_equal(vms_tlb_access(tlb, a), 0);
	assert_int_equal(vms_tlb_access(tlb, b), 1);            /* L1 b a, L2 b c */
	vms_tlb_get_stats(tlb, &st);
	assert_int_equal(st.level[0].evictions, 2);             /* b by c, c by b */
	assert_int_equal(st.level[1].evictions, 1);             /* a by c */
	vms_tlb_free(tlb);
}

static void test_contains_and_set_of_bounds(void **state)
{
	struct vms_tlb *tlb = tlb_from("4x2");

	vms_tlb_access(tlb, vms_key(0, 5));
	assert_true(vms_tlb_contains(tlb, vms_key(0, 5), 0));
	assert_false(vms_tlb_contains(tlb, vms_key(0, 5), 1));
	assert_false(vms_tlb_contains(tlb, vms_key(0, 5), 99));
	assert_int_equal(vms_tlb_set_of(tlb, vms_key(0, 5), 1), UINT32_MAX);
	assert_true(vms_tlb_set_of(tlb, vms_key(0, 5), 0) < 2);
	vms_tlb_free(tlb);
}

/* ---------------------------------------------------------------------- */
/* Set index                                                               */

static void test_hash_spreads_pages_and_asids(void **state)
{
	static const char *specs[] = { "64x4", "48x4", "1536x12", "36x3", "1x1" };

	for (size_t i = 0; i < ARRAY_SIZE(specs); i++) {
		struct vms_tlb_geom g;
		struct vms_tlb *tlb = tlb_from(specs[i]);
		uint32_t sets, count[4096];

		assert_int_equal(vms_tlb_parse(specs[i], &g, NULL, 0), 0);
		sets = g.level[0].entries / g.level[0].ways;
		/* `sets` consecutive pages of one ASID take every set once,
		 * from any start, for several ASIDs and high addresses */
		static const uint32_t asids[] = { 0, 1, 2, 77, VMS_ASID_MAX };
		static const vms_vpn_t starts[] = { 0, 1, 0x1000, 0x7ffd12345, 0x55555555 };
		for (size_t a = 0; a < ARRAY_SIZE(asids); a++)
			for (size_t s = 0; s < ARRAY_SIZE(starts); s++) {
				memset(count, 0, sizeof(count));
				for (vms_vpn_t v = starts[s]; v < starts[s] + sets; v++) {
					uint32_t set = vms_tlb_set_of(tlb, vms_key(asids[a], v), 0);

					assert_true(set < sets);
					count[set]++;
				}
				for (uint32_t k = 0; k < sets; k++)
					if (count[k] != 1)
						fail_msg("%s asid %u start %#llx: set %u got %u pages", specs[i],
							 asids[a], (unsigned long long)starts[s], k, count[k]);
			}
		/* with a power-of-two set count S, ASIDs 1..S never put the
		 * same vpn in the same set */
		if ((sets & (sets - 1)) == 0 && sets > 1)
			for (uint32_t a = 1; a <= sets; a++)
				for (uint32_t b = a + 1; b <= sets; b++)
					for (vms_vpn_t v = 0; v < 64; v++)
						assert_int_not_equal(vms_tlb_set_of(tlb, vms_key(a, v), 0),
								     vms_tlb_set_of(tlb, vms_key(b, v), 0));
		vms_tlb_free(tlb);
	}
}

/* ---------------------------------------------------------------------- */
/* Shootdowns and flushes                                                  */

static void test_shootdown_and_flush(void **state)
{
	struct vms_tlb *tlb = tlb_from("64x4,1536x12");
	struct vms_tlb_stats st;

	/* 30 pages of ASIDs 1 and 2: fit in both levels */
	for (uint32_t asid = 1; asid <= 2; asid++)
		for (vms_vpn_t v = 0; v < 30; v++)
			assert_int_equal(vms_tlb_access(tlb, vms_key(asid, v)), VMS_TLB_WALK);

	/* one page, present in both levels: two entries removed */
	vms_tlb_shootdown(tlb, vms_key(1, 7));
	assert_false(vms_tlb_contains(tlb, vms_key(1, 7), 0));
	assert_false(vms_tlb_contains(tlb, vms_key(1, 7), 1));
	assert_true(vms_tlb_contains(tlb, vms_key(2, 7), 0));
	vms_tlb_get_stats(tlb, &st);
	assert_int_equal(st.shootdowns, 2);
	/* absent: nothing removed, nothing counted */
	vms_tlb_shootdown(tlb, vms_key(1, 7));
	vms_tlb_shootdown(tlb, vms_key(9, 7));
	vms_tlb_get_stats(tlb, &st);
	assert_int_equal(st.shootdowns, 2);
	assert_int_equal(vms_tlb_access(tlb, vms_key(1, 7)), VMS_TLB_WALK);
	assert_int_equal(vms_tlb_access(tlb, vms_key(2, 7)), 0);

	/* small range (probed): pages 10..12 of ASID 1, end exclusive */
	vms_tlb_shootdown_range(tlb, 1, 10, 13);
	for (vms_vpn_t v = 0; v < 30; v++) {
		bool gone = v >= 10 && v < 13;

		assert_int_equal(vms_tlb_contains(tlb, vms_key(1, v), 1), !gone);
		assert_true(vms_tlb_contains(tlb, vms_key(2, v), 1));
	}
	vms_tlb_get_stats(tlb, &st);
	assert_int_equal(st.shootdowns, 2 + 6);

	/* large range (scanned): pages 20.. of ASID 1 up to the end of the
	 * address space; start >= end and an empty range do nothing */
	vms_tlb_shootdown_range(tlb, 1, 20, VMS_VPN_MAX + 1);
	vms_tlb_shootdown_range(tlb, 1, 5, 5);
	vms_tlb_shootdown_range(tlb, 1, 6, 2);
	for (vms_vpn_t v = 0; v < 30; v++) {
		bool gone = (v >= 10 && v < 13) || v >= 20;

		assert_int_equal(vms_tlb_contains(tlb, vms_key(1, v), 1), !gone);
		assert_true(vms_tlb_contains(tlb, vms_key(2, v), 1));
	}
	vms_tlb_get_stats(tlb, &st);
	assert_int_equal(st.shootdowns, 2 + 6 + 20);
	assert_int_equal(st.flushes, 0);

	/* flush_asid(1): ASID 2 untouched */
	vms_tlb_flush_asid(tlb, 1);
	for (vms_vpn_t v = 0; v < 30; v++) {
		assert_false(vms_tlb_contains(tlb, vms_key(1, v), 0));
		assert_false(vms_tlb_contains(tlb, vms_key(1, v), 1));
		assert_true(vms_tlb_contains(tlb, vms_key(2, v), 1));
	}
	assert_int_equal(vms_tlb_access(tlb, vms_key(1, 0)), VMS_TLB_WALK);
	assert_int_equal(vms_tlb_access(tlb, vms_key(2, 0)), 0);

	vms_tlb_flush_all(tlb);
	for (vms_vpn_t v = 0; v < 30; v++)
		for (unsigned l = 0; l < 2; l++) {
			assert_false(vms_tlb_contains(tlb, vms_key(1, v), l));
			assert_false(vms_tlb_contains(tlb, vms_key(2, v), l));
		}
	assert_int_equal(vms_tlb_access(tlb, vms_key(2, 0)), VMS_TLB_WALK);
	vms_tlb_get_stats(tlb, &st);
	assert_int_equal(st.flushes, 2);
	assert_int_equal(st.shootdowns, 28);   /* flushes do not count as shootdowns */
	vms_tlb_free(tlb);
}

/* The very last key, UINT64_MAX (last page of the last ASID), is an
 * ordinary key: no sentinel collides with it. */
static void test_extreme_keys(void **state)
{
	struct vms_tlb *tlb = tlb_from("4x2,16x4");
	vms_key_t last = vms_key(VMS_ASID_MAX, VMS_VPN_MAX);

	assert_true(last == UINT64_MAX);
	assert_int_equal(vms_tlb_access(tlb, last), VMS_TLB_WALK);
	assert_int_equal(vms_tlb_access(tlb, 0), VMS_TLB_WALK);
	assert_int_equal(vms_tlb_access(tlb, last), 0);
	vms_tlb_shootdown_range(tlb, VMS_ASID_MAX, 0, VMS_VPN_MAX + 1);  /* scanned */
	assert_false(vms_tlb_contains(tlb, last, 0));
	assert_false(vms_tlb_contains(tlb, last, 1));
	assert_true(vms_tlb_contains(tlb, 0, 1));
	vms_tlb_access(tlb, last);
	vms_tlb_shootdown_range(tlb, VMS_ASID_MAX, VMS_VPN_MAX, VMS_VPN_MAX + 1);  /* probed */
	assert_false(vms_tlb_contains(tlb, last, 1));
	vms_tlb_access(tlb, last);
	vms_tlb_flush_asid(tlb, VMS_ASID_MAX);
	assert_false(vms_tlb_contains(tlb, last, 1));
	assert_true(vms_tlb_contains(tlb, 0, 1));
	vms_tlb_free(tlb);
}

/* ---------------------------------------------------------------------- */
/* Randomized cross-check against a reference model                        */

struct ref_level {
	uint32_t nr_sets, ways;
	uint64_t *key;      /* nr_sets * ways, unordered */
	uint64_t *used;     /* last-use stamp of key[i] */
	unsigned *n;        /* valid entries per set */
	struct vms_tlb_level_stats stats;
};

struct ref {
	unsigned nr_levels;
	struct ref_level level[VMS_TLB_MAX_LEVELS];
	uint64_t clock, accesses, walks, shootdowns, flushes;
	const struct vms_tlb *tlb;   /* only for vms_tlb_set_of() */
};

static void ref_init(struct ref *r, const struct vms_tlb_geom *g, const struct vms_tlb *tlb)
{
	memset(r, 0, sizeof(*r));
	r->nr_levels = g->nr_levels;
	r->tlb = tlb;
	for (unsigned i = 0; i < g->nr_levels; i++) {
		struct ref_level *l = &r->level[i];

		l->ways = g->level[i].ways;
		l->nr_sets = g->level[i].entries / l->ways;
		l->key = calloc(g->level[i].entries, sizeof(uint64_t));
		l->used = calloc(g->level[i].entries, sizeof(uint64_t));
		l->n = calloc(l->nr_sets, sizeof(unsigned));
		assert_non_null(l->key);
		assert_non_null(l->used);
		assert_non_null(l->n);
	}
}

static void ref_fini(struct ref *r)
{
	for (unsigned i = 0; i < r->nr_levels; i++) {
		free(r->level[i].key);
		free(r->level[i].used);
		free(r->level[i].n);
	}
}

/* Index of key in its set of level i, or -1; *base gets the set's first slot. */
static int ref_find(const struct ref *r, unsigned i, uint64_t key, size_t *base)
{
	const struct ref_level *l = &r->level[i];
	uint32_t s = vms_tlb_set_of(r->tlb, key, i);

	assert_true(s < l->nr_sets);
	*base = (size_t)s * l->ways;
	for (unsigned j = 0; j < l->n[s]; j++)
		if (l->key[*base + j] == key)
			return (int)j;
	return -1;
}

static int ref_access(struct ref *r, uint64_t key)
{
	unsigned hit;
	size_t base;

	r->accesses++;
	for (hit = 0; hit < r->nr_levels; hit++) {
		int j = ref_find(r, hit, key, &base);

		if (j >= 0) {
			r->level[hit].stats.hits++;
			r->level[hit].used[base + (size_t)j] = ++r->clock;
			break;
		}
		r->level[hit].stats.misses++;
	}
	if (hit == r->nr_levels)
		r->walks++;
	for (unsigned i = 0; i < hit; i++) {
		struct ref_level *l = &r->level[i];
		unsigned *n;
		size_t victim;

		ref_find(r, i, key, &base);
		n = &l->n[base / l->ways];
		if (*n < l->ways) {
			victim = base + (*n)++;
		} else {
			victim = base;
			for (size_t j = base + 1; j < base + l->ways; j++)
				if (l->used[j] < l->used[victim])
					victim = j;
			l->stats.evictions++;
		}
		l->key[victim] = key;
		l->used[victim] = ++r->clock;
	}
	return hit == r->nr_levels ? VMS_TLB_WALK : (int)hit;
}

/* Remove every entry for which match(key) holds; returns how many. */
static uint64_t ref_remove(struct ref *r, uint32_t asid, vms_vpn_t start, vms_vpn_t end)
{
	uint64_t removed = 0;

	for (unsigned i = 0; i < r->nr_levels; i++) {
		struct ref_level *l = &r->level[i];

		for (uint32_t s = 0; s < l->nr_sets; s++) {
			size_t base = (size_t)s * l->ways;

			for (unsigned j = 0; j < l->n[s];) {
				uint64_t k = l->key[base + j];

				if (vms_key_asid(k) == asid && vms_key_vpn(k) >= start &&
				    vms_key_vpn(k) < end) {
					l->n[s]--;
					l->key[base + j] = l->key[base + l->n[s]];
					l->used[base + j] = l->used[base + l->n[s]];
					removed++;
				} else {
					j++;
				}
			}
		}
	}
	return removed;
}

static bool ref_contains(const struct ref *r, uint64_t key, unsigned i)
{
	size_t base;

	return ref_find(r, i, key, &base) >= 0;
}

static uint64_t rng_next(uint64_t *s)
{
	/* xorshift64* */
	*s ^= *s >> 12;
	*s ^= *s << 25;
	*s ^= *s >> 27;
	return *s * UINT64_C(0x2545f4914f6cdd1d);
}

static const uint32_t special_asid = VMS_ASID_MAX;

static uint64_t pick_key(uint64_t *rng, uint32_t nr_asids, uint32_t vpns)
{
	uint64_t x = rng_next(rng);
	uint32_t asid = (uint32_t)(x % nr_asids);
	vms_vpn_t vpn;

	x >>= 8;
	if (x % 64 == 0)
		/* the top of the key space, ending at UINT64_MAX */
		return vms_key(special_asid, VMS_VPN_MAX - (x >> 8) % 4);
	x >>= 6;
	/* skewed: three quarters of the references go to a quarter of the pages */
	if (x % 4 != 0)
		vpn = (x >> 2) % (vpns / 4 + 1);
	else
		vpn = (x >> 2) % vpns;
	return vms_key(asid, vpn);
}

static void check_same(const struct vms_tlb *tlb, const struct ref *r, const char *spec,
		       uint64_t seed)
{
	struct vms_tlb_stats st;

	vms_tlb_get_stats(tlb, &st);
	if (st.accesses != r->accesses || st.walks != r->walks || st.shootdowns != r->shootdowns ||
	    st.flushes != r->flushes)
		fail_msg("%s seed %llu: totals differ: acc %llu/%llu walks %llu/%llu shoot %llu/%llu",
			 spec, (unsigned long long)seed, (unsigned long long)st.accesses,
			 (unsigned long long)r->accesses, (unsigned long long)st.walks,
			 (unsigned long long)r->walks, (unsigned long long)st.shootdowns,
			 (unsigned long long)r->shootdowns);
	assert_int_equal(st.nr_levels, r->nr_levels);
	for (unsigned i = 0; i < r->nr_levels; i++) {
		assert_int_equal(st.level[i].hits, r->level[i].stats.hits);
		assert_int_equal(st.level[i].misses, r->level[i].stats.misses);
		assert_int_equal(st.level[i].evictions, r->level[i].stats.evictions);
		/* the counters' own invariants */
		if (i + 1 < r->nr_levels)
			assert_int_equal(st.level[i + 1].hits + st.level[i + 1].misses,
					 st.level[i].misses);
	}
	assert_int_equal(st.level[0].hits + st.level[0].misses, st.accesses);
	assert_int_equal(st.level[st.nr_levels - 1].misses, st.walks);
}

static void crosscheck(const char *spec, unsigned nr_streams, unsigned len)
{
	struct vms_tlb_geom g;
	uint32_t total = 0, nr_asids = 3, vpns;

	assert_int_equal(vms_tlb_parse(spec, &g, NULL, 0), 0);
	for (unsigned i = 0; i < g.nr_levels; i++)
		total += g.level[i].entries;
	vpns = total + total / 2 + 4;

	for (unsigned stream = 0; stream < nr_streams; stream++) {
		uint64_t seed = UINT64_C(0x9e3779b97f4a7c15) * (stream + 1) ^ total;
		uint64_t rng = seed;
		struct vms_tlb *tlb = NULL;
		struct ref r;

		assert_int_equal(vms_tlb_new(&g, &tlb), 0);
		ref_init(&r, &g, tlb);
		for (unsigned step = 0; step < len; step++) {
			uint64_t op = rng_next(&rng) % 1000;
			uint64_t key = pick_key(&rng, nr_asids, vpns);
			uint32_t asid = vms_key_asid(key);
			vms_vpn_t start, end;

			if (op < 950) {
				int want = ref_access(&r, key), got = vms_tlb_access(tlb, key);

				if (want != got)
					fail_msg("%s seed %llu step %u key %#llx: level %d, want %d", spec,
						 (unsigned long long)seed, step, (unsigned long long)key,
						 got, want);
			} else if (op < 975) {
				vms_tlb_shootdown(tlb, key);
				r.shootdowns += ref_remove(&r, asid, vms_key_vpn(key), vms_key_vpn(key) + 1);
			} else if (op < 990) {
				/* small (probed) and large (scanned) ranges, some empty */
				start = vms_key_vpn(key);
				end = start + rng_next(&rng) % (op < 985 ? 8 : 4 * (uint64_t)vpns);
				vms_tlb_shootdown_range(tlb, asid, start, end);
				r.shootdowns += ref_remove(&r, asid, start, end);
			} else if (op < 996) {
				vms_tlb_flush_asid(tlb, asid);
				ref_remove(&r, asid, 0, VMS_VPN_MAX + 1);
				r.flushes++;
			} else if (op < 997) {
				vms_tlb_flush_all(tlb);
				for (uint32_t a = 0; a < nr_asids; a++)
					ref_remove(&r, a, 0, VMS_VPN_MAX + 1);
				ref_remove(&r, special_asid, 0, VMS_VPN_MAX + 1);
				r.flushes++;
			} else {
				/* a range of the special ASID up to the very last key */
				start = VMS_VPN_MAX - rng_next(&rng) % 3;
				vms_tlb_shootdown_range(tlb, special_asid, start, VMS_VPN_MAX + 1);
				r.shootdowns += ref_remove(&r, special_asid, start, VMS_VPN_MAX + 1);
			}
		}
		check_same(tlb, &r, spec, seed);
		for (unsigned i = 0; i < g.nr_levels; i++) {
			for (uint32_t a = 0; a < nr_asids; a++)
				for (vms_vpn_t v = 0; v < vpns; v++)
					assert_int_equal(vms_tlb_contains(tlb, vms_key(a, v), i),
							 ref_contains(&r, vms_key(a, v), i));
			for (vms_vpn_t v = VMS_VPN_MAX - 4; v <= VMS_VPN_MAX; v++)
				assert_int_equal(vms_tlb_contains(tlb, vms_key(special_asid, v), i),
						 ref_contains(&r, vms_key(special_asid, v), i));
		}
		ref_fini(&r);
		vms_tlb_free(tlb);
	}
}

static void test_crosscheck_one_level(void **state)
{
	crosscheck("4x4", 300, 2000);     /* fully associative */
	crosscheck("8x1", 300, 2000);     /* direct mapped */
	crosscheck("12x3", 300, 2000);    /* 4 sets */
	crosscheck("48x4", 300, 2000);    /* 12 sets, not a power of two */
	crosscheck("15x5", 300, 2000);    /* 3 sets */
}

static void test_crosscheck_two_levels(void **state)
{
	crosscheck("4x2,16x4", 300, 2000);
	crosscheck("6x2,24x8", 300, 2000);  /* 3 and 3 sets */
	crosscheck("3x1,20x4", 300, 2000);  /* 3 and 5 sets */
	crosscheck("2,36x6", 300, 2000);
	crosscheck("64x4,1536x12", 30, 20000);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_good),
		cmocka_unit_test(test_parse_bad),
		cmocka_unit_test(test_parse_err_buffer),
		cmocka_unit_test(test_format_errors),
		cmocka_unit_test(test_new_rejects_bad_geometry),
		cmocka_unit_test(test_textbook_fully_associative),
		cmocka_unit_test(test_displaced_is_first_level_lru),
		cmocka_unit_test(test_direct_mapped_conflict),
		cmocka_unit_test(test_non_power_of_two_sets),
		cmocka_unit_test(test_two_level_fill),
		cmocka_unit_test(test_l1_hit_does_not_touch_l2),
		cmocka_unit_test(test_contains_and_set_of_bounds),
		cmocka_unit_test(test_hash_spreads_pages_and_asids),
		cmocka_unit_test(test_shootdown_and_flush),
		cmocka_unit_test(test_extreme_keys),
		cmocka_unit_test(test_crosscheck_one_level),
		cmocka_unit_test(test_crosscheck_two_levels),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
