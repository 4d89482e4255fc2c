/* SPDX-License-Identifier: MIT */
/*
 * wsloop: a working set of W pages, swept in address order many times.
 *
 *   wsloop [--pages W] [--passes P] [--work N] [--write-every K]
 *
 * One private anonymous mapping of W pages (default 4,096); every page is
 * first written in full with its pattern (pattern.h, pass 0).  Then P passes
 * (default 50) sweep the pages in address order: each visit reads one word
 * of the page (word (pass * 67 + page) mod 512) into the checksum and then
 * does N rounds of arithmetic on the checksum alone (default 16), the
 * program's "useful work" between two touches of memory.  With
 * --write-every K > 0, every Kth visit also adds 1 to word 0 of the page.
 * At the end every page is checked word by word.
 *
 * It is the textbook thrashing program: with W pages of frames or more it
 * faults only on its first touches; with fewer, an LRU-like policy evicts
 * each page just before the sweep comes back to it, so every visit of every
 * pass is a fault (a refault of a page evicted W - frames evictions ago).
 *
 * Prints one deterministic line with the parameters, the number of visits
 * and writes and the checksum, and exits 0; at the first mismatch prints
 * where on stderr and exits 1; exits 2 on bad usage or a failed mmap.
 * Single-threaded, no clock, no randomness: the same reference string on
 * every run.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "pattern.h"
#include "progargs.h"

#define PROG "wsloop"

static void usage(FILE *f)
{
	fprintf(f, "usage: %s [--pages W] [--passes P] [--work N] [--write-every K]\n"
		"  --pages W        pages of the working set (default 4096)\n"
		"  --passes P       sweeps over the working set (default 50)\n"
		"  --work N         rounds of arithmetic after each page visit (default 16)\n"
		"  --write-every K  every Kth visit also writes (default 0: visits only read)\n",
		PROG);
}

static unsigned long parse_num(const char *s, const char *what, unsigned long min,
			       unsigned long max)
{
	return prog_parse_num(PROG, usage, s, what, min, max);
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "pages", required_argument, NULL, 'W' },
		{ "passes", required_argument, NULL, 'P' },
		{ "work", required_argument, NULL, 'n' },
		{ "write-every", required_argument, NULL, 'w' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	uint64_t nr_pages = 4096, passes = 50, work = 16, write_every = 0;
	int c;

	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'W': nr_pages = parse_num(optarg, "--pages", 1, 1ul << 24); break;
		case 'P': passes = parse_num(optarg, "--passes", 0, 1ul << 20); break;
		case 'n': work = parse_num(optarg, "--work", 0, 1ul << 24); break;
		case 'w': write_every = parse_num(optarg, "--write-every", 0, 1ul << 30); break;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 2;
		}
	}
	if (optind != argc) {
		usage(stderr);
		return 2;
	}

	char *base = mmap(NULL, nr_pages * PAT_PAGE_BYTES, PROT_READ | PROT_WRITE,
			  MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (base == MAP_FAILED) {
		fprintf(stderr, "%s: mmap of %" PRIu64 " pages: %s\n", PROG, nr_pages,
			strerror(errno));
		return 2;
	}
	for (uint64_t i = 0; i < nr_pages; i++)
		pat_fill(base + i * PAT_PAGE_BYTES, pat_seed(i, 0, 0));

	uint64_t sum = 0x77a1e5ull, visits = 0, writes = 0;
	for (uint64_t pass = 0; pass < passes; pass++) {
		for (uint64_t i = 0; i < nr_pages; i++, visits++) {
			volatile uint64_t *w = (volatile uint64_t *)(base + i * PAT_PAGE_BYTES);

			sum = (sum ^ w[(pass * 67 + i) % PAT_PAGE_WORDS]) * 0x100000001B3ull;
			for (uint64_t k = 0; k < work; k++) {
				sum ^= sum >> 29;
				sum *= 0xBF58476D1CE4E5B9ull;
			}
			if (write_every && visits % write_every == 0) {
				w[0] = w[0] + 1;
				writes++;
			}
		}
	}

	/* Word 0 of page i received one write per visit number v = pass * W + i
	 * with v mod K == 0. */
	for (uint64_t i = 0; i < nr_pages; i++) {
		const char *page = base + i * PAT_PAGE_BYTES;
		uint64_t seed = pat_seed(i, 0, 0), nr_writes = 0, got;

		for (uint64_t pass = 0; write_every && pass < passes; pass++)
			nr_writes += (pass * nr_pages + i) % write_every == 0;
		got = *(const volatile uint64_t *)page;
		if (got != pat_expected_word(seed, 0) + nr_writes) {
			pat_report(PROG, "word 0 (pattern + writes)", i, page, 0,
				   pat_expected_word(seed, 0) + nr_writes, got);
			return 1;
		}
		for (long k = 1; k < (long)PAT_PAGE_WORDS; k++) {
			got = ((const volatile uint64_t *)page)[k];
			if (got != pat_expected_word(seed, k)) {
				pat_report(PROG, "page", i, page, k, pat_expected_word(seed, k), got);
				return 1;
			}
		}
	}
	sum = pat_checksum(sum, base, nr_pages);
	printf("wsloop: pages %" PRIu64 " passes %" PRIu64 " work %" PRIu64 " visits %" PRIu64
	       " writes %" PRIu64 " checksum %016" PRIx64 "\n", nr_pages, passes, work, visits,
	       writes, sum);
	return 0;
}
