/* SPDX-License-Identifier: MIT */
/*
 * threads_pattern: threads write and verify page patterns in one shared region.
 *
 *   threads_pattern [--size MIB] [--threads N] [--passes N] [--mode mmap|malloc]
 *                   [--seconds S] [--tag STRING]
 *
 * The region (default 64 MiB) is split into 4 KiB pages.  In pass p, thread t
 * writes every live page i with (i + p) % T == t (interleaved ownership that
 * rotates, so a page is written from different threads, hence different CPUs,
 * over the passes), with a pattern that is a function of (i, p, t): see
 * pattern.h.  Then every page is verified in full by a thread other than its
 * writer, and every thread reads the first word of every 16th page, so several
 * threads fault on the same page at once.  Between passes the main thread
 * changes the mapping while the workers wait at a barrier:
 *   after pass 0: madvise(MADV_DONTNEED) of 8-page blocks and of the last MiB;
 *                 they must read back as zeros;
 *   after pass 1: growth by half: mremap(MREMAP_MAYMOVE) of the region, which
 *                 a PROT_NONE guard page behind it forces to move (mmap mode),
 *                 or more malloc'd chunks (malloc mode); old pages must keep
 *                 their content, new mmap'd pages must read as zeros;
 *   after pass 2: munmap of an eighth of the pages from a quarter in (the
 *                 mapping splits in two), or free() of those chunks.
 * With --mode malloc, the region is 1 MiB chunks from malloc with the mmap
 * threshold raised, so they come from the brk heap (heap growth is a case a
 * pager must handle, see ARCHITECTURE.md trap 3).
 *
 * On success prints one deterministic line (the checksum of the final
 * content) and exits 0; at the first mismatch prints the page, address,
 * expected and read word on stderr and exits 1; exits 2 on bad usage or when
 * a system call fails.  --seconds S repeats passes for S seconds (printing a
 * line per pass), for tests that kill the sandbox while the program runs;
 * --tag is ignored, so tests can put a unique marker in the command line.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <malloc.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "pattern.h"
#include "progargs.h"

#define PROG "threads_pattern"
#define CHUNK_PAGES 256u          /* 1 MiB: the unit of malloc mode and of addressing */
#define MAX_THREADS 64
#define BLOCK_PAGES 8u            /* MADV_DONTNEED blocks: 8 pages every 128 */

enum page_kind {
	PAGE_DEAD,                /* unmapped or freed: never touched again */
	PAGE_ZERO,                /* must read as zeros */
	PAGE_UNDEF,               /* fresh malloc memory: content not specified */
	PAGE_WRITTEN,             /* holds pat_seed(i, pass_of[i], writer_of[i]) */
};

enum command { CMD_WRITE, CMD_VERIFY, CMD_EXIT };

static struct {
	bool use_malloc;
	unsigned nr_threads;
	unsigned nr_passes;
	size_t nr_pages;          /* live + dead pages: the index space */
	char **chunks;            /* page i is at chunks[i / CHUNK_PAGES] + (i % CHUNK_PAGES) * 4 KiB */
	void **chunk_alloc;       /* malloc mode: what to free() for each chunk */
	char *map_base;           /* mmap mode: the mapping */
	size_t map_pages;
	uint8_t *kind;            /* enum page_kind per page */
	uint32_t *pass_of;        /* per page: the pass that wrote it */
	uint8_t *writer_of;       /* per page: the thread that wrote it */
	enum command cmd;         /* set by main between barriers */
	unsigned pass;
	pthread_barrier_t start, done;
	atomic_bool failed;
	pthread_mutex_t report_lock;
} g;

static void die_errno(const char *what)
{
	fprintf(stderr, "%s: %s: %s\n", PROG, what, strerror(errno));
	exit(2);
}

static char *page_addr(size_t i)
{
	return g.chunks[i / CHUNK_PAGES] + (i % CHUNK_PAGES) * (size_t)PAT_PAGE_BYTES;
}

static void *xrealloc(void *p, size_t bytes)
{
	p = realloc(p, bytes);
	if (!p)
		die_errno("realloc of the page tables");
	return p;
}

/* Grows the per-page and per-chunk tables to nr_pages (a multiple of CHUNK_PAGES). */
static void tables_grow(size_t nr_pages, enum page_kind fresh)
{
	size_t old = g.nr_pages;
	size_t nr_chunks = nr_pages / CHUNK_PAGES;

	g.kind = xrealloc(g.kind, nr_pages);
	g.pass_of = xrealloc(g.pass_of, nr_pages * sizeof(*g.pass_of));
	g.writer_of = xrealloc(g.writer_of, nr_pages);
	g.chunks = xrealloc(g.chunks, nr_chunks * sizeof(*g.chunks));
	g.chunk_alloc = xrealloc(g.chunk_alloc, nr_chunks * sizeof(*g.chunk_alloc));
	memset(g.kind + old, fresh, nr_pages - old);
	memset(g.pass_of + old, 0, (nr_pages - old) * sizeof(*g.pass_of));
	memset(g.writer_of + old, 0, nr_pages - old);
	g.nr_pages = nr_pages;
}

static void chunks_point_into_map(void)
{
	for (size_t c = 0; c < g.map_pages / CHUNK_PAGES; c++)
		g.chunks[c] = g.map_base + c * CHUNK_PAGES * (size_t)PAT_PAGE_BYTES;
}

/* malloc mode: chunks [first, last) from malloc, page-aligned inside the block. */
static void chunks_malloc(size_t first, size_t last)
{
	for (size_t c = first; c < last; c++) {
		void *p = malloc(CHUNK_PAGES * (size_t)PAT_PAGE_BYTES + PAT_PAGE_BYTES);

		if (!p)
			die_errno("malloc of a 1 MiB chunk");
		g.chunk_alloc[c] = p;
		g.chunks[c] = (char *)(((uintptr_t)p + PAT_PAGE_BYTES - 1) & ~(uintptr_t)(PAT_PAGE_BYTES - 1));
	}
}

static void region_create(size_t nr_pages)
{
	tables_grow(nr_pages, g.use_malloc ? PAGE_UNDEF : PAGE_ZERO);
	if (g.use_malloc) {
		/* 1 MiB chunks are above the default mmap threshold (128 KiB): raise
		 * it so that they come from the brk heap.  Allocators other than
		 * glibc's (a sanitizer's) refuse: the chunks are malloc'd anyway. */
		(void)mallopt(M_MMAP_THRESHOLD, 4 << 20);
		chunks_malloc(0, nr_pages / CHUNK_PAGES);
		return;
	}
	size_t bytes = nr_pages * PAT_PAGE_BYTES;

	g.map_base = mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (g.map_base == MAP_FAILED)
		die_errno("mmap of the region");
	g.map_pages = nr_pages;
	chunks_point_into_map();
}

/*
 * The guard behind the mapping: growth in place becomes impossible, so mremap
 * must move the region.  NULL when something is mapped there already (the
 * same effect).
 */
static void *guard_place(void)
{
	void *at = g.map_base + g.map_pages * (size_t)PAT_PAGE_BYTES;
	void *guard = mmap(at, PAT_PAGE_BYTES, PROT_NONE,
			   MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);

	if (guard == MAP_FAILED) {
		if (errno == EEXIST)
			return NULL;
		die_errno("mmap of the guard page behind the region");
	}
	return guard;
}

static void mismatch(const char *phase, size_t i, long word, uint64_t expected, uint64_t got,
		     unsigned self)
{
	bool already = atomic_exchange(&g.failed, true);

	if (already)
		return;
	pthread_mutex_lock(&g.report_lock);
	pat_report(PROG, phase, i, page_addr(i), word, expected, got);
	if (g.kind[i] == PAGE_WRITTEN)
		fprintf(stderr, "%s: page %zu was written in pass %" PRIu32 " by thread %u; "
			"checked by thread %u in pass %u\n", PROG, i, g.pass_of[i],
			(unsigned)g.writer_of[i], self, g.pass);
	else
		fprintf(stderr, "%s: page %zu must read as zeros (MADV_DONTNEED or grown); "
			"checked by thread %u after pass %u\n", PROG, i, self, g.pass);
	pthread_mutex_unlock(&g.report_lock);
}

/* Verifies page i in full against its expected state; false on mismatch. */
static bool page_verify(size_t i, unsigned self, const char *phase)
{
	uint64_t got = 0;
	long bad;

	switch (g.kind[i]) {
	case PAGE_WRITTEN: {
		uint64_t seed = pat_seed(i, g.pass_of[i], g.writer_of[i]);

		bad = pat_check(page_addr(i), seed, &got);
		if (bad >= 0) {
			mismatch(phase, i, bad, pat_expected_word(seed, bad), got, self);
			return false;
		}
		return true;
	}
	case PAGE_ZERO:
		bad = pat_check_zero(page_addr(i), &got);
		if (bad >= 0) {
			mismatch(phase, i, bad, 0, got, self);
			return false;
		}
		return true;
	default:
		return true;
	}
}

static void worker_write(unsigned self)
{
	unsigned p = g.pass, nt = g.nr_threads;
	size_t n = g.nr_pages;

	/* Even passes go up, odd passes go down: different reuse distances for the pager. */
	for (size_t k = 0; k < n && !atomic_load_explicit(&g.failed, memory_order_relaxed); k++) {
		size_t i = (p % 2 == 0) ? k : n - 1 - k;

		if ((i + p) % nt != self || g.kind[i] == PAGE_DEAD)
			continue;
		pat_fill(page_addr(i), pat_seed(i, p, self));
		g.pass_of[i] = p;
		g.writer_of[i] = (uint8_t)self;
		g.kind[i] = PAGE_WRITTEN;
	}
}

static void worker_verify(unsigned self)
{
	unsigned p = g.pass, nt = g.nr_threads;
	size_t n = g.nr_pages;

	/* In full: the pages that thread self - 1 wrote in this pass. */
	for (size_t i = 0; i < n && !atomic_load_explicit(&g.failed, memory_order_relaxed); i++)
		if ((i + p + 1) % nt == self && !page_verify(i, self, "full check"))
			return;
	/* Everyone: the first word of every 16th page, starting at a different page. */
	for (size_t k = 0; k < n && !atomic_load_explicit(&g.failed, memory_order_relaxed); k += 16) {
		size_t i = (k + self * 16 * 97) % n;
		uint64_t got, expected;

		if (g.kind[i] == PAGE_WRITTEN)
			expected = pat_seed(i, g.pass_of[i], g.writer_of[i]);
		else if (g.kind[i] == PAGE_ZERO)
			expected = 0;
		else
			continue;
		got = *(volatile uint64_t *)page_addr(i);
		if (got != expected) {
			mismatch("shared read", i, 0, expected, got, self);
			return;
		}
	}
}

static void *worker(void *arg)
{
	unsigned self = (unsigned)(uintptr_t)arg;

	for (;;) {
		pthread_barrier_wait(&g.start);
		if (g.cmd == CMD_EXIT)
			return NULL;
		if (g.cmd == CMD_WRITE)
			worker_write(self);
		else
			worker_verify(self);
		pthread_barrier_wait(&g.done);
	}
}

/* Runs one phase on every worker; returns false if a mismatch was found. */
static bool phase(enum command cmd)
{
	g.cmd = cmd;
	pthread_barrier_wait(&g.start);
	pthread_barrier_wait(&g.done);
	return !atomic_load(&g.failed);
}

/* After pass 0: drop 8-page blocks every 128 pages, and the last MiB. */
static void op_dontneed(void)
{
	size_t n = g.nr_pages;

	for (size_t i = 3 * BLOCK_PAGES; i + BLOCK_PAGES <= n; i += 16 * BLOCK_PAGES) {
		if (madvise(page_addr(i), BLOCK_PAGES * (size_t)PAT_PAGE_BYTES, MADV_DONTNEED))
			die_errno("madvise(MADV_DONTNEED) of an 8-page block");
		memset(g.kind + i, PAGE_ZERO, BLOCK_PAGES);
	}
	if (n >= 2 * CHUNK_PAGES) {
		size_t i = n - CHUNK_PAGES;

		if (madvise(page_addr(i), CHUNK_PAGES * (size_t)PAT_PAGE_BYTES, MADV_DONTNEED))
			die_errno("madvise(MADV_DONTNEED) of the last MiB");
		memset(g.kind + i, PAGE_ZERO, CHUNK_PAGES);
	}
}

/* After pass 1: grow the region by half (rounded to whole chunks). */
static void op_grow(void)
{
	size_t old = g.nr_pages;
	size_t grown = old + (old / 2 + CHUNK_PAGES - 1) / CHUNK_PAGES * CHUNK_PAGES;

	if (g.use_malloc) {
		tables_grow(grown, PAGE_UNDEF);
		chunks_malloc(old / CHUNK_PAGES, grown / CHUNK_PAGES);
		return;
	}
	void *guard = guard_place();
	void *moved = mremap(g.map_base, old * (size_t)PAT_PAGE_BYTES, grown * (size_t)PAT_PAGE_BYTES,
			     MREMAP_MAYMOVE);

	if (moved == MAP_FAILED)
		die_errno("mremap growth of the region");
	if (guard && munmap(guard, PAT_PAGE_BYTES))
		die_errno("munmap of the guard page");
	g.map_base = moved;
	g.map_pages = grown;
	tables_grow(grown, PAGE_ZERO);
	chunks_point_into_map();
}

/* After pass 2: unmap (or free) an eighth of the pages from a quarter in. */
static void op_unmap_part(void)
{
	size_t first = g.nr_pages / 4 / CHUNK_PAGES * CHUNK_PAGES;
	size_t count = g.nr_pages / 8 / CHUNK_PAGES * CHUNK_PAGES;

	if (count == 0)
		return;
	if (g.use_malloc) {
		for (size_t c = first / CHUNK_PAGES; c < (first + count) / CHUNK_PAGES; c++) {
			free(g.chunk_alloc[c]);
			g.chunk_alloc[c] = NULL;
		}
	} else if (munmap(page_addr(first), count * (size_t)PAT_PAGE_BYTES)) {
		die_errno("munmap of part of the region");
	}
	memset(g.kind + first, PAGE_DEAD, count);
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void usage(FILE *out)
{
	fputs("usage: threads_pattern [--size MIB] [--threads N] [--passes N] [--mode mmap|malloc]\n"
	      "                       [--seconds S] [--tag STRING]\n", out);
}

static unsigned long parse_num(const char *s, const char *what, unsigned long min, unsigned long max)
{
	return prog_parse_num(PROG, usage, s, what, min, max);
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "size", required_argument, NULL, 's' },
		{ "threads", required_argument, NULL, 't' },
		{ "passes", required_argument, NULL, 'p' },
		{ "mode", required_argument, NULL, 'm' },
		{ "seconds", required_argument, NULL, 'S' },
		{ "tag", required_argument, NULL, 'T' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	unsigned long size_mib = 64, seconds = 0;
	pthread_t tids[MAX_THREADS];
	int c;

	g.nr_threads = 8;
	g.nr_passes = 4;
	while ((c = getopt_long(argc, argv, "s:t:p:m:S:T:h", longopts, NULL)) != -1) {
		switch (c) {
		case 's': size_mib = parse_num(optarg, "--size", 2, 1 << 16); break;
		case 't': g.nr_threads = (unsigned)parse_num(optarg, "--threads", 2, MAX_THREADS); break;
		case 'p': g.nr_passes = (unsigned)parse_num(optarg, "--passes", 1, 1000000); break;
		case 'S': seconds = parse_num(optarg, "--seconds", 1, 86400); break;
		case 'T': break;
		case 'm':
			if (strcmp(optarg, "malloc") == 0) {
				g.use_malloc = true;
			} else if (strcmp(optarg, "mmap") != 0) {
				fprintf(stderr, "%s: --mode is mmap or malloc, not '%s'\n", PROG, optarg);
				exit(2);
			}
			break;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 2;
		}
	}
	if (optind != argc) {
		usage(stderr);
		return 2;
	}

	region_create(size_mib * CHUNK_PAGES);
	if (pthread_barrier_init(&g.start, NULL, g.nr_threads + 1) ||
	    pthread_barrier_init(&g.done, NULL, g.nr_threads + 1) ||
	    pthread_mutex_init(&g.report_lock, NULL))
		die_errno("pthread init");
	for (unsigned t = 0; t < g.nr_threads; t++) {
		errno = pthread_create(&tids[t], NULL, worker, (void *)(uintptr_t)t);
		if (errno)
			die_errno("pthread_create");
	}

	/* Fresh mmap'd memory must read as zeros before anything is written. */
	bool ok = g.use_malloc || phase(CMD_VERIFY);
	double deadline = now_s() + (double)seconds;
	unsigned passes_done = 0;

	for (unsigned p = 0; ok; p++) {
		if (seconds ? now_s() >= deadline : p >= g.nr_passes)
			break;
		g.pass = p;
		ok = phase(CMD_WRITE) && phase(CMD_VERIFY);
		if (ok && p <= 2) {
			if (p == 0)
				op_dontneed();
			else if (p == 1)
				op_grow();
			else
				op_unmap_part();
			ok = phase(CMD_VERIFY);
		}
		if (ok)
			passes_done++;
		if (ok && seconds) {
			printf("pass %u ok\n", p);
			fflush(stdout);
		}
	}
	g.cmd = CMD_EXIT;
	pthread_barrier_wait(&g.start);
	for (unsigned t = 0; t < g.nr_threads; t++)
		pthread_join(tids[t], NULL);
	if (!ok)
		return 1;

	uint64_t sum = 0xCBF29CE484222325ull;
	size_t live = 0;

	for (size_t i = 0; i < g.nr_pages; i++) {
		if (g.kind[i] == PAGE_DEAD || g.kind[i] == PAGE_UNDEF)
			continue;
		sum = pat_fold(sum, page_addr(i));
		live++;
	}
	printf("threads_pattern: mode=%s size=%luMiB threads=%u passes=%u pages=%zu live=%zu "
	       "checksum=%016" PRIx64 " ok\n", g.use_malloc ? "malloc" : "mmap", size_mib,
	       g.nr_threads, passes_done, g.nr_pages, live, sum);
	return 0;
}
