/* SPDX-License-Identifier: MIT */
/*
 * The radix page table: lookups, sparse growth, walks in order, trimming of
 * empty leaves, and a randomized comparison with a flat reference map.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "vmsandbox/pagetable.h"

static uint64_t rng_state;

static uint64_t rng(void)
{
	uint64_t z = (rng_state += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

static void set_entry(struct vms_pagetable *pt, vms_vpn_t vpn, uint64_t value)
{
	struct vms_pte *e = vms_pt_get(pt, vpn);

	assert_non_null(e);
	if (vms_pte_state(e) == VMS_PTE_NONE)
		vms_pt_note_used(pt, vpn);
	vms_pte_set_state(e, VMS_PTE_SWAPPED);
	e->payload = value;
}

static void clear_entry(struct vms_pagetable *pt, vms_vpn_t vpn)
{
	struct vms_pte *e = vms_pt_lookup(pt, vpn);

	assert_non_null(e);
	assert_int_not_equal(vms_pte_state(e), VMS_PTE_NONE);
	memset(e, 0, sizeof(*e));
	vms_pt_note_unused(pt, vpn);
}

static void test_entry_is_16_bytes(void **state)
{
	(void)state;
	/* The metadata budget (<= 32 bytes per tracked page) rests on this. */
	assert_int_equal(sizeof(struct vms_pte), 16);
}

static void test_lookup_missing_and_extremes(void **state)
{
	struct vms_pagetable pt;

	(void)state;
	assert_int_equal(vms_pt_init(&pt), 0);
	assert_null(vms_pt_lookup(&pt, 0));
	assert_null(vms_pt_lookup(&pt, VMS_VPN_MAX));
	set_entry(&pt, 0, 11);
	set_entry(&pt, VMS_VPN_MAX, 22);
	set_entry(&pt, 511, 33);
	set_entry(&pt, 512, 44);
	assert_int_equal(vms_pt_lookup(&pt, 0)->payload, 11);
	assert_int_equal(vms_pt_lookup(&pt, VMS_VPN_MAX)->payload, 22);
	assert_int_equal(vms_pt_lookup(&pt, 511)->payload, 33);
	assert_int_equal(vms_pt_lookup(&pt, 512)->payload, 44);
	/* Beyond 36 bits there is no entry, and nothing is created. */
	assert_null(vms_pt_get(&pt, VMS_VPN_MAX + 1));
	assert_int_equal(pt.nr_entries, 4);
	/* 0 and 511 share a leaf; 512 and VMS_VPN_MAX have their own. */
	assert_int_equal(pt.nr_leaves, 3);
	vms_pt_fini(&pt);
}

struct collect {
	vms_vpn_t vpns[64];
	size_t n;
	int stop_after;
};

static int collect_visit(void *ctx, vms_vpn_t vpn, struct vms_pte *pte)
{
	struct collect *c = ctx;

	(void)pte;
	c->vpns[c->n++] = vpn;
	return c->stop_after && (int)c->n == c->stop_after ? 42 : 0;
}

static void test_walk_in_order_and_bounds(void **state)
{
	struct vms_pagetable pt;
	const vms_vpn_t vpns[] = { 5, 511, 512, 1ull << 27, (1ull << 27) + 3, VMS_VPN_MAX };
	struct collect c = { .n = 0 };

	(void)state;
	assert_int_equal(vms_pt_init(&pt), 0);
	for (int i = 5; i >= 0; i--)
		set_entry(&pt, vpns[i], (uint64_t)i);
	assert_int_equal(vms_pt_walk(&pt, 0, VMS_VPN_MAX + 1, collect_visit, &c), 0);
	assert_int_equal(c.n, 6);
	for (int i = 0; i < 6; i++)
		assert_int_equal(c.vpns[i], vpns[i]);

	c.n = 0;
	vms_pt_walk(&pt, 6, (1ull << 27) + 3, collect_visit, &c);   /* end exclusive */
	assert_int_equal(c.n, 3);
	assert_int_equal(c.vpns[0], 511);
	assert_int_equal(c.vpns[2], 1ull << 27);

	c.n = 0;
	c.stop_after = 2;
	assert_int_equal(vms_pt_walk(&pt, 0, VMS_VPN_MAX + 1, collect_visit, &c), 42);
	assert_int_equal(c.n, 2);
	vms_pt_fini(&pt);
}

static void test_trim_frees_only_empty_leaves(void **state)
{
	struct vms_pagetable pt;
	uint64_t bytes_one_leaf;

	(void)state;
	assert_int_equal(vms_pt_init(&pt), 0);
	set_entry(&pt, 100, 1);
	bytes_one_leaf = vms_pt_bytes(&pt);
	set_entry(&pt, 1ull << 30, 2);
	set_entry(&pt, (1ull << 30) + 1, 3);
	assert_true(vms_pt_bytes(&pt) > bytes_one_leaf);

	clear_entry(&pt, 1ull << 30);
	vms_pt_trim(&pt, 0, VMS_VPN_MAX + 1);
	/* One entry is left in that leaf: it must survive, with its value. */
	assert_int_equal(vms_pt_lookup(&pt, (1ull << 30) + 1)->payload, 3);

	clear_entry(&pt, (1ull << 30) + 1);
	vms_pt_trim(&pt, 0, VMS_VPN_MAX + 1);
	assert_null(vms_pt_lookup(&pt, (1ull << 30) + 1));
	assert_int_equal(vms_pt_bytes(&pt), bytes_one_leaf);
	assert_int_equal(vms_pt_lookup(&pt, 100)->payload, 1);

	clear_entry(&pt, 100);
	vms_pt_trim(&pt, 0, VMS_VPN_MAX + 1);
	assert_int_equal(pt.nr_leaves, 0);
	assert_int_equal(pt.nr_nodes, 1);   /* the root stays */
	assert_int_equal(pt.nr_entries, 0);
	vms_pt_fini(&pt);
}

/* A flat map over a small window of vpns, scattered over the 36-bit space. */
#define WINDOW 4096

static vms_vpn_t window_vpn(unsigned i)
{
	/* spread: several leaves, several interior nodes, the top of the space */
	static const vms_vpn_t bases[4] = { 0, 1ull << 20, 1ull << 33, VMS_VPN_MAX - 1023 };

	return bases[i / 1024] + (i % 1024);
}

static void test_random_against_flat_model(void **state)
{
	static uint64_t model[WINDOW];
	static bool present[WINDOW];
	struct vms_pagetable pt;

	(void)state;
	rng_state = 7;
	memset(present, 0, sizeof(present));
	assert_int_equal(vms_pt_init(&pt), 0);
	for (int step = 0; step < 200000; step++) {
		unsigned i = (unsigned)(rng() % WINDOW);
		vms_vpn_t vpn = window_vpn(i);

		switch (rng() % 8) {
		case 0: case 1: case 2: case 3:
			model[i] = rng();
			present[i] = true;
			set_entry(&pt, vpn, model[i]);
			break;
		case 4: case 5:
			if (present[i]) {
				clear_entry(&pt, vpn);
				present[i] = false;
			}
			break;
		case 6: {
			struct vms_pte *e = vms_pt_lookup(&pt, vpn);

			if (present[i]) {
				assert_non_null(e);
				assert_int_equal(e->payload, model[i]);
			} else {
				assert_true(e == NULL || vms_pte_state(e) == VMS_PTE_NONE);
			}
			break;
		}
		default: {
			unsigned a = (unsigned)(rng() % WINDOW);

			vms_pt_trim(&pt, window_vpn(a), window_vpn(a) + rng() % 2048);
			break;
		}
		}
	}
	uint64_t n = 0;

	for (unsigned i = 0; i < WINDOW; i++) {
		struct vms_pte *e = vms_pt_lookup(&pt, window_vpn(i));

		n += present[i];
		if (present[i])
			assert_int_equal(e->payload, model[i]);
		else
			assert_true(e == NULL || vms_pte_state(e) == VMS_PTE_NONE);
	}
	assert_int_equal(pt.nr_entries, n);
	vms_pt_fini(&pt);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_entry_is_16_bytes),
		cmocka_unit_test(test_lookup_missing_and_extremes),
		cmocka_unit_test(test_walk_in_order_and_bounds),
		cmocka_unit_test(test_trim_frees_only_empty_leaves),
		cmocka_unit_test(test_random_against_flat_model),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
