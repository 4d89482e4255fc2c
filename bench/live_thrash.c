/* SPDX-License-Identifier: MIT */
/*
 * live_thrash: a deterministic thrashing workload for the live benchmarks
 * (bench/live_thrash.sh runs it natively, in a memory cgroup with zram swap,
 * and under vmsandbox).  It is an ordinary program: no vmsandbox headers.
 *
 * One anonymous private mapping of --mib MiB (64 by default), then:
 *   for pass 1..P:  seq_write (every page, in order, rewritten whole with a
 *                   new version; pass 1 is the first touch) and seq_read
 *                   (every page read whole and checked);
 *   random:         --touches uniformly random pages from a fixed-seed
 *                   PRNG, --write-pct of them rewritten, the rest checked;
 *   verify:         every page read whole and checked once more.
 * Every read compares each word with what was last written, so a lost or
 * stale page (the pager's worst bug) is an error, not a slow run.
 *
 * Page contents are built to compress like real heap pages (lz4 about 3:1,
 * never same-filled): 64-byte records holding a pointer-like word, small
 * integers, zeros and one pseudo-random word.  A same-filled page would be
 * stored for free by zram and by vmsandbox's store, which would flatter both.
 *
 * Output (stdout, one `key=value` line per phase, then a summary):
 *   phase=seq_write pass=1 pages=16384 time_s=0.012345 majflt=0 minflt=16390
 *   ...
 *   total time_s=... majflt=... minflt=... errors=0 checksum=0x...
 * majflt/minflt are this process's getrusage deltas over the phase.  The
 * checksum folds every word read; it depends only on the options, so the
 * three runs of the benchmark must print the same one.
 * Exit status: 0, 1 if any word was wrong, 2 on a usage error.
 *
 * Usage: live_thrash [--mib N] [--passes P] [--touches N] [--write-pct W]
 *                    [--seed S] [--thp]
 * --thp leaves transparent huge pages to the system's policy; by default the
 * mapping is MADV_NOHUGEPAGE so that the kernel pages 4 KiB at a time, like
 * vmsandbox.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "mix64.h"

#define PAGE_BYTES 4096u
#define WORDS_PER_PAGE (PAGE_BYTES / sizeof(uint64_t))
#define WORDS_PER_RECORD 8u
#define MAX_REPORTED_ERRORS 10

struct opts {
	uint64_t mib;
	unsigned passes;
	uint64_t touches;
	unsigned write_pct;
	uint64_t seed;
	bool thp;
};

struct arena {
	uint64_t *words;      /* nr_pages * WORDS_PER_PAGE */
	uint32_t *versions;   /* version last written to each page; 0: never */
	uint64_t nr_pages;
	uint64_t checksum;
	uint64_t nr_errors;
};

struct phase_mark {
	double time_s;
	long majflt;
	long minflt;
};

static uint64_t rng_next(uint64_t *state)
{
	*state += 0x9e3779b97f4a7c15ULL;
	return mix64(*state);
}

/*
 * Word `i` of page `vpn` at version `ver`.  Per 64-byte record: a
 * pointer-like word, a small counter, the version, one pseudo-random word,
 * a small tag and three zeros.
 */
static uint64_t page_word(uint64_t vpn, uint32_t ver, unsigned i)
{
	unsigned rec = i / WORDS_PER_RECORD;

	switch (i % WORDS_PER_RECORD) {
	case 0:
		return 0x00007f3a00000000ULL + (vpn << 12) + rec * 64u;
	case 1:
		return (uint64_t)rec * 3u + ver;
	case 2:
		return ver;
	case 3:
		return mix64((vpn << 32) ^ ((uint64_t)ver << 8) ^ rec);
	case 4:
		return 0x10000u + (vpn & 0xff);
	default:
		return 0;
	}
}

static void page_write(struct arena *a, uint64_t vpn)
{
	uint64_t *p = a->words + vpn * WORDS_PER_PAGE;
	uint32_t ver = ++a->versions[vpn];

	for (unsigned i = 0; i < WORDS_PER_PAGE; i++)
		p[i] = page_word(vpn, ver, i);
}

static void page_check(struct arena *a, uint64_t vpn)
{
	const volatile uint64_t *p = a->words + vpn * WORDS_PER_PAGE;
	uint32_t ver = a->versions[vpn];
	uint64_t sum = 0;

	for (unsigned i = 0; i < WORDS_PER_PAGE; i++) {
		uint64_t got = p[i];
		uint64_t want = ver ? page_word(vpn, ver, i) : 0;

		if (got != want) {
			if (a->nr_errors < MAX_REPORTED_ERRORS)
				fprintf(stderr, "live_thrash: page %" PRIu64 " word %u: read 0x%016" PRIx64
					", wrote 0x%016" PRIx64 " (version %" PRIu32 ")\n",
					vpn, i, got, want, ver);
			a->nr_errors++;
		}
		sum = sum * 31 + got;
	}
	a->checksum = mix64(a->checksum ^ sum);
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static struct phase_mark mark(void)
{
	struct rusage ru;
	struct phase_mark m;

	getrusage(RUSAGE_SELF, &ru);
	m.time_s = now_s();
	m.majflt = ru.ru_majflt;
	m.minflt = ru.ru_minflt;
	return m;
}

static void phase_print(const char *name, unsigned pass, uint64_t nr_pages,
			struct phase_mark from, struct phase_mark to)
{
	printf("phase=%s pass=%u pages=%" PRIu64 " time_s=%.6f majflt=%ld minflt=%ld\n",
	       name, pass, nr_pages, to.time_s - from.time_s,
	       to.majflt - from.majflt, to.minflt - from.minflt);
	fflush(stdout);
}

static int parse_u64(const char *s, uint64_t max, uint64_t *ret)
{
	char *end;
	unsigned long long v;

	errno = 0;
	v = strtoull(s, &end, 0);
	if (errno || end == s || *end || s[0] == '-' || v > max)
		return -EINVAL;
	*ret = v;
	return 0;
}

static void usage(FILE *out)
{
	fputs("usage: live_thrash [--mib N] [--passes P] [--touches N] [--write-pct W]\n"
	      "                   [--seed S] [--thp]\n", out);
}

static int parse_args(int argc, char **argv, struct opts *o)
{
	for (int i = 1; i < argc; i++) {
		const char *arg = argv[i];
		uint64_t v;

		if (!strcmp(arg, "--help")) {
			usage(stdout);
			exit(0);
		}
		if (!strcmp(arg, "--thp")) {
			o->thp = true;
			continue;
		}
		if (i + 1 >= argc) {
			fprintf(stderr, "live_thrash: unknown option or missing value: '%s'\n", arg);
			return -EINVAL;
		}
		if (!strcmp(arg, "--mib") && !parse_u64(argv[i + 1], 1 << 20, &v) && v > 0)
			o->mib = v;
		else if (!strcmp(arg, "--passes") && !parse_u64(argv[i + 1], 1000, &v) && v > 0)
			o->passes = (unsigned)v;
		else if (!strcmp(arg, "--touches") && !parse_u64(argv[i + 1], UINT64_MAX, &v))
			o->touches = v;
		else if (!strcmp(arg, "--write-pct") && !parse_u64(argv[i + 1], 100, &v))
			o->write_pct = (unsigned)v;
		else if (!strcmp(arg, "--seed") && !parse_u64(argv[i + 1], UINT64_MAX, &v))
			o->seed = v;
		else {
			fprintf(stderr, "live_thrash: bad option or value: '%s %s'\n", arg, argv[i + 1]);
			return -EINVAL;
		}
		i++;
	}
	return 0;
}

int main(int argc, char **argv)
{
	struct opts o = { .mib = 64, .passes = 3, .touches = 200000, .write_pct = 25, .seed = 1 };
	struct arena a = { 0 };
	struct phase_mark start, from, to;
	uint64_t rng;
	size_t bytes;

	if (parse_args(argc, argv, &o) < 0) {
		usage(stderr);
		return 2;
	}
	a.nr_pages = o.mib * (1024 * 1024 / PAGE_BYTES);
	bytes = a.nr_pages * PAGE_BYTES;
	a.words = mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (a.words == MAP_FAILED) {
		fprintf(stderr, "live_thrash: mmap of %" PRIu64 " MiB failed: %s\n", o.mib, strerror(errno));
		return 1;
	}
	if (!o.thp && madvise(a.words, bytes, MADV_NOHUGEPAGE) < 0)
		fprintf(stderr, "live_thrash: madvise(MADV_NOHUGEPAGE): %s (continuing)\n", strerror(errno));
	a.versions = calloc(a.nr_pages, sizeof(*a.versions));
	if (!a.versions) {
		fprintf(stderr, "live_thrash: out of memory for %" PRIu64 " page versions\n", a.nr_pages);
		return 1;
	}
	printf("config mib=%" PRIu64 " pages=%" PRIu64 " passes=%u touches=%" PRIu64
	       " write_pct=%u seed=%" PRIu64 " thp=%d\n",
	       o.mib, a.nr_pages, o.passes, o.touches, o.write_pct, o.seed, o.thp);

	start = mark();
	for (unsigned pass = 1; pass <= o.passes; pass++) {
		from = mark();
		for (uint64_t vpn = 0; vpn < a.nr_pages; vpn++)
			page_write(&a, vpn);
		to = mark();
		phase_print("seq_write", pass, a.nr_pages, from, to);

		from = to;
		for (uint64_t vpn = 0; vpn < a.nr_pages; vpn++)
			page_check(&a, vpn);
		to = mark();
		phase_print("seq_read", pass, a.nr_pages, from, to);
	}

	from = mark();
	rng = o.seed;
	for (uint64_t t = 0; t < o.touches; t++) {
		uint64_t r = rng_next(&rng);
		uint64_t vpn = r % a.nr_pages;

		if ((r >> 40) % 100 < o.write_pct)
			page_write(&a, vpn);
		else
			page_check(&a, vpn);
	}
	to = mark();
	phase_print("random", 1, o.touches, from, to);

	from = to;
	for (uint64_t vpn = 0; vpn < a.nr_pages; vpn++)
		page_check(&a, vpn);
	to = mark();
	phase_print("verify", 1, a.nr_pages, from, to);

	printf("total time_s=%.6f majflt=%ld minflt=%ld errors=%" PRIu64 " checksum=0x%016" PRIx64 "\n",
	       to.time_s - start.time_s, to.majflt - start.majflt, to.minflt - start.minflt,
	       a.nr_errors, a.checksum);
	if (a.nr_errors) {
		fprintf(stderr, "live_thrash: %" PRIu64 " wrong words: memory contents were lost\n",
			a.nr_errors);
		return 1;
	}
	munmap(a.words, bytes);
	free(a.versions);
	return 0;
}
