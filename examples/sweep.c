/* SPDX-License-Identifier: MIT */
/*
 * sweep: a program whose working set grows for a while, then shrinks back;
 * the example of docs/thrashing.md (examples/thrashing.sh runs it).
 *
 *   sweep [SMALL BIG]     (pages; default 2000 6000)
 *
 * Three phases over one anonymous mapping of BIG pages of 4 KiB:
 *   1. the first SMALL pages are written, then swept 800 times, with some
 *      arithmetic on each visit (about 0.5 s natively): the working set is
 *      SMALL pages (8 MB by default);
 *   2. the other pages are written, then all BIG pages are swept 10 times:
 *      the working set is BIG pages (24 MB);
 *   3. 800 sweeps over the first SMALL pages again.
 * A sweep visits the pages in address order and reads one word of each.
 * Under a budget between SMALL and BIG pages, phase 2 thrashes: each page
 * is evicted just before the sweep comes back to it.
 *
 * Prints what it summed (the same on every run, natively or not) and exits 0.
 */
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#define PAGE 4096u
#define WORDS (PAGE / sizeof(uint64_t))

static uint64_t sweep(const uint64_t *base, uint64_t pages, uint64_t passes, unsigned work,
		      uint64_t sum)
{
	for (uint64_t p = 0; p < passes; p++) {
		for (uint64_t i = 0; i < pages; i++) {
			sum += base[i * WORDS + (p + i) % WORDS];
			for (unsigned k = 0; k < work; k++)
				sum = (sum ^ (sum >> 29)) * 0xBF58476D1CE4E5B9ull;
		}
	}
	return sum;
}

int main(int argc, char **argv)
{
	uint64_t small = 2000, big = 6000, sum = 0;
	uint64_t *base;

	if (argc == 3) {
		small = strtoull(argv[1], NULL, 10);
		big = strtoull(argv[2], NULL, 10);
	}
	if (argc != 1 && argc != 3) {
		fprintf(stderr, "usage: sweep [SMALL BIG]  (pages, SMALL <= BIG)\n");
		return 2;
	}
	if (small == 0 || small > big || big > (UINT64_C(1) << 24)) {
		fprintf(stderr, "sweep: need 0 < SMALL <= BIG <= 16777216 pages\n");
		return 2;
	}
	base = mmap(NULL, big * PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (base == MAP_FAILED) {
		perror("sweep: mmap");
		return 2;
	}
	for (uint64_t i = 0; i < small * WORDS; i++)
		base[i] = i * 0x9E3779B97F4A7C15ull;
	sum = sweep(base, small, 800, 256, sum);   /* 1: fits in 8 MB */
	for (uint64_t i = small * WORDS; i < big * WORDS; i++)
		base[i] = i * 0x9E3779B97F4A7C15ull;
	sum = sweep(base, big, 10, 256, sum);      /* 2: needs 24 MB */
	sum = sweep(base, small, 800, 256, sum);   /* 3: fits again */
	printf("sweep: %" PRIu64 " then %" PRIu64 " pages: sum %016" PRIx64 "\n", small, big, sum);
	return 0;
}
