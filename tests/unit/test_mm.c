/* SPDX-License-Identifier: MIT */
/*
 * The engine end to end.  A fake process memory stands in for the kernel:
 * the backend moves real bytes in and out of it exactly as the live pager
 * will, so these tests check the promise that matters most, that a program
 * always reads back what it wrote, whatever was evicted, forked, remapped or
 * refused, under every policy; and that the budget and slot references stay
 * exact (vms_mm_check) after every step.
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

#include "policy_harness.h"
#include "vmsandbox/mm.h"

static uint64_t rng_state;

static uint64_t rng(void)
{
	uint64_t z = (rng_state += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

/* ---- fake process memory: MAX_AS address spaces x NR_PAGES pages ---- */

#define MAX_AS   8
#define NR_PAGES 48
#define POISON   0xa5

struct fake_page {
	bool present;                    /* mapped in the "process" */
	unsigned char bytes[VMS_PAGE_SIZE];
};

struct fake {
	struct fake_page mem[MAX_AS][NR_PAGES];     /* what the process has */
	unsigned char model[MAX_AS][NR_PAGES][VMS_PAGE_SIZE]; /* what it must read */
	bool alive[MAX_AS];
	uint64_t takes, drops, restores, peeks;
	int fail_restore;                /* -errno: make restore_page fail */
	unsigned refuse_pct;             /* take/drop refuse (EAGAIN) this often */
	uint64_t refusals;
};

static struct fake *fk;

static struct fake_page *fake_page(struct vms_as *as, vms_vpn_t vpn)
{
	assert_true(as->id < MAX_AS && vpn < NR_PAGES);
	return &fk->mem[as->id][vpn];
}

/* The live backend refuses transiently (EAGAIN: the kernel busy with an
 * event, the agent's batch full, a fork child without agent) before it has
 * changed anything; the engine must put the victim back exactly. */
static bool be_refuses(void)
{
	if (fk->refuse_pct == 0 || rng() % 100 >= fk->refuse_pct)
		return false;
	fk->refusals++;
	return true;
}

static int be_take(void *ctx, struct vms_as *as, vms_vpn_t vpn, void *buf)
{
	struct fake_page *p = fake_page(as, vpn);

	(void)ctx;
	assert_true(p->present);
	if (be_refuses())
		return -EAGAIN;
	memcpy(buf, p->bytes, VMS_PAGE_SIZE);
	memset(p->bytes, POISON, VMS_PAGE_SIZE);   /* a lost page would read this */
	p->present = false;
	fk->takes++;
	return 0;
}

static int be_drop(void *ctx, struct vms_as *as, vms_vpn_t vpn)
{
	struct fake_page *p = fake_page(as, vpn);

	(void)ctx;
	assert_true(p->present);
	if (be_refuses())
		return -EAGAIN;
	memset(p->bytes, POISON, VMS_PAGE_SIZE);
	p->present = false;
	fk->drops++;
	return 0;
}

static int be_restore(void *ctx, struct vms_as *as, vms_vpn_t vpn, const void *buf)
{
	struct fake_page *p = fake_page(as, vpn);

	(void)ctx;
	assert_false(p->present);
	if (fk->fail_restore)
		return fk->fail_restore;
	memcpy(p->bytes, buf, VMS_PAGE_SIZE);
	p->present = true;
	fk->restores++;
	return 0;
}

static int be_peek(void *ctx, struct vms_as *as, vms_vpn_t vpn, void *buf)
{
	struct fake_page *p = fake_page(as, vpn);

	(void)ctx;
	assert_true(p->present);
	memcpy(buf, p->bytes, VMS_PAGE_SIZE);
	fk->peeks++;
	return 0;
}

static const struct vms_mm_backend fake_backend = {
	.take_page = be_take, .drop_page = be_drop,
	.restore_page = be_restore, .peek_page = be_peek,
};

static void check_invariants(struct vms_mm *mm)
{
	char msg[256];
	int r = vms_mm_check(mm, msg, sizeof(msg));

	if (r)
		fail_msg("invariant broken: %s", msg);
	assert_true(vms_mm_frames(mm)->nr_used <= vms_mm_frames(mm)->nr_frames);
}

/* Makes the page present the way the live pager will, from the result. */
static int touch(struct vms_mm *mm, struct vms_as *as, vms_vpn_t vpn, bool write)
{
	struct vms_ref_result rr;
	struct fake_page *p = fake_page(as, vpn);
	int r;

	/* A refused eviction is retried, as the live pager retries the fault. */
	do
		r = vms_mm_ref(mm, as, vpn, write, VMS_TIME_NEVER, &rr);
	while (r == -EAGAIN && fk->refuse_pct);
	if (r < 0)
		return r;
	switch (rr.outcome) {
	case VMS_REF_HIT:
		assert_true(p->present);
		break;
	case VMS_REF_COW:
		/* The process keeps its bytes; the kernel copies the page. */
		assert_true(write);
		assert_true(p->present);
		break;
	case VMS_REF_FAULT_ZERO:
		assert_false(p->present);
		memset(p->bytes, 0, VMS_PAGE_SIZE);
		p->present = true;
		break;
	case VMS_REF_FAULT_SWAPIN:
		assert_false(p->present);
		assert_int_equal(vms_swap_get(vms_mm_swap(mm), rr.slot, p->bytes), 0);
		p->present = true;
		break;
	case VMS_REF_FAULT_SAME:
		assert_false(p->present);
		for (size_t i = 0; i < VMS_PAGE_SIZE; i += 8)
			memcpy(p->bytes + i, &rr.value, 8);
		p->present = true;
		break;
	}
	return 0;
}

/* Page contents of several kinds: zero, same-filled, text-like, random. */
static void make_content(unsigned char *buf)
{
	uint64_t kind = rng() % 5, v = rng();

	switch (kind) {
	case 0:
		memset(buf, 0, VMS_PAGE_SIZE);
		break;
	case 1:
		for (size_t i = 0; i < VMS_PAGE_SIZE; i += 8)
			memcpy(buf + i, &v, 8);
		break;
	case 2:
		for (size_t i = 0; i < VMS_PAGE_SIZE; i++)
			buf[i] = (unsigned char)("the quick brown fox "[(i + v) % 20]);
		break;
	default:
		for (size_t i = 0; i < VMS_PAGE_SIZE; i += 8) {
			uint64_t x = rng();

			memcpy(buf + i, &x, 8);
		}
	}
}

static void program_write(struct vms_mm *mm, struct vms_as *as, vms_vpn_t vpn)
{
	unsigned char *model = fk->model[as->id][vpn];

	assert_int_equal(touch(mm, as, vpn, true), 0);
	make_content(model);
	memcpy(fake_page(as, vpn)->bytes, model, VMS_PAGE_SIZE);
}

/* A page that compresses but is not same-filled, so it takes a real slot. */
static void program_write_text(struct vms_mm *mm, struct vms_as *as, vms_vpn_t vpn)
{
	unsigned char *model = fk->model[as->id][vpn];

	assert_int_equal(touch(mm, as, vpn, true), 0);
	for (size_t i = 0; i < VMS_PAGE_SIZE; i++)
		model[i] = (unsigned char)("page contents "[(i + vpn) % 14]);
	memcpy(fake_page(as, vpn)->bytes, model, VMS_PAGE_SIZE);
}

static void program_read(struct vms_mm *mm, struct vms_as *as, vms_vpn_t vpn)
{
	assert_int_equal(touch(mm, as, vpn, false), 0);
	if (memcmp(fake_page(as, vpn)->bytes, fk->model[as->id][vpn], VMS_PAGE_SIZE) != 0)
		fail_msg("as %u page %llu: read back differs from what was written",
			 as->id, (unsigned long long)vpn);
}

static struct vms_mm *new_mm(const struct vms_policy_ops *ops, uint32_t frames,
			     enum vms_compressor comp, uint64_t capacity, bool with_tlb)
{
	struct vms_mm_config cfg = {
		.nr_frames = frames,
		.policy = ops,
		.policy_cfg = { .seed = 3, .ws_window = 8, .lfu_decay_period = 64 },
		.swap = { .compressor = comp, .capacity_bytes = capacity },
		.backend = &fake_backend,
	};
	struct vms_mm *mm;

	if (with_tlb) {
		cfg.tlb.nr_levels = 2;
		cfg.tlb.level[0] = (struct vms_tlb_level_geom){ 4, 2 };
		cfg.tlb.level[1] = (struct vms_tlb_level_geom){ 16, 4 };
	}
	assert_int_equal(vms_mm_new(&cfg, &mm), 0);
	return mm;
}

static void fake_reset(void)
{
	memset(fk, 0, sizeof(*fk));
}

static void fake_exit(unsigned id)
{
	for (unsigned v = 0; v < NR_PAGES; v++) {
		fk->mem[id][v].present = false;
		memset(fk->model[id][v], 0, VMS_PAGE_SIZE);
	}
	fk->alive[id] = false;
}

/*
 * Random programs: writes, reads, fault-around, forks (the child's memory is
 * the parent's), exits, unmaps and remaps, for every live-capable policy and
 * compressor.
 */
/* Over all random programs: the sharing after fork was exercised. */
static uint64_t total_cow_faults, total_diverged;

static void random_program(const struct vms_policy_ops *ops, enum vms_compressor comp,
			   uint64_t seed, int steps, unsigned refuse_pct)
{
	struct vms_mm *mm;
	struct vms_as *as[MAX_AS] = { 0 };
	uint32_t frames = 1 + (uint32_t)(seed % 20);

	fake_reset();
	fk->refuse_pct = refuse_pct;
	rng_state = seed;
	mm = new_mm(ops, frames, comp, 0, seed & 1);
	assert_int_equal(vms_mm_as_new(mm, 0, &as[0]), 0);
	fk->alive[0] = true;

	for (int step = 0; step < steps; step++) {
		unsigned id = (unsigned)(rng() % MAX_AS);
		vms_vpn_t vpn = rng() % NR_PAGES;
		unsigned op = (unsigned)(rng() % 100);

		if (!fk->alive[id])
			id = 0;
		if (!fk->alive[0]) {
			assert_int_equal(vms_mm_as_new(mm, 0, &as[0]), 0);
			fk->alive[0] = true;
			id = 0;
		}
		if (op < 45) {
			program_write(mm, as[id], vpn);
		} else if (op < 82) {
			program_read(mm, as[id], vpn);
		} else if (op < 85) {
			/* Fault-around: untouched pages next to vpn, while
			 * frames are free; the live pager fills them with
			 * zeros. */
			for (vms_vpn_t v = vpn; v < vpn + 4 && v < NR_PAGES; v++) {
				int r = vms_mm_populate(mm, as[id], v);

				assert_true(r >= 0);
				if (r == 1) {
					assert_false(fk->mem[id][v].present);
					memset(fk->mem[id][v].bytes, 0, VMS_PAGE_SIZE);
					fk->mem[id][v].present = true;
				}
			}
		} else if (op < 90) {
			unsigned child = (unsigned)(rng() % MAX_AS);
			bool live = rng() & 1;

			if (fk->alive[child])
				continue;
			memcpy(fk->model[child], fk->model[id], sizeof(fk->model[id]));
			if (live) {
				/* The kernel's fork: the child has the parent's
				 * present pages (copy-on-write), and maps the
				 * same frames in the engine. */
				assert_int_equal(vms_mm_as_clone_live(mm, as[id], child, &as[child]), 0);
				memcpy(fk->mem[child], fk->mem[id], sizeof(fk->mem[id]));
			} else {
				assert_int_equal(vms_mm_as_clone(mm, as[id], child, &as[child]), 0);
				for (unsigned v = 0; v < NR_PAGES; v++)
					fk->mem[child][v].present = false;
			}
			fk->alive[child] = true;
		} else if (op < 91) {
			/* A write the engine cannot see, to a dirty page whose
			 * frame is shared: the live pager misses one when a
			 * thread writes while its process forks.  Eviction must
			 * notice that the copies differ. */
			struct vms_pte *pte = vms_pt_lookup(&as[id]->pt, vpn);
			const struct vms_frame_table *ft = vms_mm_frames(mm);

			if (!pte || vms_pte_state(pte) != VMS_PTE_RESIDENT ||
			    !vms_frame_shared(ft, (vms_frame_t)pte->payload) ||
			    !vms_frame_dirty(ft, (vms_frame_t)pte->payload))
				continue;
			make_content(fk->model[id][vpn]);
			memcpy(fk->mem[id][vpn].bytes, fk->model[id][vpn], VMS_PAGE_SIZE);
		} else if (op < 93) {
			if (id == 0)
				continue;
			vms_mm_as_destroy(mm, as[id]);
			as[id] = NULL;
			fake_exit(id);
		} else if (op < 97) {
			uint64_t n = 1 + rng() % 6;

			if (vpn + n > NR_PAGES)
				n = NR_PAGES - vpn;
			vms_mm_unmap(mm, as[id], vpn, n);
			for (uint64_t v = vpn; v < vpn + n; v++) {
				fk->mem[id][v].present = false;
				memset(fk->model[id][v], 0, VMS_PAGE_SIZE);
			}
		} else {
			/* move [a, a+n) to [b, b+n), non-overlapping */
			uint64_t n = 1 + rng() % 4, a = rng() % (NR_PAGES - n), b = rng() % (NR_PAGES - n);

			if (a < b + n && b < a + n)
				continue;
			assert_int_equal(vms_mm_remap(mm, as[id], a, n, b), 0);
			for (uint64_t k = 0; k < n; k++) {
				struct fake_page *src = &fk->mem[id][a + k], *dst = &fk->mem[id][b + k];

				*dst = *src;
				src->present = false;
				memcpy(fk->model[id][b + k], fk->model[id][a + k], VMS_PAGE_SIZE);
				memset(fk->model[id][a + k], 0, VMS_PAGE_SIZE);
			}
		}
		check_invariants(mm);
	}
	/* Every page of every live process reads back what was written last. */
	for (unsigned id = 0; id < MAX_AS; id++)
		if (fk->alive[id])
			for (vms_vpn_t v = 0; v < NR_PAGES; v++)
				program_read(mm, as[id], v);
	check_invariants(mm);
	/* Exit everything: nothing may be left behind. */
	for (unsigned id = 0; id < MAX_AS; id++)
		if (fk->alive[id])
			vms_mm_as_destroy(mm, as[id]);
	{
		struct vms_swap_stats ss;

		vms_swap_get_stats(vms_mm_swap(mm), &ss);
		assert_int_equal(ss.stored_pages, 0);
		assert_int_equal(ss.bytes_stored, 0);
		assert_int_equal(vms_mm_frames(mm)->nr_used, 0);
		assert_int_equal(vms_mm_pt_memory(mm).nr_entries, 0);
	}
	total_cow_faults += vms_mm_stats(mm)->cow_faults;
	total_diverged += vms_mm_stats(mm)->diverged_copies;
	vms_mm_free(mm);
}

static void test_random_programs_read_back_what_they_wrote(void **state)
{
	const enum vms_compressor comps[] = { VMS_COMPRESS_LZ4, VMS_COMPRESS_ZSTD, VMS_COMPRESS_NONE };

	(void)state;
	for (size_t p = 0; vms_policies[p]; p++) {
		if (vms_policies[p]->flags & VMS_POLICY_OFFLINE)
			continue;
		for (uint64_t seed = 1; seed <= 12; seed++)
			random_program(vms_policies[p], comps[seed % 3], seed * 7919 + p, 1500, 0);
	}
	/* Shared frames were written (copy-on-write) and evicted with copies
	 * that differed, not just created. */
	assert_true(total_cow_faults > 100);
	assert_true(total_diverged > 0);
	print_message("%llu copy-on-write faults, %llu diverged copies\n",
		      (unsigned long long)total_cow_faults, (unsigned long long)total_diverged);
}

/* The same with the backend refusing a third of the evictions (retried):
 * every policy must take its victim back without losing track of a frame
 * (ARC once kept the refused victim's ghost: its ghost pool ran out). */
static void test_refused_evictions_are_undone_exactly(void **state)
{
	(void)state;
	for (size_t p = 0; vms_policies[p]; p++) {
		if (vms_policies[p]->flags & VMS_POLICY_OFFLINE)
			continue;
		for (uint64_t seed = 1; seed <= 8; seed++) {
			random_program(vms_policies[p], VMS_COMPRESS_LZ4, seed * 104729 + p, 3000, 33);
			assert_true(fk->refusals > 0);
		}
	}
}

/* ---- exact accounting on hand-made cases ---- */

static void test_clean_page_is_dropped_not_stored_again(void **state)
{
	struct vms_mm *mm;
	struct vms_as *as;
	const struct vms_mm_stats *st;

	(void)state;
	fake_reset();
	rng_state = 1;
	mm = new_mm(&vms_policy_fifo, 1, VMS_COMPRESS_LZ4, 0, false);
	assert_int_equal(vms_mm_as_new(mm, 0, &as), 0);
	fk->alive[0] = true;
	st = vms_mm_stats(mm);

	program_write_text(mm, as, 0);   /* fault, dirty */
	program_write_text(mm, as, 1);   /* evicts 0: stored */
	assert_int_equal(st->writebacks, 1);
	program_read(mm, as, 0);    /* evicts 1 (dirty: stored), swap-in 0 */
	program_read(mm, as, 1);    /* evicts 0, clean with a valid copy: dropped */
	assert_int_equal(st->clean_drops, 1);
	assert_int_equal(st->writebacks, 2);
	program_write_text(mm, as, 1);   /* hit; the copy of 1 is stale now */
	program_read(mm, as, 0);    /* evicts 1, dirty: stored again */
	assert_int_equal(st->writebacks, 3);
	assert_int_equal(st->clean_drops, 1);
	program_read(mm, as, 1);
	check_invariants(mm);
	vms_mm_free(mm);
}

static void fill_same(struct vms_mm *mm, struct vms_as *as, vms_vpn_t vpn, uint64_t v)
{
	unsigned char *model = fk->model[as->id][vpn];

	assert_int_equal(touch(mm, as, vpn, true), 0);
	for (size_t i = 0; i < VMS_PAGE_SIZE; i += 8)
		memcpy(model + i, &v, 8);
	memcpy(fake_page(as, vpn)->bytes, model, VMS_PAGE_SIZE);
}

static void test_same_filled_pages_take_no_slot(void **state)
{
	struct vms_mm *mm;
	struct vms_as *as;
	struct vms_swap_stats ss;

	(void)state;
	fake_reset();
	mm = new_mm(&vms_policy_lru, 2, VMS_COMPRESS_LZ4, 0, false);
	assert_int_equal(vms_mm_as_new(mm, 0, &as), 0);
	fill_same(mm, as, 0, 0);
	fill_same(mm, as, 1, 0x0101010101010101ull);
	fill_same(mm, as, 2, 0xdeadbeefcafef00dull);   /* evicts 0 */
	fill_same(mm, as, 3, 7);                        /* evicts 1 */
	vms_swap_get_stats(vms_mm_swap(mm), &ss);
	assert_int_equal(ss.stored_pages, 0);
	assert_int_equal(vms_mm_stats(mm)->same_evictions, 2);
	program_read(mm, as, 0);
	program_read(mm, as, 1);
	assert_int_equal(vms_mm_stats(mm)->faults_same, 2);
	program_read(mm, as, 2);
	program_read(mm, as, 3);
	check_invariants(mm);
	vms_mm_free(mm);
}

static void test_swap_full_loses_nothing(void **state)
{
	struct vms_mm *mm;
	struct vms_as *as;
	vms_vpn_t v;
	int r = 0;

	(void)state;
	fake_reset();
	rng_state = 99;
	/* Room for a few incompressible pages only. */
	mm = new_mm(&vms_policy_clock, 4, VMS_COMPRESS_LZ4, 6 * VMS_PAGE_SIZE, false);
	assert_int_equal(vms_mm_as_new(mm, 0, &as), 0);
	for (v = 0; v < NR_PAGES; v++) {
		unsigned char *model = fk->model[0][v];

		r = touch(mm, as, v, true);
		if (r < 0)
			break;
		for (size_t i = 0; i < VMS_PAGE_SIZE; i += 8) {
			uint64_t x = rng();

			memcpy(model + i, &x, 8);
		}
		memcpy(fake_page(as, v)->bytes, model, VMS_PAGE_SIZE);
		check_invariants(mm);
	}
	assert_int_equal(r, -ENOSPC);
	assert_true(v > 4 && v < NR_PAGES);
	assert_true(vms_mm_stats(mm)->swap_full >= 1);
	assert_true(fk->restores >= 1);
	check_invariants(mm);
	/* Every page written so far is intact: resident ones in the process,
	 * the rest in swap.  Read the resident ones without faulting. */
	for (vms_vpn_t u = 0; u < v; u++) {
		struct fake_page *p = fake_page(as, u);

		if (p->present)
			assert_memory_equal(p->bytes, fk->model[0][u], VMS_PAGE_SIZE);
	}
	/* Freeing memory makes room again, and then everything reads back. */
	vms_mm_unmap(mm, as, 0, 2);
	memset(fk->model[0][0], 0, 2 * VMS_PAGE_SIZE);
	fk->mem[0][0].present = fk->mem[0][1].present = false;
	for (vms_vpn_t u = 2; u < v; u++)
		if (!fake_page(as, u)->present) {
			program_read(mm, as, u);
			break;
		}
	check_invariants(mm);
	vms_mm_free(mm);
}

/* If a page can neither be stored nor put back, the caller must hear it. */
static void test_failed_restore_is_reported_not_hidden(void **state)
{
	struct vms_mm *mm;
	struct vms_as *as;
	int r = 0;

	(void)state;
	fake_reset();
	rng_state = 17;
	fk->fail_restore = -EIO;
	mm = new_mm(&vms_policy_fifo, 2, VMS_COMPRESS_NONE, 2 * VMS_PAGE_SIZE, false);
	assert_int_equal(vms_mm_as_new(mm, 0, &as), 0);
	for (vms_vpn_t v = 0; v < NR_PAGES && r == 0; v++) {
		r = touch(mm, as, v, true);
		/* random bytes: nothing same-filled, every eviction needs a slot */
		for (size_t i = 0; r == 0 && i < VMS_PAGE_SIZE; i += 8) {
			uint64_t x = rng();

			memcpy(fake_page(as, v)->bytes + i, &x, 8);
		}
	}
	assert_int_equal(r, -EIO);
	assert_int_equal(vms_mm_stats(mm)->swap_full, 1);
	vms_mm_free(mm);
}

static void test_fork_shares_slots_until_written(void **state)
{
	struct vms_mm *mm;
	struct vms_as *parent, *child;
	struct vms_swap_stats before, after;

	(void)state;
	fake_reset();
	rng_state = 5;
	mm = new_mm(&vms_policy_fifo, 2, VMS_COMPRESS_NONE, 0, false);
	assert_int_equal(vms_mm_as_new(mm, 0, &parent), 0);
	for (vms_vpn_t v = 0; v < 6; v++) {
		unsigned char *m = fk->model[0][v];

		assert_int_equal(touch(mm, parent, v, true), 0);
		for (size_t i = 0; i < VMS_PAGE_SIZE; i++)
			m[i] = (unsigned char)(v * 31 + i % 251 + i / 977);
		memcpy(fake_page(parent, v)->bytes, m, VMS_PAGE_SIZE);
	}
	vms_swap_get_stats(vms_mm_swap(mm), &before);
	assert_int_equal(before.stored_pages, 4);            /* 6 pages, 2 frames */
	assert_int_equal(vms_mm_as_clone(mm, parent, 1, &child), 0);
	memcpy(fk->model[1], fk->model[0], sizeof(fk->model[0]));
	vms_swap_get_stats(vms_mm_swap(mm), &after);
	/* The 2 resident pages were snapshotted once; the 4 swapped are shared. */
	assert_int_equal(after.stored_pages, 6);
	assert_int_equal(fk->peeks, 2);
	check_invariants(mm);
	/* The child writes page 0: its copy diverges, the parent keeps its own. */
	program_write(mm, child, 0);
	for (vms_vpn_t v = 0; v < 6; v++) {
		program_read(mm, parent, v);
		program_read(mm, child, v);
	}
	check_invariants(mm);
	vms_mm_as_destroy(mm, parent);
	for (vms_vpn_t v = 0; v < 6; v++)
		program_read(mm, child, v);
	vms_mm_as_destroy(mm, child);
	vms_swap_get_stats(vms_mm_swap(mm), &after);
	assert_int_equal(after.stored_pages, 0);
	vms_mm_free(mm);
}

/*
 * The live fork, as the kernel forks: parent and child map the same frames
 * (the budget counts them once) until one writes; evicting a shared frame
 * takes it out of both and stores it once.
 */
/* The hooks the live pager's soft unmaps rely on: Clock clearing a page's
 * reference bit is heard (the pager parks that page), and a frame freed by
 * an unmap or an eviction is heard (the pager forgets its park state). */
static struct { int unreferenced, freed; vms_frame_t last; } hk;

static void hook_unreferenced(void *ctx, vms_frame_t f)
{
	(void)ctx;
	hk.unreferenced++;
	hk.last = f;
}

static void hook_freed(void *ctx, vms_frame_t f)
{
	(void)ctx;
	hk.freed++;
	hk.last = f;
}

static void test_backend_hooks_see_bits_cleared_and_frames_freed(void **state)
{
	struct vms_mm_backend be = fake_backend;
	struct vms_mm_config cfg = {
		.nr_frames = 3,
		.policy = &vms_policy_clock,
		.swap = { .compressor = VMS_COMPRESS_NONE },
		.backend = &be,
	};
	struct vms_mm *mm;
	struct vms_as *as;

	(void)state;
	fake_reset();
	memset(&hk, 0, sizeof(hk));
	be.unreferenced = hook_unreferenced;
	be.frame_freed = hook_freed;
	assert_int_equal(vms_mm_new(&cfg, &mm), 0);
	assert_int_equal(vms_mm_as_new(mm, 0, &as), 0);
	for (vms_vpn_t v = 0; v < 3; v++)
		program_write_text(mm, as, v);
	assert_int_equal(hk.unreferenced, 0);   /* no pressure, no hand */
	/* A fourth page: the hand clears the three bits (one turn), then
	 * takes page 0, whose frame is freed. */
	program_write_text(mm, as, 3);
	assert_int_equal(hk.unreferenced, 3);
	assert_int_equal(hk.freed, 1);
	/* Unmapping a resident page frees its frame too. */
	vms_mm_unmap(mm, as, 3, 1);
	assert_int_equal(hk.freed, 2);
	check_invariants(mm);
	vms_mm_as_destroy(mm, as);
	assert_int_equal(hk.freed, 4);
	vms_mm_free(mm);
}

static void test_live_fork_shares_frames_until_written(void **state)
{
	struct vms_mm *mm;
	struct vms_as *parent, *child;
	struct vms_swap_stats ss;
	const struct vms_frame_table *ft;

	(void)state;
	fake_reset();
	rng_state = 9;
	mm = new_mm(&vms_policy_fifo, 4, VMS_COMPRESS_NONE, 0, false);
	ft = vms_mm_frames(mm);
	assert_int_equal(vms_mm_as_new(mm, 0, &parent), 0);
	for (vms_vpn_t v = 0; v < 3; v++)
		program_write_text(mm, parent, v);
	assert_int_equal(vms_mm_as_clone_live(mm, parent, 1, &child), 0);
	memcpy(fk->model[1], fk->model[0], sizeof(fk->model[0]));
	memcpy(fk->mem[1], fk->mem[0], sizeof(fk->mem[0]));
	check_invariants(mm);
	assert_int_equal(ft->nr_used, 3);            /* 3 frames, 6 mappings */
	assert_int_equal(child->stats.resident, 3);
	assert_int_equal(fk->peeks, 0);               /* nothing read at fork */
	/* The child writes page 0: a frame of its own, the parent keeps its. */
	program_write(mm, child, 0);
	assert_int_equal(vms_mm_stats(mm)->cow_faults, 1);
	assert_int_equal(child->stats.cow_faults, 1);
	assert_int_equal(ft->nr_used, 4);
	check_invariants(mm);
	/* The parent touches a new page: FIFO evicts the oldest frame, page 0
	 * of the parent (not shared any more), then page 1, shared: it leaves
	 * both processes and is stored once. */
	program_write_text(mm, parent, 10);
	program_write_text(mm, parent, 11);
	check_invariants(mm);
	vms_swap_get_stats(vms_mm_swap(mm), &ss);
	assert_int_equal(ss.stored_pages, 2);
	assert_false(fk->mem[0][1].present);
	assert_false(fk->mem[1][1].present);
	assert_int_equal(parent->stats.evictions, 2);
	assert_int_equal(child->stats.evictions, 1);
	assert_int_equal(vms_mm_stats(mm)->evictions, 2);
	for (vms_vpn_t v = 0; v < 3; v++) {
		program_read(mm, parent, v);
		program_read(mm, child, v);
	}
	check_invariants(mm);
	vms_mm_as_destroy(mm, child);
	check_invariants(mm);
	for (vms_vpn_t v = 0; v < 3; v++)
		program_read(mm, parent, v);
	vms_mm_as_destroy(mm, parent);
	vms_swap_get_stats(vms_mm_swap(mm), &ss);
	assert_int_equal(ss.stored_pages, 0);
	assert_int_equal(ft->nr_used, 0);
	vms_mm_free(mm);
}

static void test_eviction_shoots_down_the_tlb(void **state)
{
	struct vms_mm *mm;
	struct vms_as *as;
	struct vms_ref_result rr;

	(void)state;
	fake_reset();
	mm = new_mm(&vms_policy_fifo, 2, VMS_COMPRESS_LZ4, 0, true);
	assert_int_equal(vms_mm_as_new(mm, 3, &as), 0);
	program_read(mm, as, 0);
	assert_true(vms_tlb_contains(vms_mm_tlb(mm), vms_key(3, 0), 0));
	program_read(mm, as, 1);
	program_read(mm, as, 2);   /* FIFO evicts page 0 */
	assert_false(vms_tlb_contains(vms_mm_tlb(mm), vms_key(3, 0), 0));
	assert_false(vms_tlb_contains(vms_mm_tlb(mm), vms_key(3, 0), 1));
	assert_int_equal(vms_mm_ref(mm, as, 2, false, VMS_TIME_NEVER, &rr), 0);
	assert_int_equal(rr.outcome, VMS_REF_HIT);
	assert_int_equal(rr.tlb_level, 0);
	vms_mm_unmap(mm, as, 0, 3);
	assert_false(vms_tlb_contains(vms_mm_tlb(mm), vms_key(3, 2), 0));
	vms_mm_free(mm);
}

/* ---- the engine and the bare policy agree (replay, no backend) ---- */

static void test_engine_matches_policy_harness(void **state)
{
	enum { N = 3000 };
	static vms_vpn_t refs[N];
	static uint64_t next[N];
	static bool writes[N];

	(void)state;
	for (size_t p = 0; vms_policies[p]; p++) {
		for (uint64_t seed = 1; seed <= 6; seed++) {
			struct vms_policy_config pcfg = { .nr_frames = (uint32_t)(seed * 5),
							  .seed = 9, .ws_window = 20,
							  .lfu_decay_period = 100 };
			struct vms_mm_config cfg = { .nr_frames = pcfg.nr_frames,
						     .policy = vms_policies[p],
						     .policy_cfg = pcfg,
						     .swap = { .compressor = VMS_COMPRESS_NONE } };
			struct harness h;
			struct vms_mm *mm;
			struct vms_as *as;

			rng_state = seed;
			for (size_t i = 0; i < N; i++) {
				refs[i] = rng() % 2 ? rng() % 8 : rng() % (seed * 20);
				writes[i] = rng() % 3 == 0;
			}
			harness_next_use(refs, N, next);
			assert_int_equal(harness_init(&h, vms_policies[p], &pcfg), 0);
			assert_int_equal(vms_mm_new(&cfg, &mm), 0);
			/* as id 1 so that keys match the harness's */
			assert_int_equal(vms_mm_as_new(mm, 1, &as), 0);
			for (size_t i = 0; i < N; i++) {
				struct vms_ref_result rr;
				bool fault = harness_ref(&h, refs[i], writes[i], next[i]);

				assert_int_equal(vms_mm_ref(mm, as, refs[i], writes[i], next[i], &rr), 0);
				if (fault != (rr.outcome != VMS_REF_HIT))
					fail_msg("%s seed %llu ref %zu: engine and harness disagree",
						 vms_policies[p]->name, (unsigned long long)seed, i);
			}
			assert_int_equal(vms_mm_stats(mm)->faults, h.faults);
			assert_int_equal(vms_mm_stats(mm)->evictions, h.evictions);
			check_invariants(mm);
			harness_fini(&h);
			vms_mm_free(mm);
		}
	}
}

static void test_bad_arguments(void **state)
{
	struct vms_mm_config cfg = { .nr_frames = 0, .policy = &vms_policy_lru };
	struct vms_mm *mm = NULL;
	struct vms_as *as, *as2;
	struct vms_ref_result rr;

	(void)state;
	assert_int_equal(vms_mm_new(&cfg, &mm), -EINVAL);
	cfg.nr_frames = 4;
	cfg.policy = NULL;
	assert_int_equal(vms_mm_new(&cfg, &mm), -EINVAL);
	cfg.policy = &vms_policy_lru;
	assert_int_equal(vms_mm_new(&cfg, &mm), 0);
	assert_int_equal(vms_mm_as_new(mm, 1, &as), 0);
	assert_int_equal(vms_mm_as_new(mm, 1, &as2), -EEXIST);
	assert_int_equal(vms_mm_as_clone(mm, as, 1, &as2), -EEXIST);
	assert_int_equal(vms_mm_as_new(mm, VMS_ASID_MAX + 1, &as2), -EINVAL);
	assert_int_equal(vms_mm_ref(mm, as, VMS_VPN_MAX + 1, false, 0, &rr), -EINVAL);
	assert_int_equal(vms_mm_remap(mm, as, 10, 5, 12), -EINVAL);   /* overlap */
	assert_ptr_equal(vms_mm_as_find(mm, 1), as);
	assert_null(vms_mm_as_find(mm, 2));
	vms_mm_free(mm);
}

static int setup(void **state)
{
	(void)state;
	fk = calloc(1, sizeof(*fk));
	return fk ? 0 : -1;
}

static int teardown(void **state)
{
	(void)state;
	free(fk);
	return 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_bad_arguments),
		cmocka_unit_test(test_clean_page_is_dropped_not_stored_again),
		cmocka_unit_test(test_same_filled_pages_take_no_slot),
		cmocka_unit_test(test_swap_full_loses_nothing),
		cmocka_unit_test(test_failed_restore_is_reported_not_hidden),
		cmocka_unit_test(test_fork_shares_slots_until_written),
		cmocka_unit_test(test_live_fork_shares_frames_until_written),
		cmocka_unit_test(test_backend_hooks_see_bits_cleared_and_frames_freed),
		cmocka_unit_test(test_eviction_shoots_down_the_tlb),
		cmocka_unit_test(test_engine_matches_policy_harness),
		cmocka_unit_test(test_random_programs_read_back_what_they_wrote),
		cmocka_unit_test(test_refused_evictions_are_undone_exactly),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
