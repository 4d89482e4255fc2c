/* SPDX-License-Identifier: MIT */
/*
 * Unit tests of the profile's attribution helpers (src/pager/attribtab.c):
 * the pair map (values kept through growth, absent keys), the parser of
 * /proc/TID/syscall (a page fault, a syscall, a running thread, garbage),
 * the classification of .bss continuations and thread stacks, and the
 * merge of regions into report rows (sums, extents, order, empty rows
 * dropped).
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "attribtab.h"

static void test_pairmap(void **state)
{
	struct vms_pairmap m = { 0 };
	uint32_t v = 0;
	bool fresh = false;

	assert_false(vms_pairmap_find(&m, 1, 2, &v));
	assert_int_equal(vms_pairmap_get_or_add(&m, 1, 2, 7, &v, &fresh), 0);
	assert_true(fresh);
	assert_int_equal(v, 7);
	assert_int_equal(vms_pairmap_get_or_add(&m, 1, 2, 9, &v, &fresh), 0);
	assert_false(fresh);
	assert_int_equal(v, 7);
	/* (a, b) and (b, a) are different keys. */
	assert_int_equal(vms_pairmap_get_or_add(&m, 2, 1, 8, &v, &fresh), 0);
	assert_true(fresh);
	assert_int_equal(v, 8);
	/* Through several growths every value stays. */
	for (uint64_t i = 0; i < 20000; i++) {
		assert_int_equal(vms_pairmap_get_or_add(&m, i >> 3, i * 4096, (uint32_t)i + 100, &v,
							&fresh), 0);
		assert_true(fresh);
	}
	assert_int_equal(m.nr, 20002);
	assert_true(m.cap >= 2 * m.nr);
	for (uint64_t i = 0; i < 20000; i += 3) {
		assert_true(vms_pairmap_find(&m, i >> 3, i * 4096, &v));
		assert_int_equal(v, (uint32_t)i + 100);
	}
	assert_true(vms_pairmap_find(&m, 1, 2, &v));
	assert_int_equal(v, 7);
	assert_false(vms_pairmap_find(&m, 20000, 0, &v));
	vms_pairmap_fini(&m);
	assert_int_equal(m.nr, 0);
	assert_false(vms_pairmap_find(&m, 1, 2, &v));
}

static void test_thread_regs(void **state)
{
	struct vms_thread_regs r;

	/* A thread blocked in a page fault (the kernel's format). */
	assert_int_equal(vms_thread_regs_parse("-1 0x7ffc1a2b3c40 0x55d4c0de1234\n", &r), 0);
	assert_int_equal(r.nr, -1);
	assert_int_equal(r.sp, 0x7ffc1a2b3c40ull);
	assert_int_equal(r.pc, 0x55d4c0de1234ull);
	/* In read(2): nr, six arguments, sp, pc. */
	assert_int_equal(vms_thread_regs_parse("0 0x3 0x7f0000001000 0x10000 0x0 0x0 0x0 "
					       "0x7ffc00000010 0x7f1234567890\n", &r), 0);
	assert_int_equal(r.nr, 0);
	assert_int_equal(r.sp, 0x7ffc00000010ull);
	assert_int_equal(r.pc, 0x7f1234567890ull);
	assert_int_equal(vms_thread_regs_parse("running\n", &r), -EAGAIN);
	assert_int_equal(vms_thread_regs_parse("", &r), -EINVAL);
	assert_int_equal(vms_thread_regs_parse("-1 0x1\n", &r), -EINVAL);
	assert_int_equal(vms_thread_regs_parse("0 0x1 0x2\n", &r), -EINVAL);
}

static void test_classify(void **state)
{
	const char *glibc[] = { "__mmap", NULL, "pthread_create", "main" };
	const char *plain[] = { "__mmap", "sysmalloc", "malloc", "main" };
	const char *none[] = { NULL, NULL };

	assert_true(vms_region_is_data(0x5000, 0x5000, 1234, "rw-p"));
	assert_false(vms_region_is_data(0x5000, 0x4000, 1234, "rw-p"));   /* a gap */
	assert_false(vms_region_is_data(0x5000, 0x5000, 0, "rw-p"));      /* anonymous */
	assert_false(vms_region_is_data(0x5000, 0x5000, 1234, "r--p"));   /* read-only */
	assert_false(vms_region_is_data(0x5000, 0x5000, 1234, NULL));
	assert_true(vms_region_is_thread_stack(glibc, 4));
	assert_false(vms_region_is_thread_stack(plain, 4));
	assert_false(vms_region_is_thread_stack(none, 2));
	assert_false(vms_region_is_thread_stack(NULL, 0));
	assert_string_equal(vms_region_kind_name(VMS_REGION_THREAD_STACK), "thread_stack");
	assert_string_equal(vms_region_kind_name(VMS_REGION_NR_KINDS), "other");
}

static struct vms_region_row row(uint32_t as_id, uint32_t kind, uint32_t site, uint32_t ident,
				 uint64_t start, uint64_t end, uint64_t faults, uint32_t first)
{
	struct vms_region_row r = {
		.key = { .as_id = as_id, .kind = kind, .site = site, .ident = ident },
		.start = start, .end = end, .bytes = end - start, .mappings = 1, .open = 1,
		.first = first,
	};

	r.c.faults = faults;
	r.c.zero_fills = faults;
	r.c.pages_touched = faults;
	return r;
}

static void test_rows_merge(void **state)
{
	struct vms_region_row rows[7];
	size_t n;

	rows[0] = row(1, VMS_REGION_MMAP, 5, 0, 0x10000, 0x20000, 10, 0);
	rows[1] = row(1, VMS_REGION_HEAP, 0, 0, 0x1000, 0x9000, 30, 1);
	rows[2] = row(1, VMS_REGION_MMAP, 5, 0, 0x40000, 0x48000, 25, 2);
	rows[3] = row(2, VMS_REGION_MMAP, 5, 0, 0x10000, 0x20000, 3, 3);    /* another process */
	rows[4] = row(1, VMS_REGION_THREAD_STACK, 9, 2, 0x80000, 0x90000, 1, 4);
	rows[5] = row(1, VMS_REGION_THREAD_STACK, 9, 3, 0xa0000, 0xb0000, 1, 5);   /* thread 3 */
	rows[6] = row(1, VMS_REGION_MMAP, 6, 0, 0xc0000, 0xd0000, 0, 6);   /* never touched */
	rows[6].open = 0;
	n = vms_region_rows_merge(rows, 7);
	assert_int_equal(n, 5);
	/* Most faults first: the two mmaps of site 5 in process 1 (35). */
	assert_int_equal(rows[0].key.site, 5);
	assert_int_equal(rows[0].key.as_id, 1);
	assert_int_equal(rows[0].c.faults, 35);
	assert_int_equal(rows[0].mappings, 2);
	assert_int_equal(rows[0].open, 2);
	assert_int_equal(rows[0].start, 0x10000);
	assert_int_equal(rows[0].end, 0x48000);
	assert_int_equal(rows[0].bytes, 0x10000 + 0x8000);
	assert_int_equal(rows[0].first, 0);
	assert_int_equal(rows[1].key.kind, VMS_REGION_HEAP);
	assert_int_equal(rows[2].key.as_id, 2);
	/* Two threads' stacks stay two rows (ties: in order of creation). */
	assert_int_equal(rows[3].key.ident, 2);
	assert_int_equal(rows[4].key.ident, 3);
	assert_int_equal(vms_region_rows_merge(rows, 0), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_pairmap),
		cmocka_unit_test(test_thread_regs),
		cmocka_unit_test(test_classify),
		cmocka_unit_test(test_rows_merge),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
